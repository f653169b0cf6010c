"""A wrong answer shows its likely misconception, and the stats screen lists it (the real
service: the misconceptions fixture bank, a temporary SQLite file, the real runner)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import text_of, until

pytestmark = pytest.mark.slow

MISC_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "misconceptions"


async def test_a_wrong_answer_shows_its_misconception_and_stats_list_it(tmp_path: Path) -> None:
    from quizapp.config import Settings
    from quizapp.service import QuizService
    from quizapp.tui.app import create_app
    from quizapp.tui.screens.question import QuestionScreen
    from quizapp.tui.screens.result import ResultScreen
    from quizapp.tui.screens.stats import StatsScreen

    # The docs' own example (docs/question-format.md, "Misconceptions"), alone in a bank.
    source = (MISC_BANK / "misconceptions.yaml").read_text(encoding="utf-8")
    first = source.split("\n\n  - id: ")[0]
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "linear.yaml").write_text(first + "\n", encoding="utf-8")
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'quiz.sqlite3'}", bank_dirs=(bank,), device="cpu"
    )
    service = QuizService.create(settings)
    assert list(service.bank.questions) == ["misc.linear-weight-shape"]
    service.add_user("tester")
    app = create_app(service, user="tester")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.ready and app.user == "tester", timeout=60)
        await until(pilot, lambda: service.runner_status().phase != "starting", timeout=60)
        app.start_round("drill", "fixture")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen), timeout=30)
        screen = app.screen
        assert isinstance(screen, QuestionScreen)
        params = screen.shown.params
        await pilot.pause()
        await pilot.press(*f"({params['fan_in']}, {params['fan_out']})", "enter")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen), timeout=60)
        result_screen = app.screen
        assert isinstance(result_screen, ResultScreen)
        line = text_of(app, "#r-misconception")
        assert "Likely misconception:" in line and "transposed-weight" in line
        assert "(in_features, out_features)" in line
        why = result_screen.query_one("#r-misconception-why")
        assert why is not None
        await app.workers.wait_for_complete()
        app.push_screen(StatsScreen())
        await until(pilot, lambda: isinstance(app.screen, StatsScreen), timeout=10)
        stats_screen = app.screen
        await until(
            pilot,
            lambda: any(
                not box.has_class("hidden") for box in stats_screen.query("#st-misconceptions-box")
            ),
            timeout=30,
        )
        listed = text_of(app, "#st-misconceptions")
        assert "transposed-weight" in listed and "1 time" in listed
        title = service.bank.questions["misc.linear-weight-shape"].display_title
        assert f"on {title}" in listed  # by its title: an id may name the trap


async def test_failing_code_is_told_the_mistake_it_makes_on_run_and_on_submit(
    tmp_path: Path,
) -> None:
    """The question's known wrong solutions run through its check while the learner writes
    (one prefetch run); a Run that fails like one of them says so at once, and so does the
    result of a submission."""
    from quizapp.config import Settings
    from quizapp.service import QuizService
    from quizapp.tui.app import create_app
    from quizapp.tui.screens.question import QuestionScreen
    from quizapp.tui.screens.result import ResultScreen
    from quizapp.tui.widgets.answers import CodeAnswer

    source = (MISC_BANK / "misconceptions.yaml").read_text(encoding="utf-8")
    header = source.split("\n\n  - id: ")[0].split("  - id: ")[0]
    center = "  - id: misc.code-center-rows" + source.split("  - id: misc.code-center-rows")[1]
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "center.yaml").write_text(header + center, encoding="utf-8")
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'quiz.sqlite3'}", bank_dirs=(bank,), device="cpu"
    )
    service = QuizService.create(settings)
    assert list(service.bank.questions) == ["misc.code-center-rows"], service.bank.problems
    service.add_user("tester")
    app = create_app(service, user="tester")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.ready and app.user == "tester", timeout=60)
        await until(pilot, lambda: service.runner_status().phase != "starting", timeout=60)
        app.practise_question("misc.code-center-rows", 2)
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen), timeout=30)
        screen = app.screen
        assert isinstance(screen, QuestionScreen) and isinstance(screen.answer_widget, CodeAnswer)
        screen.answer_widget.text = "def center(x):\n    return x - x.mean(0)\n"
        # the known wrong solutions run while the learner writes (a loaded machine may take a
        # while, and a verdict waits for them only a moment)
        await until(pilot, lambda: bool(service.grader._outcomes), timeout=120)
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "check fails" in text_of(app, "#q-feedback"), timeout=60)
        feedback = text_of(app, "#q-feedback")
        assert "Fails like a known mistake: Subtracts each column's mean" in feedback, feedback
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ResultScreen), timeout=60)
        result_screen = app.screen
        assert isinstance(result_screen, ResultScreen)
        assert "column-means" in text_of(app, "#r-misconception")
        assert result_screen.query("#r-misconception-why")  # the explanation, shown
        shown = result_screen.result.misconception
        assert shown is not None and "tensor runs along dim 1" in shown.explanation
        assert f"(4, {screen.shown.params['cols']})" in shown.explanation  # params in
    runs = service.grader._outcomes
    assert len(runs) == 1  # one run of the misconceptions served the Run and the submission
