"""The verdict: right or not, the answer beside the live truth, feedback, output, explanation.

The attempt is already committed when this screen shows. `w` opens the "Why?" panel, which
reruns the question with instruments attached (svc.explain) in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Markdown, Static

from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.tui.ports import ShownQuestionLike
from quizapp.tui.practice import Round
from quizapp.tui.widgets.explanation import ExplanationView, Section, explanation_sections
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.question_view import setup_syntax, title_line

if TYPE_CHECKING:
    from quizapp.tui.app import QuizApp

NOTHING_RECALL = "A recall question runs no code, so there is nothing to explain by running."
NOTHING_TO_RUN = (
    "Nothing to explain by running: this question never runs a model on an input (nothing to "
    "trace layer by layer) and builds no autograd graph to draw."
)
RUN_STOPPED = "The run did not finish"

VERDICTS = {
    GradeStatus.CORRECT: ("✔ Correct", "verdict-correct"),
    GradeStatus.INCORRECT: ("✘ Not quite", "verdict-incorrect"),
    GradeStatus.TIMEOUT: ("⏱ Timed out", "verdict-incorrect"),
    GradeStatus.ERROR: ("⚠ Error", "verdict-error"),
    GradeStatus.INVALID: ("? Invalid answer", "verdict-error"),
}


@dataclass
class Explained(Message):
    sections: list[Section]
    message: str = ""  # said instead of (or above) the sections
    error: bool = False


def verdict_text(result: GradeResult) -> Text:
    label, _ = VERDICTS[result.status]
    text = Text(label, style="bold")
    if result.score is not None and 0 < result.score < 1:
        text.append(f"  ({result.score:.0%} of the key points)", style="")
    return text


def misconception_widgets(result: GradeResult) -> list[Static | Markdown]:
    """ "Likely misconception: ..." and its explanation, for a wrong answer that matched one."""
    m = result.misconception
    if m is None or result.status is GradeStatus.CORRECT:
        return []
    line = Text.assemble(("Likely misconception: ", "bold"), m.summary, (f"  ({m.name})", "dim"))
    widgets: list[Static | Markdown] = [Static(line, id="r-misconception")]
    if m.explanation.strip():
        widgets.append(Markdown(m.explanation.strip(), id="r-misconception-why"))
    return widgets


def comparison(result: GradeResult, kind: str) -> RenderableType:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    if kind == "code":
        if result.feedback:
            table.add_row("Check said", Text(result.feedback, style="red"))
    elif kind == "recall":
        table.add_row("You wrote", Text(result.given.strip() or "(nothing)"))
    else:
        given = result.given_display or result.given.strip()
        table.add_row("Your answer", Text(given))
        table.add_row("Live truth", Text(result.expected_display or str(result.expected)))
        if result.feedback and result.status is not GradeStatus.CORRECT:
            table.add_row("Why", Text(result.feedback))
    if result.stdout.strip() and kind != "output":  # for output the truth is what it printed
        table.add_row("Printed", Text(result.stdout.rstrip(), style="dim"))
    if result.torch_version:
        table.add_row("Ran on", Text(f"{result.device}, torch {result.torch_version}", style="dim"))
    return table


class ResultScreen(Screen[None]):
    # app.tcss styles -narrow; Screen declares this without ClassVar, so mypy refuses one
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,enter", "next", "Next"),
        Binding("w", "why", "Why?"),
        Binding("escape,h", "home", "Home"),
    ]

    def __init__(self, rnd: Round, shown: ShownQuestionLike, result: GradeResult) -> None:
        super().__init__()
        self.round = rnd
        self.shown = shown
        self.result = result
        self.why_loaded = False

    @property
    def quiz(self) -> QuizApp:
        return cast("QuizApp", self.app)

    def compose(self) -> ComposeResult:
        _, css_class = VERDICTS[self.result.status]
        kind = self.shown.question.kind.value
        yield QuizHeader()
        with VerticalScroll(id="result"):
            yield Static(title_line(self.shown), id="r-title")
            yield Static(verdict_text(self.result), id="r-verdict", classes=css_class)
            yield Static(comparison(self.result, kind), id="r-compare")
            yield from misconception_widgets(self.result)
            q = self.shown.question
            if kind == "code" and q.solution:
                yield Static("A reference solution", classes="section-title")
                yield Static(setup_syntax(q.solution.rstrip()), id="r-solution")
            if kind == "recall" and q.key_points:
                yield Static(_key_points(q.key_points, self.result), id="r-points")
            if self.shown.explanation:
                yield Markdown(self.shown.explanation, id="r-explanation")
            with Vertical(id="r-why", classes="hidden") as why:
                why.border_title = "Why? · the question rerun with instruments"
                with Horizontal(id="why-status"):
                    yield LoadingIndicator(id="why-spinner")
                    yield Static("Running the question with instruments…", id="why-running")
                yield ExplanationView("why", id="why-view")
            yield Static(self._next_line(), id="r-next")
        yield Footer(compact=True)

    def _next_line(self) -> str:
        more = self.round.index + 1 < len(self.round.items)
        nxt = "n: next question" if more else "n: finish"
        return f"Saved. {nxt} · w: why? · Esc: home"

    def action_next(self) -> None:
        self.quiz.next_question(self.round)

    def action_home(self) -> None:
        self.quiz.finish_round(self.round)

    def action_why(self) -> None:
        panel = self.query_one("#r-why")
        panel.toggle_class("hidden")
        if not panel.has_class("hidden"):
            panel.scroll_visible()
            if not self.why_loaded:
                self.why_loaded = True
                self.explain()

    @work(thread=True, exclusive=True, group="why")
    def explain(self) -> None:
        q = self.shown.question
        if q.kind.value == "recall":
            self.post_message(Explained([], NOTHING_RECALL))
            return
        try:
            explanation = self.quiz.service.explain(q.id, self.shown.seed)
            if explanation is None or explanation.empty:
                self.post_message(Explained([], NOTHING_TO_RUN))
                return
            sections = explanation_sections(explanation, error_title=RUN_STOPPED)
        except ImportError:
            self.post_message(Explained([], "Explanations are not available in this build."))
            return
        except Exception as exc:
            self.post_message(Explained([], f"Could not explain: {_say(exc)}", error=True))
            return
        self.post_message(Explained(sections, "" if sections else NOTHING_TO_RUN))

    @on(Explained)
    def _explained(self, message: Explained) -> None:
        self.query_one("#why-status").display = False
        view = self.query_one(ExplanationView)
        view.show_sections(message.sections)
        view.show_message(message.message, error=message.error)
        self.call_after_refresh(self.query_one("#r-why").scroll_visible)


def _say(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


def _key_points(points: tuple[str, ...], result: GradeResult) -> Text:
    ticked = set(result.extra.get("ticked", ()))
    text = Text("Key points\n", style="bold")
    for i, point in enumerate(points):
        mark = "☑ " if i in ticked else "• "
        text.append(mark + point + ("\n" if i < len(points) - 1 else ""))
    return text
