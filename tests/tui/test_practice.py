"""Pilot tests of the practice flow against the in-memory fake service."""

from __future__ import annotations

from quizapp.grading.types import GradeStatus
from quizapp.tui.app import QuizApp
from quizapp.tui.screens.home import HomeScreen
from quizapp.tui.screens.question import QuestionScreen
from quizapp.tui.screens.result import ResultScreen
from quizapp.tui.widgets.answers import ChoiceAnswer, CodeAnswer, RecallAnswer

from .fakes import FakeService
from .helpers import settle, started, text_of, type_ahead, until

SIZE = (100, 30)


async def open_question(app: QuizApp, pilot, question_id: str) -> QuestionScreen:  # type: ignore[no-untyped-def]
    app.practise_question(question_id, 7)
    await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    return screen


async def test_correct_answer_is_saved_before_the_result_shows(
    app: QuizApp, fake: FakeService
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        assert screen.item.question_id == "shapes.linear-out"
        await pilot.press(*"(16, 64)", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        # the attempt was committed in the worker, before the result was posted
        assert [(r.question_id, r.status) for r in fake.recorded] == [
            ("shapes.linear-out", GradeStatus.CORRECT)
        ]
        assert "Correct" in text_of(app, "#r-verdict")
        compare = text_of(app, "#r-compare")
        assert "(16, 64)" in compare and "Live truth" in compare
        assert fake.recorded[0].session_id in fake.sessions


async def test_incorrect_answer_shows_the_live_truth(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_question(app, pilot, "shapes.linear-out")
        await pilot.press(*"(16, 32)", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert "Not quite" in text_of(app, "#r-verdict")
        compare = text_of(app, "#r-compare")
        assert "(16, 32)" in compare and "(16, 64)" in compare
        assert fake.recorded[0].status is GradeStatus.INCORRECT


async def test_invalid_answer_says_why_and_allows_a_retry(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "autograd.square-grad")
        await pilot.press(*"six?", "enter")
        await until(
            pilot, lambda: not screen.checking and fake.calls == ["grade autograd.square-grad"]
        )
        await settle(pilot)
        assert app.screen is screen
        assert "Not a valid answer" in text_of(app, "#q-feedback")
        assert fake.recorded == []  # invalid answers are not attempts
        answer = screen.query_one("#answer")
        answer.value = ""  # type: ignore[attr-defined]
        await pilot.press(*"6.0", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert [r.status for r in fake.recorded] == [GradeStatus.CORRECT]


async def test_hints_one_at_a_time(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "shapes.linear-out")
        assert screen.query_one("#q-hints").has_class("hidden")
        await pilot.press("ctrl+t")
        assert "Hint 1/2" in text_of(app, "#q-hints")
        assert "Hint 2/2" not in text_of(app, "#q-hints")
        await pilot.press("ctrl+t", "ctrl+t")
        assert "Hint 2/2" in text_of(app, "#q-hints")
        assert screen.hints_shown == 2
        await pilot.press(*"(16, 64)", "enter")
        await until(pilot, lambda: bool(fake.recorded))
        assert fake.recorded[0].hints_used == 2


async def test_choice_is_selected_with_a_letter_then_confirmed_with_enter(
    app: QuizApp, fake: FakeService
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "modes.dropout-eval")
        assert isinstance(screen.answer_widget, ChoiceAnswer)
        await pilot.press("b")  # a slip: selected, not submitted
        await settle(pilot)
        assert app.screen is screen and fake.calls == []
        assert screen.answer_widget.highlighted == 1
        await pilot.press("a", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert fake.recorded[0].answer == "A"
        assert fake.recorded[0].status is GradeStatus.CORRECT


async def test_code_question_in_the_editor(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "autograd.write-relu")
        editor = screen.answer_widget
        assert isinstance(editor, CodeAnswer)
        assert editor.text.startswith("def relu(t):")  # seeded with the starter
        editor.text = "def relu(t):\n    return t.clamp(min=0)\n"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert "Correct" in text_of(app, "#r-verdict")
        assert "checked relu" in text_of(app, "#r-compare")  # what the code printed
        assert "clamp" in text_of(app, "#r-solution")


async def test_code_can_be_run_failed_fixed_and_passed_without_seeing_the_solution(
    app: QuizApp, fake: FakeService
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "autograd.write-relu")
        # The unchanged starter is not an attempt: nothing graded, nothing recorded.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "still the starter" in text_of(app, "#q-feedback") and fake.calls == []
        editor = screen.answer_widget
        assert isinstance(editor, CodeAnswer)
        # A syntax error is said, not counted.
        editor.text = "def relu(t):\n    return t.clamp(min=0\n"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "SyntaxError on line 2" in text_of(app, "#q-feedback") and fake.calls == []
        # Run: the code and the check run, nothing is recorded.
        editor.text = "def relu(t):\n    return t.abs()\n"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "check fails" in text_of(app, "#q-feedback"))
        assert "AssertionError" in text_of(app, "#q-feedback") and fake.recorded == []
        # Submit the wrong code: recorded, the check's words, no solution shown.
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        result = app.screen
        assert "AssertionError" in text_of(app, "#r-compare")
        assert result.query_one("#r-solution-box").has_class("hidden")
        assert [r.status for r in fake.recorded] == [GradeStatus.INCORRECT]
        # Try again: the same question with the code kept.
        await pilot.press("t")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        again = app.screen
        assert isinstance(again, QuestionScreen) and again is not screen
        assert again.answer_widget.answer_text() == "def relu(t):\n    return t.abs()\n"
        assert "try 2" in text_of(app, "#q-progress")
        again.answer_widget.text = "def relu(t):\n    return t.clamp(min=0)\n"  # type: ignore[union-attr]
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "passes the check" in text_of(app, "#q-feedback"))
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert "Correct" in text_of(app, "#r-verdict") and "try 2" in text_of(app, "#r-verdict")
        assert not app.screen.query_one("#r-solution-box").has_class("hidden")  # after passing
        assert "Not recorded" in text_of(app, "#r-rating")
        # Only the first submission was recorded (what the scheduler sees).
        assert [r.status for r in fake.recorded] == [GradeStatus.INCORRECT]


async def test_the_reference_solution_on_request(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "autograd.write-relu")
        screen.answer_widget.text = "def relu(t):\n    return t\n"  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        box = app.screen.query_one("#r-solution-box")
        assert box.has_class("hidden")
        await pilot.press("v")
        assert not box.has_class("hidden")


async def test_the_rating_and_when_it_comes_back_and_overriding_it(
    app: QuizApp, fake: FakeService
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_question(app, pilot, "shapes.linear-out")
        await pilot.press(*"(16, 64)", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        rating = text_of(app, "#r-rating")
        assert "Rated Good" in rating and "next in" in rating and "4 Easy" in rating
        await pilot.press("4")
        await until(pilot, lambda: "Rated Easy" in text_of(app, "#r-rating"))
        assert fake.rerated == [(1, 4)]


async def test_editor_keeps_indentation_and_keys_typed_ahead_arrive_in_order(
    app: QuizApp, fake: FakeService
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "autograd.write-relu")
        editor = screen.answer_widget
        assert isinstance(editor, CodeAnswer)
        await pilot.press("ctrl+a", "delete")  # select-all is ctrl+a
        assert editor.text == ""
        # No idle between the keys, as tmux send-keys or a paste delivers them.
        type_ahead(pilot, *"h = 0", "enter", *"while h < 3:", "enter", *"h += 1", "enter")
        type_ahead(pilot, *"# done")
        await until(pilot, lambda: editor.text.endswith("# done"))
        assert editor.text == "h = 0\nwhile h < 3:\n    h += 1\n    # done"
        assert fake.drafts["autograd.write-relu"] == editor.text  # the draft is kept


async def test_recall_reveals_key_points_then_scores_the_ticks(
    app: QuizApp, fake: FakeService
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "modes.no-grad-recall")
        recall = screen.answer_widget
        assert isinstance(recall, RecallAnswer)
        assert screen.query_one("#recall-points").has_class("hidden")
        await pilot.press("ctrl+s")  # nothing written yet
        assert "Write your answer first" in text_of(app, "#q-feedback")
        await pilot.press(*"it stops autograd recording")
        await pilot.press("ctrl+s")
        assert recall.revealed
        assert not screen.query_one("#recall-points").has_class("hidden")
        assert fake.calls == []  # revealing is not grading
        await pilot.press("space", "down", "space", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert fake.recorded[0].answer == "it stops autograd recording"
        assert "67%" in text_of(app, "#r-verdict")


async def test_cancelling_a_running_check(fake: FakeService) -> None:
    from quizapp.tui.app import create_app

    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_question(app, pilot, "shapes.linear-out")
        fake.hold.set()  # grade() now blocks until cancelled
        await pilot.press(*"(16, 64)", "enter")
        await until(pilot, fake.grading.is_set)
        assert screen.checking
        assert not screen.query_one("#q-spinner").has_class("hidden")
        # the UI stays responsive while the worker runs: a hint still appears
        await pilot.press("ctrl+t")
        assert screen.hints_shown == 1
        await pilot.press("escape")
        await until(pilot, lambda: not fake.grading.is_set())
        await settle(pilot)
        assert app.screen is screen  # still on the question, ready to retry
        assert not screen.checking
        assert screen.query_one("#q-spinner").has_class("hidden")
        assert "cancelled" in text_of(app, "#q-feedback")
        assert fake.recorded == []
        fake.hold.clear()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert len(fake.recorded) == 1


async def test_next_question_then_home(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("l", *"(16, 64)", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        assert screen.item.question_id == "autograd.square-grad"
        assert screen.session.position == "2/6"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        sid = fake.recorded[0].session_id
        assert sid is not None and fake.sessions[sid][3]  # the session was ended


async def test_review_with_nothing_due_says_so(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert any("Nothing is due" in str(n.message) for n in app._notifications)


async def test_drill_asks_for_a_topic(app: QuizApp, fake: FakeService) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("down", "enter")  # autograd, modes, shapes -> modes
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        assert screen.session.plan.topic == "modes"
        assert {i.question_id for i in screen.session.items} == {
            "modes.dropout-eval",
            "modes.no-grad-recall",
        }


async def test_typed_ahead_answer_then_submit_keeps_every_key(
    app: QuizApp, fake: FakeService
) -> None:
    # A paste (or a fast hand) delivers the answer and ctrl+s in one read from the terminal; the
    # submit must see every character typed before it, in the editor and in the line input alike.
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await open_question(app, pilot, "shapes.print-size")
        type_ahead(pilot, *"torch.Size([2, 3])", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        assert fake.recorded[-1].answer == "torch.Size([2, 3])"
