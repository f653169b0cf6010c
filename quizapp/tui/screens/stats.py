"""Progress, drawn: accuracy per topic, a year's activity, the due forecast, weakest questions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from quizapp.tui.practice import format_seconds
from quizapp.tui.widgets.charts import Chart, bars_text, forecast_text, heatmap_text

if TYPE_CHECKING:
    from quizapp.tui.app import QuizApp


@dataclass
class StatsLoaded(Message):
    stats: Any
    error: str | None = None


class StatsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "Back")]

    @property
    def quiz(self) -> QuizApp:
        return cast("QuizApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats"):
            yield Static("Loading…", id="st-totals")
            with Horizontal(id="st-row"):
                with Vertical(id="st-accuracy-box"):
                    yield Static("Accuracy by topic", classes="section-title")
                    yield Chart("", id="st-accuracy")
                with Vertical(id="st-forecast-box"):
                    yield Static("Due in the next 14 days", classes="section-title")
                    yield Chart("", id="st-forecast")
            yield Static("Activity, last 12 months", classes="section-title")
            yield Chart("", id="st-heatmap")
            yield Static("Weakest questions", classes="section-title")
            yield DataTable(id="st-weakest", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.reload_data()

    def reload_data(self) -> None:
        if self.quiz.ready and self.quiz.user:
            self.load(self.quiz.user)

    @work(thread=True, exclusive=True, group="stats")
    def load(self, user: str) -> None:
        try:
            stats = self.quiz.service.stats(user)
        except Exception as exc:
            self.post_message(StatsLoaded(None, str(exc)))
            return
        self.post_message(StatsLoaded(stats))

    @on(StatsLoaded)
    def show_stats(self, message: StatsLoaded) -> None:
        s = message.stats
        totals = self.query_one("#st-totals", Static)
        if s is None:
            totals.update(Text(f"Could not read progress: {message.error}", style="red"))
            return
        totals.update(
            Text.assemble(
                (f"{self.quiz.user}: ", "bold"),
                f"{s.total_attempts} answers · {s.accuracy:.0%} right · ",
                f"streak {s.current_streak} (best {s.longest_streak}) · ",
                f"{s.due_today} due today · {s.new_today} new · ",
                f"{format_seconds(s.mean_seconds)} per question",
            )
        )
        rows = [
            (t.topic, t.accuracy, f"{t.accuracy:.0%} of {t.attempts}" if t.attempts else "—")
            for t in s.topics
        ]
        self.query_one("#st-accuracy", Chart).show(bars_text(rows, width=20))
        self.query_one("#st-forecast", Chart).show(forecast_text(s.forecast))
        self.query_one("#st-heatmap", Chart).show(heatmap_text(s.activity, s.today))
        table = self.query_one("#st-weakest", DataTable)
        table.clear(columns=True)
        table.add_columns("question", "topic", "tries", "right")
        for w in s.weakest:
            table.add_row(w.question_id, w.topic, str(w.attempts), f"{w.accuracy:.0%}")
