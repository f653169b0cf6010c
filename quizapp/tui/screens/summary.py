"""The end of a round (always, for a mock: also when the clock ran out with nothing answered):
score per topic, each answer against the live truth with its time and clock, the trend against
earlier mocks, and what to review. Enter on an item practises it; `w` explains it (Why?)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from quizapp.practice import ItemReview, RoundSummary
from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.messages import PractiseQuestion
from quizapp.tui.practice import clip, format_seconds
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.charts import bars_text
from quizapp.tui.widgets.explanation import ExplanationView, Section, explanation_sections
from quizapp.tui.widgets.header import QuizHeader

MARKS = {True: "✔", False: "✘"}


@dataclass
class ItemExplained(Message):
    question_id: str
    sections: list[Section]
    message: str = ""
    error: bool = False


def _mark(item: ItemReview) -> str:
    if not item.answered:
        return "—"
    if 0 < item.score < 1:
        return f"{item.score:.0%}"
    return MARKS[item.correct]


class SummaryScreen(QuizScreen[None]):
    ROUND_KEYS: ClassVar[frozenset[str]] = frozenset({"enter"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "practise", "Practise it"),
        Binding("w", "why", "Why?"),
        Binding("escape,h", "app.pop_screen", "Home"),
    ]

    def __init__(self, summary: RoundSummary) -> None:
        super().__init__()
        self.summary = summary
        self.explained: str | None = None

    def compose(self) -> ComposeResult:
        s = self.summary
        yield QuizHeader()
        with VerticalScroll(id="summary"):
            headline = Text(f"{s.mode.label} — finished\n", style="bold")
            headline.append(
                f"Score {s.score:g} / {s.asked}  ·  answered {s.answered}  ·  "
                f"took {format_seconds(s.elapsed_s)}"
            )
            if s.out_of_time:
                headline.append("  ·  the clock ran out", style="bold yellow")
            yield Static(headline, id="s-headline")
            if s.trend is not None:
                yield Static(Text(s.trend.describe()), id="s-trend")
            yield Static("Score per topic", classes="section-title")
            rows = [
                (topic, points / n if n else 0.0, f"{points:g}/{n}")
                for topic, (points, n) in s.per_topic.items()
            ]
            yield Static(bars_text(rows), id="s-topics")
            yield Static(
                "Each answer against the live truth (Enter: practise it · w: why?)",
                classes="section-title",
            )
            yield DataTable(id="s-items", cursor_type="row", zebra_stripes=True)
            yield Static("What to review", classes="section-title")
            review = s.to_review
            if review:
                yield OptionList(
                    *(
                        Option(f"{i.title}  ({i.topic}, {i.kind})", id=f"{n}")
                        for n, i in enumerate(review)
                    ),
                    id="s-review",
                )
            else:
                yield Static("Nothing — all correct.", id="s-review-none")
            with Vertical(id="s-why", classes="hidden") as why:
                why.border_title = "Why?"
                with Horizontal(id="s-why-status"):
                    yield LoadingIndicator(id="s-why-spinner")
                    yield Static("Running the question with instruments…", classes="dim")
                yield ExplanationView("s-why", id="s-why-view")
            yield Static("Recorded like any other practice. Esc: home", classes="dim")
        yield Footer(compact=True)

    @unless_closing
    def on_mount(self) -> None:
        table = self.query_one("#s-items", DataTable)
        table.add_columns("", "question", "topic", "you", "truth", "time")
        for item in self.summary.items:
            took = format_seconds(item.seconds) if item.answered else "—"
            if item.allowed_s is not None:
                took += f"/{format_seconds(item.allowed_s)}"
                if item.over_time:
                    took += " over"
            given = clip(item.given, 12) if item.answered else "(not answered)"
            if item.passed_later:
                given += " (passed later)"
            table.add_row(
                _mark(item),
                clip(item.title, 22),
                item.topic,
                given,
                clip(item.truth or item.feedback, 12),
                took,
                key=item.question_id,
            )
        table.focus()

    # -- acting on an item --------------------------------------------------------------------
    def _selected(self) -> ItemReview | None:
        focused = self.focused
        if isinstance(focused, OptionList) and focused.highlighted is not None:
            return self.summary.to_review[focused.highlighted]
        table = self.query_one("#s-items", DataTable)
        if not self.summary.items:
            return None
        return self.summary.items[min(table.cursor_row, len(self.summary.items) - 1)]

    @on(DataTable.RowSelected, "#s-items")
    @on(OptionList.OptionSelected, "#s-review")
    def _chosen(self, event: DataTable.RowSelected | OptionList.OptionSelected) -> None:
        event.stop()
        self.action_practise()

    def action_practise(self) -> None:
        item = self._selected()
        if item is not None:
            self.post_message(PractiseQuestion(item.question_id))

    def action_why(self) -> None:
        item = self._selected()
        if item is None:
            return
        panel = self.query_one("#s-why")
        panel.remove_class("hidden")
        panel.border_title = f"Why? · {item.title}"
        if self.explained != item.question_id:
            self.explained = item.question_id
            self.query_one("#s-why-status").display = True
            self.explain(item.question_id, item.seed, item.kind)
        panel.scroll_visible()

    @work(thread=True, exclusive=True, group="why")
    def explain(self, question_id: str, seed: int, kind: str) -> None:
        if kind == "recall":
            self.post_message(ItemExplained(question_id, [], "A recall question runs no code."))
            return
        try:
            explanation = self.quiz.service.explain(question_id, seed)
            if explanation is None or explanation.empty:
                self.post_message(
                    ItemExplained(question_id, [], "Nothing to explain by running this one.")
                )
                return
            sections = explanation_sections(explanation, error_title="The run did not finish")
        except Exception as exc:
            reason = str(exc) or type(exc).__name__
            self.post_message(ItemExplained(question_id, [], f"Could not explain: {reason}", True))
            return
        self.post_message(ItemExplained(question_id, sections))

    @on(ItemExplained)
    def _explained(self, message: ItemExplained) -> None:
        if message.question_id != self.explained:
            return
        self.query_one("#s-why-status").display = False
        view = self.query_one("#s-why-view", ExplanationView)
        view.show_sections(message.sections)
        view.show_message(message.message, error=message.error)
