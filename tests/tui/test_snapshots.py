"""Snapshot tests of the main screens (pytest-textual-snapshot), against the deterministic fake.

Update after an intended change of look with `pytest tests/tui/test_snapshots.py
--snapshot-update`, and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from quizapp.tui.app import QuizApp, create_app
from quizapp.tui.practice import RoundSummary
from quizapp.tui.screens.question import QuestionScreen
from quizapp.tui.screens.result import ResultScreen
from quizapp.tui.screens.scratchpad import ScratchpadScreen
from quizapp.tui.screens.summary import SummaryScreen
from quizapp.tui.widgets.explanation import ExplanationView

from .fakes import MLP_QUESTION, SAMPLE_QUESTIONS, FakeService, Problem
from .helpers import settle, started, until

SIZE = (100, 30)
SMALL = (80, 24)

Step = Callable[[Pilot[None]], Awaitable[None]]


def steps(*keys: str, wait_for: Callable[[QuizApp], bool] | None = None) -> Step:
    """Presses `keys` after start-up, then waits for `wait_for` and every worker; no blinking."""

    async def run(pilot: Pilot[None]) -> None:
        app = await started(pilot)
        await pilot.press(*keys)
        if wait_for is not None:
            await until(pilot, lambda: wait_for(app))
        await settle(pilot)
        for widget in app.screen.query("Input, TextArea"):
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False
        await pilot.pause()

    return run


def snap(snap_compare: Any, app: QuizApp, run_before: Step, size: tuple[int, int] = SIZE) -> bool:
    result: bool = snap_compare(app, terminal_size=size, run_before=run_before)
    return result


def on(screen_type: type) -> Callable[[QuizApp], bool]:
    return lambda app: isinstance(app.screen, screen_type)


def keys(text: str) -> Iterable[str]:
    return list(text)


def test_home(snap_compare: Any) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps())


def test_home_small_terminal(snap_compare: Any) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps(), size=SMALL)


def test_shape_question_with_a_hint(snap_compare: Any) -> None:
    run = steps("l", wait_for=on(QuestionScreen))

    async def with_hint(pilot: Pilot[None]) -> None:
        await run(pilot)
        await pilot.press("ctrl+t", *keys("(16, 6"))
        await pilot.pause()

    assert snap(snap_compare, create_app(FakeService()), with_hint)


def test_incorrect_result(snap_compare: Any) -> None:
    run = steps("l", *keys("(16, 32)"), "enter", wait_for=on(ResultScreen))
    assert snap(snap_compare, create_app(FakeService()), run)


def test_choice_question(snap_compare: Any) -> None:
    app = create_app(FakeService())

    async def run(pilot: Pilot[None]) -> None:
        await started(pilot)
        app.practise_question("modes.dropout-eval", 7)
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await settle(pilot)

    assert snap(snap_compare, app, run)


def test_mock_summary(snap_compare: Any) -> None:
    app = create_app(FakeService())
    summary = RoundSummary(  # fixed figures: the clock would make a live one differ per run
        mode="mock",
        asked=5,
        answered=4,
        score=2.5,
        per_topic={"autograd": (0.5, 2), "shapes": (2.0, 2)},
        times=[("shapes.linear-out", 31.0), ("autograd.square-grad", 75.0)],
        to_review=["autograd.square-grad", "autograd.write-relu"],
        elapsed_s=600.0,
        out_of_time=True,
    )

    async def run(pilot: Pilot[None]) -> None:
        await started(pilot)
        app.push_screen(SummaryScreen(summary))
        await settle(pilot)

    assert snap(snap_compare, app, run)


def test_stats(snap_compare: Any) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps("s"))


def test_browser_preview(snap_compare: Any) -> None:
    run = steps("b", "down", "down", "enter", "down")
    assert snap(snap_compare, create_app(FakeService()), run)


def test_help(snap_compare: Any) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps("f1"))


def test_broken_bank_and_failed_runner(snap_compare: Any) -> None:
    fake = FakeService(
        questions=[],
        problems=[Problem("YAML syntax error: mapping values are not allowed", None, None)],
        runner="failed",
    )
    assert snap(snap_compare, create_app(fake), steps())


def explained(app: QuizApp) -> bool:
    return bool(app.screen.query_one(ExplanationView).shown_keys)


def test_result_with_the_why_panel(snap_compare: Any) -> None:
    app = create_app(FakeService(questions=[*SAMPLE_QUESTIONS, MLP_QUESTION]))

    async def run(pilot: Pilot[None]) -> None:
        await started(pilot)
        app.practise_question("modes.mlp-output", 7)
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await steps(*keys("(5, 2)"), "enter", wait_for=on(ResultScreen))(pilot)
        await steps("w", wait_for=explained)(pilot)

    assert snap(snap_compare, app, run)


def test_scratchpad_after_a_run(snap_compare: Any) -> None:
    run = steps("p", "ctrl+r", wait_for=lambda app: on(ScratchpadScreen)(app) and explained(app))
    assert snap(snap_compare, create_app(FakeService()), run)
