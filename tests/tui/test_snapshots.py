"""Snapshot tests of the main screens (pytest-textual-snapshot), against the deterministic fake.

Update after an intended change of look with `pytest tests/tui/test_snapshots.py
--snapshot-update`, and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from quizapp.grading.types import GradeStatus
from quizapp.practice import ItemReview, PracticeSession, RoundSummary, Trend
from quizapp.practice.modes import PracticeMode, Reason
from quizapp.practice.planner import Plan, PlannedItem
from quizapp.tui.app import QuizApp, create_app
from quizapp.tui.screens.question import QuestionScreen
from quizapp.tui.screens.result import ResultScreen
from quizapp.tui.screens.scratchpad import ScratchpadScreen
from quizapp.tui.screens.settings import SettingsScreen
from quizapp.tui.screens.stats import StatsScreen
from quizapp.tui.screens.summary import SummaryScreen
from quizapp.tui.widgets.explanation import ExplanationView

from .fakes import MLP_QUESTION, SAMPLE_QUESTIONS, FakeService, Problem
from .helpers import settle, started, until

SIZE = (100, 30)
SMALL = (80, 24)
LARGE = (120, 40)
# Every screen at the size the app is designed for first, and at a roomy one.
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])

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


@SIZES
def test_home(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps(), size=size)


@SIZES
def test_shape_question_with_a_hint(snap_compare: Any, size: tuple[int, int]) -> None:
    run = steps("l", wait_for=on(QuestionScreen))

    async def with_hint(pilot: Pilot[None]) -> None:
        await run(pilot)
        await pilot.press("ctrl+t", "ctrl+t", *keys("(16, 6"))
        await pilot.pause()

    assert snap(snap_compare, create_app(FakeService()), with_hint, size=size)


@SIZES
def test_incorrect_result(snap_compare: Any, size: tuple[int, int]) -> None:
    run = steps("l", *keys("(16, 32)"), "enter", wait_for=on(ResultScreen))
    assert snap(snap_compare, create_app(FakeService()), run, size=size)


def _practise(app: QuizApp, question_id: str, *then: str) -> Step:
    async def run(pilot: Pilot[None]) -> None:
        await started(pilot)
        app.practise_question(question_id, 7)
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await steps(*then)(pilot)

    return run


@SIZES
def test_choice_question_selected_not_yet_confirmed(
    snap_compare: Any, size: tuple[int, int]
) -> None:
    app = create_app(FakeService())
    assert snap(snap_compare, app, _practise(app, "modes.dropout-eval", "b"), size=size)


@SIZES
def test_code_question_after_a_failed_run(snap_compare: Any, size: tuple[int, int]) -> None:
    app = create_app(FakeService())
    run = _practise(app, "autograd.write-relu")

    async def failed_run(pilot: Pilot[None]) -> None:
        await run(pilot)
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        screen.answer_widget.text = "def relu(t):\n    return t.abs()\n"  # type: ignore[union-attr]
        await pilot.press("ctrl+r")
        await until(
            pilot,
            lambda: not screen.checking and "fails" in str(screen.query_one("#q-feedback").content),
        )  # type: ignore[attr-defined]
        await steps()(pilot)

    assert snap(snap_compare, app, failed_run, size=size)


@SIZES
def test_code_result_failed_offers_try_again(snap_compare: Any, size: tuple[int, int]) -> None:
    app = create_app(FakeService())
    run = _practise(app, "autograd.write-relu")

    async def failed(pilot: Pilot[None]) -> None:
        await run(pilot)
        screen = app.screen
        screen.answer_widget.text = "def relu(t):\n    return t\n"  # type: ignore[attr-defined]
        await steps("ctrl+s", wait_for=on(ResultScreen))(pilot)

    assert snap(snap_compare, app, failed, size=size)


@SIZES
def test_recall_key_points_revealed(snap_compare: Any, size: tuple[int, int]) -> None:
    app = create_app(FakeService())
    run = _practise(app, "modes.no-grad-recall", *keys("it stops recording"), "ctrl+s", "space")
    assert snap(snap_compare, app, run, size=size)


def _mock_session(fake: FakeService) -> PracticeSession:
    qs = fake.bank.questions
    items = [
        PlannedItem(
            q,
            qs[q].topic,
            qs[q].kind.value,
            qs[q].difficulty.value,
            Reason.MOCK,
            7,
            seconds=300.0 if qs[q].kind.value == "code" else 120.0,
        )
        for q in ("shapes.linear-out", "autograd.write-relu", "modes.dropout-eval")
    ]
    plan = Plan(PracticeMode.MOCK, items, time_limit_s=540.0)
    return PracticeSession(fake, "alice", plan, session_id=None, clock=lambda: 100.0)


@SIZES
def test_mock_question_with_both_clocks(snap_compare: Any, size: tuple[int, int]) -> None:
    fake = FakeService()
    app = create_app(fake)

    async def run(pilot: Pilot[None]) -> None:
        await started(pilot)
        app.push_screen(QuestionScreen(_mock_session(fake)))
        await steps()(pilot)

    assert snap(snap_compare, app, run, size=size)


def _summary() -> RoundSummary:
    def item(qid: str, title: str, topic: str, kind: str, **kw: Any) -> ItemReview:
        base: dict[str, Any] = {
            "question_id": qid,
            "title": title,
            "topic": topic,
            "kind": kind,
            "difficulty": "medium",
            "seed": 7,
            "answered": True,
            "score": 1.0,
            "seconds": 31.0,
            "allowed_s": 120.0,
        }
        base.update(kw)
        return ItemReview(**base)

    return RoundSummary(  # fixed figures: the clock would make a live one differ per run
        mode=PracticeMode.MOCK,
        items=[
            item(
                "shapes.linear-out",
                "Output shape of a Linear layer",
                "shapes",
                "shape",
                given="(16, 64)",
                truth="(16, 64)",
                status=GradeStatus.CORRECT,
            ),
            item(
                "autograd.square-grad",
                "Gradient of a square",
                "autograd",
                "value",
                score=0.0,
                given="3.0",
                truth="6.0",
                status=GradeStatus.INCORRECT,
                seconds=150.0,
            ),
            item(
                "autograd.write-relu",
                "Write a ReLU",
                "autograd",
                "code",
                score=0.0,
                given="(your code)",
                truth="AssertionError",
                status=GradeStatus.INCORRECT,
                allowed_s=300.0,
                tries=2,
                passed_later=True,
            ),
            item(
                "modes.dropout-eval",
                "Dropout in eval mode",
                "modes",
                "choice",
                answered=False,
                score=0.0,
                seconds=0.0,
            ),
        ],
        elapsed_s=600.0,
        out_of_time=True,
        trend=Trend(previous=[0.4, 0.6], current=0.25),
    )


@SIZES
def test_mock_summary(snap_compare: Any, size: tuple[int, int]) -> None:
    app = create_app(FakeService())

    async def run(pilot: Pilot[None]) -> None:
        await started(pilot)
        app.push_screen(SummaryScreen(_summary()))
        await settle(pilot)

    assert snap(snap_compare, app, run, size=size)


@SIZES
def test_stats(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap(
        snap_compare, create_app(FakeService()), steps("s", wait_for=on(StatsScreen)), size=size
    )


@SIZES
def test_browser_filtered_as_you_type(snap_compare: Any, size: tuple[int, int]) -> None:
    run = steps("b", *keys("relu"), "down", "down", "down", "down")
    assert snap(snap_compare, create_app(FakeService()), run, size=size)


@SIZES
def test_help(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps("f1"), size=size)


@SIZES
def test_settings(snap_compare: Any, size: tuple[int, int]) -> None:
    run = steps("comma", wait_for=on(SettingsScreen))
    assert snap(snap_compare, create_app(FakeService()), run, size=size)


@SIZES
def test_profile_picker(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap(snap_compare, create_app(FakeService(users=("alice", "bob"))), steps(), size=size)


@SIZES
def test_topic_picker(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps("d"), size=size)


def test_too_small_says_make_the_window_larger(snap_compare: Any) -> None:
    assert snap(snap_compare, create_app(FakeService()), steps(), size=(50, 15))


@SIZES
def test_broken_bank_and_failed_runner(snap_compare: Any, size: tuple[int, int]) -> None:
    fake = FakeService(
        questions=[],
        problems=[Problem("YAML syntax error: mapping values are not allowed", None, None)],
        runner="failed",
    )
    assert snap(snap_compare, create_app(fake), steps(), size=size)


def explained(app: QuizApp) -> bool:
    return bool(app.screen.query_one(ExplanationView).shown_keys)


@SIZES
def test_result_with_the_why_panel(snap_compare: Any, size: tuple[int, int]) -> None:
    app = create_app(FakeService(questions=[*SAMPLE_QUESTIONS, MLP_QUESTION]))

    async def run(pilot: Pilot[None]) -> None:
        await started(pilot)
        app.practise_question("modes.mlp-output", 7)
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await steps(*keys("(5, 2)"), "enter", wait_for=on(ResultScreen))(pilot)
        await steps("w", wait_for=explained)(pilot)

    assert snap(snap_compare, app, run, size=size)


@SIZES
def test_scratchpad_after_a_run(snap_compare: Any, size: tuple[int, int]) -> None:
    ran = steps("p", "ctrl+r", wait_for=lambda app: on(ScratchpadScreen)(app) and explained(app))

    async def run(pilot: Pilot[None]) -> None:
        await ran(pilot)
        # The cursor's row is highlighted, and where the cursor ends up after start-up varied
        # from run to run: pin it to the top, so that the picture is the same every time.
        for editor in pilot.app.screen.query(TextArea):
            editor.cursor_location = (0, 0)
            editor.scroll_home(animate=False)
        await settle(pilot)

    assert snap(snap_compare, create_app(FakeService()), run, size=size)
