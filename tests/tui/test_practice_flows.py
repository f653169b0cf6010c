"""Pilot tests of the practice loop's flows: settings, no dead ends, the size guard."""

from __future__ import annotations

from textual.widgets import DataTable, Input, SelectionList

from quizapp.grading.types import GradeStatus
from quizapp.tui.app import create_app
from quizapp.tui.screens.browser import BrowserScreen
from quizapp.tui.screens.home import HomeScreen
from quizapp.tui.screens.question import QuestionScreen
from quizapp.tui.screens.result import ResultScreen
from quizapp.tui.screens.settings import SettingsScreen
from quizapp.tui.screens.stats import StatsScreen
from quizapp.tui.screens.too_small import TooSmallScreen

from .fakes import FakeService
from .helpers import settle, started, text_of, until

SIZE = (100, 30)


async def test_settings_are_saved_per_profile_and_steer_learn() -> None:
    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("comma")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await settle(pilot)
        box = app.screen.query_one("#set-new", Input)
        assert box.value == "20"
        box.value = "2"
        focus = app.screen.query_one("#set-focus", SelectionList)
        focus.select("modes")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: fake.settings("alice").new_per_day == 2)
        assert fake.settings("alice").focus_topics == ("modes",)
        await pilot.press("escape")
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        assert len(screen.session.items) == 2  # the new limit
        assert screen.session.items[0].topic == "modes"  # the focus leads


async def test_a_bad_daily_limit_is_said_not_saved() -> None:
    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.action_settings()
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await settle(pilot)
        app.screen.query_one("#set-new", Input).value = "5000"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "between 0 and 1000" in text_of(app, "#set-message")
        assert fake.settings("alice").new_per_day == 20


async def test_stats_weakest_row_practises_it() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))
        await settle(pilot)
        table = app.screen.query_one("#st-weakest", DataTable)
        table.focus()
        await pilot.press("down", "enter")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        assert app.screen.item.question_id == "autograd.square-grad"  # type: ignore[attr-defined]


async def test_browser_filters_as_you_type_by_words_and_status() -> None:
    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # One failed answer first, so the browser has a status to show.
        app.practise_question("shapes.linear-out", 7)
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await pilot.press(*"(1, 1)", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert fake.recorded[0].status is GradeStatus.INCORRECT
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BrowserScreen))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        assert screen.statuses["shapes.linear-out"] == "failed"
        assert screen.query_one("#b-filter", Input).has_focus  # typing filters at once
        await pilot.press(*"failed")
        await settle(pilot)
        tree = screen.query_one("#b-tree")
        leaves = [n for n in tree._tree_lines if not n.node.children]  # type: ignore[attr-defined]
        labels = [str(n.node.label) for n in leaves]
        assert len(labels) == 1 and "Output shape of a Linear layer" in labels[0]
        # From the tree, printable keys go back to the filter.
        tree.focus()
        await pilot.press("x")
        assert screen.query_one("#b-filter", Input).value == "failedx"


async def test_below_the_supported_size_the_app_asks_for_a_larger_window() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.resize_terminal(50, 15)
        await until(pilot, lambda: isinstance(app.screen, TooSmallScreen))
        assert "Make the window larger" in text_of(app, "#too-small")
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_home_counts_seen_learning_and_mature_per_topic() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        chart = text_of(app, "#home-mastery")
        assert "0/2 seen · 0 learning · 0 mature" in chart


async def test_keys_typed_while_a_round_opens_reach_the_answer_in_order() -> None:
    from .helpers import type_ahead

    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # "l" opens Learn in a worker; the answer and Enter follow with no idle at all.
        type_ahead(pilot, "l", *"(16, 64)", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert [(r.question_id, r.answer) for r in fake.recorded] == [
            ("shapes.linear-out", "(16, 64)")
        ]
        # And on to the next question, typed ahead again: n, then the answer.
        type_ahead(pilot, "n", *"6.0", "enter")
        await until(pilot, lambda: len(fake.recorded) == 2)
        assert fake.recorded[1].answer == "6.0"


async def test_code_typed_ahead_into_a_fresh_editor_keeps_order_and_indentation() -> None:
    from .helpers import type_ahead

    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.practise_question("autograd.write-relu", 7)
        type_ahead(pilot, "ctrl+a", *"def relu(t):", "enter", *"return t.clamp(min=0)")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        await until(pilot, lambda: screen.answer_widget.answer_text().endswith("min=0)"))
        assert screen.answer_widget.answer_text() == "def relu(t):\n    return t.clamp(min=0)"


def test_a_cut_output_says_so_and_at_what_size() -> None:
    from quizapp.grading.types import GradeResult
    from quizapp.tui.screens.result import PRINTED_LINES, printed_text

    long = GradeResult("q", 1, GradeStatus.CORRECT, "x", stdout="line\n" * (PRINTED_LINES + 5))
    said = printed_text(long).plain
    assert "cut: 5 more lines" in said and f"{PRINTED_LINES} shown" in said
    capped = GradeResult(
        "q", 1, GradeStatus.CORRECT, "x", stdout="x\n", extra={"stdout_truncated": True}
    )
    assert "kept only the first 64 KiB" in printed_text(capped).plain
    assert (
        "cut" not in printed_text(GradeResult("q", 1, GradeStatus.CORRECT, "x", stdout="a")).plain
    )
