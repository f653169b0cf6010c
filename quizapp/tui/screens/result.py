"""The verdict: right or not, the answer beside the live truth, feedback, output, explanation,
the rating it earned and when the question comes back.

The attempt is already committed when this screen shows (the round's first submission of the
question is what the scheduler sees). 1-4 override the rating (Anki's Again/Hard/Good/Easy) before
moving on. A failed code answer can be tried again with the code kept (`t`); its reference
solution shows only on request (`v`) or after passing. `w` opens the "Why?" panel, which reruns
the question with instruments attached (svc.explain) in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, LoadingIndicator, Markdown, Static

from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.practice import PracticeSession, Submission
from quizapp.tui.messages import LeaveRound, NextQuestion, QuestionReady, TryAgain
from quizapp.tui.ports import ShownQuestionLike
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.explanation import ExplanationView, Section, explanation_sections
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.question_view import setup_syntax, title_line

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}

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
class Rerated(Message):
    record: Any
    error: str = ""


def comes_back(due: datetime | None, now: datetime | None = None) -> str:
    """'next in 10 minutes', 'next in 3 days': when the scheduler brings the question back."""
    if due is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = (due - now).total_seconds()
    if seconds < 60:
        return "back in this session"
    for size, unit in ((86400 * 30, "month"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = round(seconds / size)
            return f"next in {n} {unit}{'' if n == 1 else 's'}"
    return "back soon"


def rating_text(record: Any, *, first: bool) -> Text:
    if record is None or not first:
        text = Text("Not recorded: ", style="bold")
        text.append("the round's first submission of this question is what the scheduler saw.")
        return text
    text = Text("Rated ", style="")
    text.append(RATINGS.get(record.rating, str(record.rating)), style="bold")
    when = comes_back(record.due_at, record.answered_at)
    if when:
        text.append(f" · {when}")
    text.append("   1 Again · 2 Hard · 3 Good · 4 Easy to change it", style="dim")
    return text


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
    """ "Likely misconception: ..." (or, for failing code, "Fails like a known mistake: ...") and
    its explanation, for a wrong answer that matched one."""
    m = result.misconception
    if m is None or result.status is GradeStatus.CORRECT:
        return []
    line = Text.assemble((f"{m.label}: ", "bold"), m.summary, (f"  ({m.name})", "dim"))
    widgets: list[Static | Markdown] = [Static(line, id="r-misconception")]
    if m.explanation.strip():
        widgets.append(Markdown(m.explanation.strip(), id="r-misconception-why"))
    return widgets


PRINTED_LINES = 30  # more than this is cut here, and the cut is said
RUNNER_OUTPUT_CAP = "64 KiB"  # what the runner keeps of a run's output (runner.md)


def printed_text(result: GradeResult) -> Text:
    """What the code printed; a cut (here, or by the runner) says so and at what size."""
    lines = result.stdout.rstrip().splitlines()
    text = Text("\n".join(lines[:PRINTED_LINES]), style="dim")
    if len(lines) > PRINTED_LINES:
        text.append(
            f"\n… cut: {len(lines) - PRINTED_LINES} more lines "
            f"({len(lines)} in all, {PRINTED_LINES} shown)",
            style="yellow",
        )
    if result.extra.get("stdout_truncated"):
        text.append(
            f"\n… the runner kept only the first {RUNNER_OUTPUT_CAP} of the output", style="yellow"
        )
    return text


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
        table.add_row("Printed", printed_text(result))
    if result.torch_version:
        table.add_row("Ran on", Text(f"{result.device}, torch {result.torch_version}", style="dim"))
    return table


class ResultScreen(QuizScreen[None]):
    ROUND_KEYS: ClassVar[frozenset[str]] = frozenset({"n", "t", "enter"})
    # app.tcss styles -narrow; Screen declares this without ClassVar, so mypy refuses one
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,enter", "next", "Next"),
        Binding("t", "try_again", "Try again"),
        Binding("v", "solution", "Solution"),
        Binding("w", "why", "Why?"),
        Binding("escape,h", "home", "Home"),
        *(Binding(str(n), f"rate({n})", name, show=False) for n, name in RATINGS.items()),
    ]

    def __init__(
        self, session: PracticeSession, shown: ShownQuestionLike, submission: Submission
    ) -> None:
        super().__init__()
        self.session = session
        self.shown = shown
        self.submission = submission
        self.result = submission.result
        self.record = submission.recorded if submission.first else session.state().record
        self.why_loaded = False

    @property
    def is_code(self) -> bool:
        return self.shown.question.kind.value == "code"

    @property
    def can_try_again(self) -> bool:
        return self.is_code and not self.result.correct

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "try_again":
            return self.can_try_again
        if action == "solution":
            return self.can_try_again and bool(self.shown.question.solution)
        return True

    def compose(self) -> ComposeResult:
        _, css_class = VERDICTS[self.result.status]
        kind = self.shown.question.kind.value
        yield QuizHeader()
        yield Static(title_line(self.shown, self.session.label), id="r-title")
        with VerticalScroll(id="result"):
            verdict = verdict_text(self.result)
            if self.submission.tries > 1:
                verdict.append(f"  (try {self.submission.tries})", style="")
            yield Static(verdict, id="r-verdict", classes=css_class)
            yield Static(rating_text(self.record, first=self.submission.first), id="r-rating")
            yield Static(comparison(self.result, kind), id="r-compare")
            yield from misconception_widgets(self.result)
            q = self.shown.question
            if kind == "code" and q.solution:
                # Only after passing, or when asked for (v): a failed try keeps it hidden.
                with Vertical(id="r-solution-box", classes="" if self.result.correct else "hidden"):
                    yield Static("A reference solution", classes="section-title")
                    yield Static(setup_syntax(q.solution.rstrip()), id="r-solution")
            if kind == "recall" and q.key_points:
                yield Static(_key_points(q.key_points, self.result), id="r-points")
            if self.shown.explanation and (kind != "code" or self.result.correct):
                yield Markdown(self.shown.explanation, id="r-explanation")
            with Vertical(id="r-why", classes="hidden") as why:
                why.border_title = "Why? · the question rerun with instruments"
                with Horizontal(id="why-status"):
                    yield LoadingIndicator(id="why-spinner")
                    yield Static("Running the question with instruments…", id="why-running")
                yield ExplanationView("why", id="why-view")
        yield Static(self._next_line(), id="r-next")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.call_after_refresh(self.post_message, QuestionReady())

    def _next_line(self) -> str:
        nxt = "n: next question" if self.session.has_next else "n: finish"
        again = "t: try again (code kept) · v: solution · " if self.can_try_again else ""
        return f"Saved. {again}{nxt} · w: why? · Esc: home"

    def action_next(self) -> None:
        self.post_message(NextQuestion(self.session))

    def action_try_again(self) -> None:
        if self.can_try_again:
            self.post_message(TryAgain(self.session))

    def action_solution(self) -> None:
        box = self.query("#r-solution-box")
        if box:
            box.first().remove_class("hidden")
            box.first().scroll_visible()

    def action_home(self) -> None:
        self.post_message(LeaveRound(self.session))

    def action_rate(self, rating: int) -> None:
        if self.record is None or not self.submission.first:
            self.notify("Only the round's first submission of a question is rated.")
            return
        self.rerate(rating)

    @work(thread=True, exclusive=True, group="rate")
    def rerate(self, rating: int) -> None:
        try:
            record = self.session.rerate(rating)
        except Exception as exc:
            self.post_message(Rerated(None, str(exc) or type(exc).__name__))
            return
        self.post_message(Rerated(record))

    @on(Rerated)
    def _rerated(self, message: Rerated) -> None:
        if message.record is None:
            self.notify(f"Could not change the rating: {message.error}", severity="error")
            return
        self.record = message.record
        self.query_one("#r-rating", Static).update(rating_text(self.record, first=True))

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
