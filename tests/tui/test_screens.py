"""Pilot tests of start-up, profiles, mock interviews, stats, the browser, failure screens."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Tree

from quizapp.tui.app import create_app
from quizapp.tui.screens.browser import BrowserScreen
from quizapp.tui.screens.help import HelpScreen
from quizapp.tui.screens.home import HomeScreen
from quizapp.tui.screens.profile import NewProfileScreen, ProfileScreen
from quizapp.tui.screens.question import QuestionScreen
from quizapp.tui.screens.result import ResultScreen
from quizapp.tui.screens.stats import StatsScreen
from quizapp.tui.screens.summary import SummaryScreen

from .fakes import SAMPLE_QUESTIONS, FakeService, Problem
from .helpers import settle, started, text_of, type_ahead, until

SIZE = (100, 30)


# -- start-up and profiles ---------------------------------------------------------------------
async def test_first_frame_before_the_service_is_built() -> None:
    built: list[FakeService] = []

    def factory() -> FakeService:
        built.append(FakeService())
        return built[0]

    app = create_app(factory)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)  # painted before boot finished
        await started(pilot)
        assert built and app.service is built[0]
        assert app.sub_title == "alice · ready on cpu"


async def test_runner_warming_up_then_ready() -> None:
    fake = FakeService(runner="starting")
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "warming up" in app.sub_title
        fake._runner_phase = "ready"
        await until(pilot, lambda: "ready on cpu" in app.sub_title)


async def test_several_users_get_a_picker() -> None:
    app = create_app(FakeService(users=("alice", "bob")))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert isinstance(app.screen, ProfileScreen)
        assert app.user is None
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.user == "bob"
        assert isinstance(app.screen, HomeScreen)
        assert "bob" in text_of(app, "#home-greeting")


async def test_user_option_skips_the_picker() -> None:
    app = create_app(FakeService(users=("alice", "bob")), user="bob")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.user == "bob"


async def test_unknown_user_option_creates_the_profile() -> None:
    fake = FakeService(users=("alice",))
    app = create_app(fake, user="carol")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await until(pilot, lambda: app.user == "carol")
        assert [u.name for u in fake.users()] == ["alice", "carol"]


async def test_first_run_asks_for_a_name() -> None:
    fake = FakeService(users=())
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert isinstance(app.screen, NewProfileScreen)
        await pilot.press("enter")
        assert "cannot be empty" in text_of(app, "#profile-error")
        await pilot.press(*"dana", "enter")
        await until(pilot, lambda: app.user == "dana")
        assert [u.name for u in fake.users()] == ["dana"]
        assert isinstance(app.screen, HomeScreen)


async def test_a_name_typed_fast_then_a_key_keeps_the_name_and_the_key() -> None:
    # The terminal delivers the name, Enter and `l` at once: the profile is "dana" (not "danal")
    # and the `l` starts a Learn round on the home screen once the profile exists.
    fake = FakeService(users=())
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert isinstance(app.screen, NewProfileScreen)
        type_ahead(pilot, *"dana", "enter", "l")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        assert [u.name for u in fake.users()] == ["dana"] and app.user == "dana"


async def test_switching_users() -> None:
    fake = FakeService(users=("alice", "bob"))
    app = create_app(fake, user="alice")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.user == "bob"
        assert app.sub_title.startswith("bob")
        # a new profile from the picker
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ProfileScreen))
        await pilot.press("end", "enter")
        await until(pilot, lambda: isinstance(app.screen, NewProfileScreen))
        await pilot.press(*"erin", "enter")
        await until(pilot, lambda: app.user == "erin")
        assert isinstance(app.screen, HomeScreen)


# -- home -------------------------------------------------------------------------------------
async def test_home_shows_today_streak_and_mastery(app, fake) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "2 due for review" in text_of(app, "#home-today")
        assert "3 days (best 9)" in text_of(app, "#home-streak")
        mastery = text_of(app, "#home-mastery")
        assert "autograd" in mastery and "modes" in mastery and "shapes" in mastery
        assert app.screen.query_one("#home-notice").has_class("hidden")


async def test_empty_bank_says_what_to_do() -> None:
    app = create_app(FakeService(questions=[]))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "The bank is empty" in text_of(app, "#home-notice")
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)  # nothing to practise, but no crash
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)


async def test_every_question_broken() -> None:
    problems = [
        Problem("unknown field 'answr' (did you mean 'answer'?)", Path("bank/a.yaml"), 3, "a.q"),
        Problem("YAML syntax error", Path("bank/b.yaml"), 7),
    ]
    app = create_app(FakeService(questions=[], problems=problems))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "No usable questions" in text_of(app, "#home-notice")
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        tree = screen.query_one("#b-tree")
        labels = [str(n.label) for n in tree.root.children]  # type: ignore[attr-defined]
        assert any("problems (2)" in label for label in labels)
        problems_node = tree.root.children[-1]  # type: ignore[attr-defined]
        screen.preview(problems_node.children[0].data)
        await pilot.pause()
        shown = text_of(app, ".b-problem")
        assert "bank/a.yaml:3" in shown and "did you mean" in shown


async def test_runner_that_cannot_start() -> None:
    fake = FakeService(runner="failed")
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        assert "runner failed: torch is not installed" in app.sub_title
        assert "runner failed" in text_of(app, "#home-notice")
        # the rest still works: stats, browser, and a check says why it cannot run
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        await pilot.press("escape", "l")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await pilot.press(*"(16, 64)", "enter")
        await until(pilot, lambda: fake.calls != [])
        await settle(pilot)
        assert isinstance(app.screen, QuestionScreen)
        assert "could not be checked" in text_of(app, "#q-feedback")
        assert fake.recorded == []


# -- mock interview ---------------------------------------------------------------------------
MOCK_ANSWERS = {
    "shapes.linear-out": "(16, 64)",
    "autograd.square-grad": "5.0",  # wrong
    "modes.dropout-eval": "A",
    "shapes.print-size": "torch.Size([2, 3])",
    "autograd.write-relu": "def relu(t):\n    return t\n",  # wrong
    "modes.no-grad-recall": None,
}


async def _answer_mock_question(pilot, app) -> None:  # type: ignore[no-untyped-def]
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    answer = MOCK_ANSWERS[screen.item.question_id]
    kind = screen.shown.question.kind.value
    if kind == "recall":
        await pilot.press(*"it stops recording", "ctrl+s", "space", "ctrl+s")
    elif kind == "code":
        screen.answer_widget.text = answer  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
    elif kind == "output":
        await pilot.press(*answer, "ctrl+s")
    elif kind == "choice":
        await pilot.press(answer.lower(), "enter")
    else:
        await pilot.press(*answer, "enter")
    await until(pilot, lambda s=screen: app.screen is not s)  # type: ignore[misc]


async def test_mock_interview_no_hints_and_a_summary(app, fake) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        first = app.screen
        assert isinstance(first, QuestionScreen)
        session = first.session
        assert session.is_mock and len(session.items) == 5
        assert len({i.topic for i in session.items}) == 3  # every topic of the bank
        assert len({i.kind for i in session.items}) >= 3
        clock = text_of(app, "#q-clock")
        assert "this question" in clock and "left" in clock  # per question, beside the total
        await pilot.press("ctrl+t")
        assert first.hints_shown == 0
        for _ in range(5):
            await _answer_mock_question(pilot, app)
            assert not isinstance(app.screen, ResultScreen)  # no per-question verdicts
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        summary = app.screen.summary
        assert summary.asked == 5 and summary.answered == 5
        wrong = {i.question_id for i in summary.to_review}
        assert wrong <= {"autograd.square-grad", "autograd.write-relu", "modes.no-grad-recall"}
        table = app.screen.query_one("#s-items")
        assert table.row_count == 5  # type: ignore[attr-defined]
        assert "this time" in text_of(app, "#s-trend")  # against earlier mocks
        assert len(fake.recorded) == 5  # recorded like any other practice
        assert all(done for *_, done in fake.sessions.values())
        # Enter on an item practises it.
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        assert app.screen.session.mode.value == "single"  # type: ignore[attr-defined]
        assert app.screen.item.question_id == summary.items[0].question_id  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SummaryScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_mock_interview_of_a_chosen_size(app, fake) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.start_round("mock", size=3)  # what the palette's "Mock interview: N questions" does
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        session = screen.session
        assert session.is_mock and len(session.items) == 3
        assert session.plan.time_limit_s == sum(i.seconds or 0 for i in session.items)
        assert {i.seconds for i in session.items} <= {120.0, 300.0}


async def test_a_mock_after_the_allowance_is_spent(fake) -> None:  # type: ignore[no-untyped-def]
    from quizapp.tui.app import create_app

    fake.update_settings("alice", new_per_day=0)
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "daily limit of new questions is 0" in said and "Settings" in said
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        assert len(app.screen.session.items) == 5  # type: ignore[attr-defined]


async def test_mock_interview_clock_runs_out_with_nothing_answered(app, fake) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        screen.session.started_at -= 10_000  # the clock has run out
        await until(pilot, lambda: isinstance(app.screen, SummaryScreen), timeout=5)
        await settle(pilot)
        summary = app.screen.summary  # type: ignore[attr-defined]
        assert summary.out_of_time and summary.answered == 0
        assert "clock ran out" in text_of(app, "#s-headline")
        assert fake.recorded == []


# -- stats, browser, help, palette ------------------------------------------------------------
async def test_stats_screen(app, fake) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        assert "streak 3 (best 9)" in text_of(app, "#st-totals")
        assert "autograd" in text_of(app, "#st-accuracy")
        heat = text_of(app, "#st-heatmap")
        assert heat.count("\n") >= 7 and "Mon" in heat
        assert "Fr" in text_of(app, "#st-forecast")
        table = app.screen.query_one("#st-weakest")
        assert table.row_count == 3  # type: ignore[attr-defined]
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_browser_filter_preview_and_practise(app, fake) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        await pilot.press("ctrl+f", *"relu", "enter")
        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert screen.selected is not None and screen.selected.id == "autograd.write-relu"
        assert "without using" in str(screen.query_one("#q-prompt").source)  # type: ignore[attr-defined]
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen  # back where we came from


async def test_browser_keys_typed_fast_after_enter_act_on_the_tree(app, fake) -> None:  # type: ignore[no-untyped-def]
    # A fast hand: the filter, Enter, then down-arrows and `p`, all queued before the filter
    # has handled its Enter. None of them may land in the filter; `p` practises the question.
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        await pilot.press("ctrl+f")
        type_ahead(pilot, *"relu", "enter", "down", "down", "down", "p")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        assert screen.query_one("#b-filter", Input).value == "relu"
        assert app.screen.item.question_id == "autograd.write-relu"  # type: ignore[attr-defined]


async def test_browser_p_with_nothing_highlighted_holds_no_keys(app, fake) -> None:  # type: ignore[no-untyped-def]
    # `p` opens nothing here: the keys typed after it act at once (they used to wait up to 5 s
    # for a question that never came).
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen) and screen.selected is None
        screen.query_one(Tree).focus()
        await pilot.pause()
        type_ahead(pilot, "p", "escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), timeout=2.0)


async def test_help_screen(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_command_palette_offers_the_actions(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"statistics")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, StatsScreen))


async def test_command_palette_starts_a_question(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"practise: dropout in eval")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        assert app.screen.item.question_id == "modes.dropout-eval"  # type: ignore[attr-defined]


async def test_command_palette_names_questions_by_title_not_id(app) -> None:  # type: ignore[no-untyped-def]
    # An id is an author's handle and often names the trap; the palette shows titles only.
    from quizapp.tui.commands import QuizCommands

    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        provider = QuizCommands(app.screen)
        listed = [(name, help_text) for name, help_text, _ in provider._commands()]
        questions = app.service.bank.questions.values()
        shown = " ".join(f"{name} {help_text}" for name, help_text in listed)
        assert all(q.id not in shown for q in questions)
        assert all(f"Practise: {q.display_title}" in shown for q in questions)


# -- layout, quitting, author mode ------------------------------------------------------------
async def test_small_terminal_and_resizing(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        answer = app.screen.query_one("#answer")
        assert answer.region.bottom <= 24 and answer.region.width > 0
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert app.screen.query_one("#answer").region.width > 0
        await pilot.resize_terminal(140, 45)
        await pilot.pause()
        assert app.screen.query_one("#answer").region.width > 60


async def test_quitting_mid_round_keeps_answers_and_closes(app, fake) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("l", *"(16, 64)", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await pilot.press("ctrl+q")
    assert len(fake.recorded) == 1
    assert all(done for *_, done in fake.sessions.values())
    assert fake.closed


@pytest.mark.parametrize("key", ["s", "b", "p", "f1", "l", "m", "u"])
async def test_typing_ahead_into_quit_closes_cleanly(key: str) -> None:
    # A paste or a fast hand delivers "open a screen" and ctrl+q in one read from the terminal, so
    # the app quits before the new screen has mounted or painted; that must close cleanly.
    fake = FakeService(users=("alice", "bob"))
    app = create_app(fake, user="alice")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        type_ahead(pilot, key, "ctrl+q")
        app.sub_title = "changing as we leave"  # what a runner-status update does meanwhile
        await until(pilot, lambda: app.return_code is not None, timeout=5)
        await pilot.pause()
    assert app.return_code == 0
    assert fake.closed


@pytest.mark.parametrize(
    "action", ["stats", "browse", "scratchpad", "help", "settings", "switch_user"]
)
async def test_leaving_the_moment_a_screen_opens_is_clean(action: str) -> None:
    # The app can close (ctrl+q, a test ending) in the same tick as a screen opens, before that
    # screen has mounted or painted, while the runner's status changes the header; no traceback.
    fake = FakeService(users=("alice", "bob"))
    app = create_app(fake, user="alice")
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        before = app.screen
        await app.run_action(action)
        # (a round and the picker open once a worker has fetched their data)
        await until(pilot, lambda: app.screen is not before)
        app.sub_title = "changing as we leave"
    assert fake.closed


async def test_watch_reloads_changed_yaml(tmp_path: Path) -> None:
    fake = FakeService(bank_dirs=[tmp_path], questions=SAMPLE_QUESTIONS[:1])
    app = create_app(fake, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.pause(0.5)  # let the watcher start
        (tmp_path / "notes.txt").write_text("not a bank file")
        (tmp_path / "new.yaml").write_text("format: 1\nquestions: []\n")
        await until(pilot, lambda: fake.reloads >= 1, timeout=15)
        await pilot.pause()
        assert any("Bank reloaded" in str(n.message) for n in app._notifications)


async def test_quitting_during_a_check_saves_the_answer_first() -> None:
    fake = FakeService(grade_delay=0.4)
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await pilot.pause()
        await pilot.press(*"(16, 64)", "enter")
        await until(pilot, fake.grading.is_set)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running, timeout=6)
    assert [r.question_id for r in fake.recorded] == ["shapes.linear-out"]
    assert fake.closed
