"""Snapshots (80x24 and 120x40) of what misconceptions add to the screens: the result screen's
"Likely misconception" with its explanation, and the stats screen's recurring misconceptions.
Against the deterministic fake, whose wrong answers here match a misconception."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot

from quizapp.grading.types import GradeResult, MisconceptionMatch, MisconceptionSource
from quizapp.stats import RecurringMisconception, Stats
from quizapp.tui.app import create_app
from quizapp.tui.screens.result import ResultScreen
from quizapp.tui.screens.stats import StatsScreen

from .fakes import FakeService
from .helpers import settle
from .test_snapshots import keys, on, snap, steps

SIZES = [(80, 24), (120, 40)]
TRANSPOSED = MisconceptionMatch(
    name="transposed-weight",
    summary="Takes nn.Linear.weight to be (in_features, out_features)",
    source=MisconceptionSource.AUTHORED,
    explanation="`nn.Linear` stores its weight as `(out_features, in_features)`.",
)


class DiagnosingService(FakeService):
    """The fake, with every incorrect verdict naming one misconception and stats listing it."""

    def grade(
        self,
        question_id: str,
        seed: int,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        cancel: Any = None,
    ) -> GradeResult:
        result = super().grade(question_id, seed, answer, ticked=ticked, cancel=cancel)
        if result.status.value == "incorrect":
            return dataclasses.replace(result, misconception=TRANSPOSED)
        return result

    def stats(self, user: str) -> Stats:
        stats = super().stats(user)
        recurring = RecurringMisconception(
            name="transposed-weight",
            source="authored",
            summary=TRANSPOSED.summary,
            count=3,
            last_seen=datetime(2026, 3, 16, 9, 30, tzinfo=UTC),
            questions=["shapes.linear-out", "shapes.linear-weight"],
            titles=["Output shape of a Linear layer", "shapes.linear-weight"],
        )
        return dataclasses.replace(stats, misconceptions=[recurring])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_incorrect_result_with_a_misconception(snap_compare: Any, size: tuple[int, int]) -> None:
    run = steps("l", *keys("(16, 32)"), "enter", wait_for=on(ResultScreen))
    assert snap(snap_compare, create_app(DiagnosingService()), run, size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stats_with_recurring_misconceptions(snap_compare: Any, size: tuple[int, int]) -> None:
    opened = steps("s", wait_for=on(StatsScreen))

    async def run(pilot: Pilot[None]) -> None:
        await opened(pilot)
        pilot.app.screen.query_one("#st-misconceptions-box").scroll_visible(animate=False)
        await settle(pilot)

    assert snap(snap_compare, create_app(DiagnosingService()), run, size=size)
