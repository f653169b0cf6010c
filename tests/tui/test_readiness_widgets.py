"""Readiness in the TUI: home's countdown, forecast and plan; the stats screen's forecast curve,
true retention, memory and optimizer lines; at 80x24 (Pilot and snapshots)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import pytest
from fsrs import State
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from quizapp.readiness import (
    LoggedAnswer,
    Memory,
    TrustedStats,
    forecast,
    make_scheduler,
    memory_distribution,
    true_retention,
)
from quizapp.tui.app import create_app
from quizapp.tui.screens.stats import StatsScreen
from quizapp.tui.widgets.readiness import (
    InterviewSettings,
    ReadinessPanel,
    ReadinessSummary,
    curve_text,
)

from .fakes import TODAY, FakeService
from .helpers import settle, started, text_of, until
from .test_snapshots import SMALL, on, snap, steps

NOW = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
INTERVIEW = TODAY + timedelta(days=49)


class ReadyFake(FakeService):
    """A profile with an interview in 49 days and a deterministic history."""

    def __init__(self, *, enough_for_fit: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enough_for_fit = enough_for_fit

    def trusted_stats(self, user: str) -> TrustedStats:
        questions = list(self._bank.questions.values())
        memories = [
            Memory(
                question_id=q.id,
                topic=q.topic,
                state=int(State.Review),
                step=None,
                stability=2.0 + 3 * i,
                difficulty=5.0,
                due=NOW + timedelta(days=1 + i),
                last_review=NOW - timedelta(days=i % 4),
                first_day=TODAY - timedelta(days=8),
            )
            for i, q in enumerate(questions)
            if i % 3 != 2
        ]
        ready = forecast(
            scheduler=make_scheduler(fuzz=False),
            memories=memories,
            focus=[(q.id, q.topic) for q in questions],
            now=NOW,
            tz=UTC,
            interview_day=INTERVIEW,
            target=0.9,
            profile_new_per_day=10,
            runs=4,
        )
        log = [
            LoggedAnswer(
                m.question_id,
                m.topic,
                NOW - timedelta(days=d),
                TODAY - timedelta(days=d),
                d % 5 != 0,
            )
            for m in memories
            for d in (40, 12, 2)
        ]
        needed = 0 if self.enough_for_fit else 380
        return TrustedStats(
            ready, true_retention(log, TODAY), memory_distribution(memories), 512 - needed, needed
        )


def test_curve_text_fits_its_width_and_spans_zero_to_full() -> None:
    shares = [i / 40 for i in range(41)]
    text = curve_text(shares, ("today 0%", "15 Jan 100%"), 60, target=0.9)
    lines = text.plain.split("\n")
    assert len(lines) == 6  # five rows of curve, one of labels
    assert max(len(line) for line in lines) <= 60
    assert lines[0].startswith("100%") and lines[-2].startswith("  0%")
    top_styles = {str(span.style) for span in text.spans}
    assert "green" in top_styles and "cyan" in top_styles  # at / below the target
    assert lines[-1].strip().startswith("today 0%") and lines[-1].endswith("15 Jan 100%")
    assert lines[0].rstrip().endswith("█") and lines[-2][5] == " "  # empty at 0, full at 100%
    assert curve_text([], ("a", "b"), 40).plain == "no forecast"
    # A curve that sits high gets an axis that starts below its lowest point.
    high = curve_text([0.91, 0.93, 0.94], ("a", "b"), 40).plain.split("\n")
    assert high[-2].startswith(" 80% ") and high[0].startswith("100% ")


async def test_home_shows_countdown_forecast_and_plan_at_80x24() -> None:
    app = create_app(ReadyFake())
    async with app.run_test(size=SMALL) as pilot:
        await started(pilot)
        summary = app.screen.query_one(ReadinessSummary)
        await until(pilot, lambda: not summary.has_class("hidden"))
        text = text_of(app, "#home-readiness")
        assert f"49 days to the interview ({INTERVIEW:%a %d %b %Y})" in text
        assert f"on {INTERVIEW.day} {INTERVIEW:%b} at this pace" in text
        assert text.startswith("49 days") and "today: " in text and " reviews" in text
        assert summary.region.bottom <= 24 - 1  # above the footer, no scrolling needed


async def test_home_hides_readiness_without_an_interview_date() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SMALL) as pilot:
        await started(pilot)
        await settle(pilot)
        assert app.screen.query_one(ReadinessSummary).has_class("hidden")


async def test_stats_draws_the_forecast_and_offers_the_fit() -> None:
    app = create_app(ReadyFake(enough_for_fit=True))
    async with app.run_test(size=SMALL) as pilot:
        await started(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await settle(pilot)
        panel = app.screen.query_one(ReadinessPanel)
        assert "49 days to the interview" in text_of(app, "#rd-summary")
        curve = text_of(app, "#rd-curve")
        assert "100%" in curve and f"{INTERVIEW:%d %b}" in curve
        assert "last  30 days" in text_of(app, "#rd-retention")
        assert "stability 3w-3m" in text_of(app, "#rd-memory")
        assert "quizapp optimize --user alice" in text_of(app, "#rd-optimizer")
        assert panel.region.width <= 80


async def test_stats_without_a_date_says_how_to_set_one() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SMALL) as pilot:
        await started(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await settle(pilot)
        assert "--interview YYYY-MM-DD" in text_of(app, "#rd-summary")
        assert "512 more review(s)" in text_of(app, "#rd-optimizer")
        assert not app.screen.query_one("#rd-curve").display


def test_home_with_an_interview_80x24(snap_compare: Any) -> None:
    assert snap(snap_compare, create_app(ReadyFake()), steps(), SMALL)


def test_stats_with_an_interview_80x24(snap_compare: Any) -> None:
    assert snap(snap_compare, create_app(ReadyFake()), steps("s", wait_for=on(StatsScreen)), SMALL)


def test_stats_with_an_interview_120x40(snap_compare: Any) -> None:
    run = steps("s", wait_for=on(StatsScreen))
    assert snap(snap_compare, create_app(ReadyFake(enough_for_fit=True)), run, (120, 40))


class _Host(App[None]):
    """A bare app that hosts the settings widget with a service of its own (the real settings
    screen mounts it with one line)."""

    CSS_PATH: ClassVar = ["../../quizapp/tui/widgets/readiness.tcss"]

    def __init__(self, service: Any) -> None:
        super().__init__()
        self.service = service
        self.ready = True
        self.user = "alice"

    def compose(self) -> ComposeResult:
        yield InterviewSettings("alice")


class _SettingsService:
    def __init__(self) -> None:
        from quizapp.progress import ProfileReadiness

        self.saved = ProfileReadiness(INTERVIEW, 0.9, None, None)

    def readiness_settings(self, user: str) -> Any:
        return self.saved

    def set_readiness(self, user: str, *, interview: Any, target_retention: float | None) -> Any:
        self.saved = replace(
            self.saved, interview_date=interview, target_retention=target_retention or 0.9
        )
        return self.saved


async def test_interview_settings_load_validate_and_save() -> None:
    service = _SettingsService()
    app = _Host(service)
    async with app.run_test(size=SMALL) as pilot:
        date_box = app.query_one("#set-interview", Input)
        await until(pilot, lambda: date_box.value == INTERVIEW.isoformat())
        assert app.query_one("#set-retention", Input).value == "0.9"
        date_box.value = "15/01/2027"
        date_box.focus()
        await pilot.press("enter")
        await pilot.pause()
        message = app.query_one("#set-interview-message", Static)
        assert "YYYY-MM-DD" in str(message.content)
        assert service.saved.interview_date == INTERVIEW  # nothing saved
        date_box.value = "2027-03-01"
        app.query_one("#set-retention", Input).value = "95%"
        await pilot.press("enter")
        await until(pilot, lambda: service.saved.interview_date == date(2027, 3, 1))
        assert service.saved.target_retention == pytest.approx(0.95)
        await until(pilot, lambda: "Saved: interview 2027-03-01" in str(message.content))
