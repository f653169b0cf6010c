"""The end of a mock interview: score per topic, time per question, what to review."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.practice import MODES, RoundSummary, format_seconds
from quizapp.tui.widgets.charts import bars_text
from quizapp.tui.widgets.header import QuizHeader


class SummaryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,h", "app.pop_screen", "Home"),
    ]

    def __init__(self, summary: RoundSummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        s = self.summary
        yield QuizHeader()
        with VerticalScroll(id="summary"):
            headline = Text(f"{MODES.get(s.mode, s.mode)} — finished\n", style="bold")
            headline.append(
                f"Score {s.score:g} / {s.asked}  ·  answered {s.answered}  ·  "
                f"took {format_seconds(s.elapsed_s)}"
            )
            if s.out_of_time:
                headline.append("  ·  the clock ran out", style="bold yellow")
            yield Static(headline, id="s-headline")
            yield Static("Score per topic", classes="section-title")
            rows = [
                (topic, points / n if n else 0.0, f"{points:g}/{n}")
                for topic, (points, n) in s.per_topic.items()
            ]
            yield Static(bars_text(rows), id="s-topics")
            yield Static("Time per question", classes="section-title")
            table: DataTable[str] = DataTable(id="s-times", cursor_type="none", zebra_stripes=True)
            yield table
            yield Static("What to review", classes="section-title")
            review = "\n".join(f"• {qid}" for qid in s.to_review) or "Nothing — all correct."
            yield Static(review, id="s-review")
            yield Static("Recorded like any other practice. Esc: home", classes="dim")
        yield Footer(compact=True)

    @unless_closing
    def on_mount(self) -> None:
        table = self.query_one("#s-times", DataTable)
        table.add_columns("question", "time")
        for qid, seconds in self.summary.times:
            table.add_row(qid, format_seconds(seconds))
