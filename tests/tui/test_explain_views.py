"""Pilot tests of explain-by-running in the TUI: the result screen's Why? panel and the
scratchpad, against the fake service (whose explanations are real instruments output)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.tree import Tree
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from quizapp.explain import Explanation
from quizapp.tui.app import QuizApp, create_app
from quizapp.tui.screens.home import HomeScreen
from quizapp.tui.screens.question import QuestionScreen
from quizapp.tui.screens.result import ResultScreen
from quizapp.tui.screens.scratchpad import EXAMPLE, ScratchpadScreen
from quizapp.tui.widgets.explanation import ExplanationView

from .fakes import MLP_QUESTION, SAMPLE_QUESTIONS, FakeService
from .helpers import settle, started, text_of, until

SIZE = (100, 30)
SMALL = (80, 24)


def with_mlp(**kwargs: object) -> FakeService:
    return FakeService(questions=[*SAMPLE_QUESTIONS, MLP_QUESTION], **kwargs)  # type: ignore[arg-type]


async def answer(app: QuizApp, pilot: Pilot[None], question_id: str, *keys: str) -> ResultScreen:
    app.practise_question(question_id, 7)
    await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
    await pilot.pause()
    await pilot.press(*keys)
    await until(pilot, lambda: isinstance(app.screen, ResultScreen))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ResultScreen)
    return screen


async def open_why(pilot: Pilot[None], screen: ResultScreen) -> ExplanationView:
    await pilot.press("w")
    await settle(pilot)
    assert not screen.query_one("#r-why").has_class("hidden")
    assert not screen.query_one("#why-status").display  # the spinner is gone
    return screen.query_one("#why-view", ExplanationView)


def body(app: QuizApp, key: str) -> object:
    return app.screen.query_one(f"#{key}", Static).content


def visible(app: QuizApp, selector: str) -> bool:
    return not app.screen.query_one(selector).has_class("hidden")


# -- the Why? panel ------------------------------------------------------------------------------
async def test_why_shows_the_trace_table_graph_tree_and_modes_table() -> None:
    fake = with_mlp()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await answer(app, pilot, "modes.mlp-output", *"(5, 2)", "enter")
        view = await open_why(pilot, screen)
        assert fake.calls[-1] == "explain modes.mlp-output"
        assert view.shown_keys == ("trace", "graph", "modes")
        assert isinstance(body(app, "why-trace"), Table)
        assert isinstance(body(app, "why-graph"), Tree)
        assert isinstance(body(app, "why-modes"), Group)
        trace = text_of(app, "#why-trace")
        assert "model(x) in train mode" in trace
        assert "BatchNorm1d" in trace and "Dropout" in trace
        assert "AccumulateGrad → model.0.weight" in text_of(app, "#why-graph")
        modes = text_of(app, "#why-modes")
        assert "eval + inference_mode" in modes and "num_batches_tracked" in modes
        assert "Modes" in text_of(app, "#why-modes-title")
        assert not visible(app, "#why-message") and not visible(app, "#why-error")
        await pilot.press("w")  # w again folds the panel; a third time shows it, not rerun
        assert screen.query_one("#r-why").has_class("hidden")
        await pilot.press("w")
        await settle(pilot)
        assert fake.calls.count("explain modes.mlp-output") == 1


async def test_why_without_modes_says_why_there_is_no_comparison() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await answer(app, pilot, "shapes.linear-out", *"(16, 64)", "enter")
        view = await open_why(pilot, screen)
        assert view.shown_keys == ("trace", "graph", "notes")
        assert "layer(x) in train mode" in text_of(app, "#why-trace")
        assert "no Dropout or BatchNorm" in text_of(app, "#why-notes")


async def test_why_for_a_recall_question_runs_nothing() -> None:
    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.practise_question("modes.no-grad-recall", 7)
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        await pilot.pause()
        await pilot.press(*"no graph", "ctrl+s")  # the key points appear
        await pilot.pause()
        await pilot.press("space", "ctrl+s")  # tick one, submit
        await until(pilot, lambda: isinstance(app.screen, ResultScreen))
        screen = app.screen
        assert isinstance(screen, ResultScreen)
        view = await open_why(pilot, screen)
        assert view.shown_keys == ()
        assert "recall question runs no code" in text_of(app, "#why-message")
        assert not any(c.startswith("explain") for c in fake.calls)


async def test_why_with_nothing_to_explain() -> None:
    app = create_app(FakeService())  # the fake explains modes.dropout-eval with None
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await answer(app, pilot, "modes.dropout-eval", "a", "enter")
        view = await open_why(pilot, screen)
        assert view.shown_keys == ()
        assert "Nothing to explain by running" in text_of(app, "#why-message")


async def test_why_when_explaining_fails() -> None:
    fake = FakeService(
        explanations={"shapes.linear-out": RuntimeError("the runner died twice while running")}
    )
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await answer(app, pilot, "shapes.linear-out", *"(16, 64)", "enter")
        view = await open_why(pilot, screen)
        assert view.shown_keys == ()
        said = text_of(app, "#why-message")
        assert said == "Could not explain: the runner died twice while running"
        await pilot.press("n")  # the screen still works
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_why_when_the_run_itself_failed() -> None:
    failed = Explanation(run_error="the runner failed: torch is not installed")
    app = create_app(FakeService(explanations={"shapes.linear-out": failed}))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await answer(app, pilot, "shapes.linear-out", *"(16, 64)", "enter")
        view = await open_why(pilot, screen)
        assert view.shown_keys == ("error",)
        assert text_of(app, "#why-error-title") == "The run did not finish"
        assert "torch is not installed" in text_of(app, "#why-error")


async def test_why_shows_a_spinner_while_it_runs() -> None:
    fake = with_mlp()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await answer(app, pilot, "modes.mlp-output", *"(5, 2)", "enter")
        fake.explain_hold.set()
        await pilot.press("w")
        await until(pilot, lambda: "explain modes.mlp-output" in fake.calls)
        assert screen.query_one("#why-status").display
        assert screen.query_one("#why-view", ExplanationView).shown_keys == ()
        await pilot.press("n")  # the UI is not blocked: it moves on while explain runs
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        fake.explain_hold.clear()
        await settle(pilot)


async def test_why_panel_scrolls_at_80x24() -> None:
    app = create_app(with_mlp())
    async with app.run_test(size=SMALL) as pilot:
        await started(pilot)
        screen = await answer(app, pilot, "modes.mlp-output", *"(5, 2)", "enter")
        await open_why(pilot, screen)
        scroll = screen.query_one("#result", VerticalScroll)
        assert scroll.max_scroll_y > 20  # far taller than the screen
        assert app.focused is scroll  # so the keyboard scrolls it
        await pilot.press("end")
        await pilot.pause()
        modes = screen.query_one("#why-modes")
        assert screen.region.overlaps(modes.region)  # the last section can be read
        for key in ("trace", "graph", "modes"):  # nothing is wider than the terminal
            assert screen.query_one(f"#why-{key}").region.right <= SMALL[0]


# -- the scratchpad ------------------------------------------------------------------------------
async def open_scratchpad(app: QuizApp, pilot: Pilot[None]) -> ScratchpadScreen:
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, ScratchpadScreen))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ScratchpadScreen)
    return screen


def editor(screen: ScratchpadScreen) -> TextArea:
    return screen.query_one("#sp-code", TextArea)


async def run_code(pilot: Pilot[None], screen: ScratchpadScreen, code: str | None) -> None:
    if code is not None:
        editor(screen).text = code
    await pilot.press("ctrl+r")
    await settle(pilot)


async def test_scratchpad_runs_the_example_and_shows_its_trace() -> None:
    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_scratchpad(app, pilot)
        assert editor(screen).text == EXAMPLE
        assert app.focused is editor(screen)
        assert "press ctrl+r" in text_of(app, "#sp-message")
        await run_code(pilot, screen, None)
        assert fake.scratched == [EXAMPLE]
        view = screen.query_one(ExplanationView)
        assert view.shown_keys == ("trace", "graph", "modes")
        assert isinstance(body(app, "sp-trace"), Table)
        assert "model(x) in train mode" in text_of(app, "#sp-trace")
        assert isinstance(body(app, "sp-graph"), Tree)
        assert "Ran in" in text_of(app, "#sp-help")
        assert not visible(app, "#sp-spinner")
        await pilot.press("ctrl+o")  # to the results, which the keyboard then scrolls
        results = screen.query_one("#sp-result", VerticalScroll)
        assert app.focused is results
        await pilot.press("pagedown")
        await pilot.pause()
        assert results.scroll_y > 0
        await pilot.press("ctrl+o")
        assert app.focused is editor(screen)


async def test_scratchpad_shows_output_and_the_error_with_its_line() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_scratchpad(app, pilot)
        code = "x = torch.ones(3)\nprint('before')\nraise ValueError('no good')\n"
        await run_code(pilot, screen, code)
        assert screen.query_one(ExplanationView).shown_keys == ("error", "output")
        assert text_of(app, "#sp-error-title") == "It did not finish"
        assert text_of(app, "#sp-error") == "ValueError in snippet line 3: no good"
        assert text_of(app, "#sp-output") == "before"
        assert "Stopped after" in text_of(app, "#sp-help")
        # a snippet that builds nothing says so
        await run_code(pilot, screen, "x = 1 + 1\n")
        assert screen.query_one(ExplanationView).shown_keys == ()
        assert "no model to trace" in text_of(app, "#sp-message")


async def test_escape_cancels_a_slow_run_without_blocking() -> None:
    fake = FakeService()
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_scratchpad(app, pilot)
        fake.scratch_hold.set()  # the run never ends on its own
        await pilot.press("ctrl+r")
        await until(pilot, fake.scratching.is_set)
        assert screen.running and visible(app, "#sp-spinner")
        assert "Esc cancels" in text_of(app, "#sp-help")
        await pilot.press("x")  # the editor still takes keys while it runs
        assert editor(screen).text.startswith("x")
        await pilot.press("escape")
        await settle(pilot)
        assert fake.scratch_cancelled == 1  # the run itself was stopped
        assert not screen.running and not visible(app, "#sp-spinner")
        assert "Cancelled" in text_of(app, "#sp-message")
        assert screen.query_one(ExplanationView).shown_keys == ()
        assert isinstance(app.screen, ScratchpadScreen)  # Esc while running does not leave
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_the_snippet_survives_leaving_and_coming_back() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_scratchpad(app, pilot)
        await run_code(pilot, screen, "print('kept')\n")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen))
        again = await open_scratchpad(app, pilot)
        assert again is screen
        assert editor(again).text == "print('kept')\n"
        assert text_of(app, "#sp-output") == "kept"  # the last result too


async def test_scratchpad_from_the_palette_and_in_the_footer() -> None:
    app = create_app(FakeService())
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        home = app.screen
        shown = home.active_bindings["p"].binding
        assert (shown.action, shown.description, shown.show) == (
            "app.scratchpad",
            "Scratch",
            True,
        )
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Scratchpad")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ScratchpadScreen))


async def test_a_run_while_the_runner_warms_up_says_so() -> None:
    fake = FakeService(runner="starting")
    app = create_app(fake)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = await open_scratchpad(app, pilot)
        fake.scratch_hold.set()
        await pilot.press("ctrl+r")
        await until(pilot, fake.scratching.is_set)
        assert "still warming up" in text_of(app, "#sp-message")
        fake.scratch_hold.clear()
        await settle(pilot)
        assert screen.query_one(ExplanationView).shown_keys == ("trace", "graph", "modes")
