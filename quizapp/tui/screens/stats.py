"""Progress, drawn: accuracy per topic, a year's activity, the due forecast, weakest questions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.messages import PractiseQuestion
from quizapp.tui.practice import clip, format_seconds, plural
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.charts import Chart, bars_text, forecast_text, heatmap_text
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.readiness import ReadinessPanel


@dataclass
class StatsLoaded(Message):
    stats: Any
    error: str | None = None


class StatsScreen(QuizScreen[None]):
    ROUND_KEYS: ClassVar[frozenset[str]] = frozenset({"enter"})
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "Back")]

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        with VerticalScroll(id="stats"):
            yield Static("Loading…", id="st-totals")
            yield ReadinessPanel(id="st-readiness")
            with Horizontal(id="st-row"):
                with Vertical(id="st-accuracy-box"):
                    yield Static("Accuracy by topic", classes="section-title")
                    yield Chart("", id="st-accuracy")
                with Vertical(id="st-forecast-box"):
                    yield Static("Due in the next 14 days", classes="section-title")
                    yield Chart("", id="st-forecast")
            yield Static("Activity, last 12 months", classes="section-title")
            yield Chart("", id="st-heatmap")
            yield Static("Weakest questions (Enter: practise it)", classes="section-title")
            yield DataTable(id="st-weakest", cursor_type="row", zebra_stripes=True)
            with Vertical(id="st-misconceptions-box", classes="hidden"):
                yield Static("Recurring misconceptions", classes="section-title")
                yield Static("", id="st-misconceptions")
        yield Footer(compact=True)

    @unless_closing
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
        t = s.totals
        right = (
            f"{plural(t.attempts, 'answer')} · {t.accuracy:.0%} right"
            if t.accuracy is not None
            else "no answers yet"
        )
        latency = s.median_latency_s
        totals.update(
            Text.assemble(
                (f"{s.user}: ", "bold"),
                f"{right} · {plural(t.questions_seen, 'question')} seen · ",
                f"streak {s.current_streak} (best {s.longest_streak}) · ",
                f"{s.due_today} due today · {s.new_today} new today",
                f" · {format_seconds(latency)} per answer (median)" if latency else "",
            )
        )
        rows = [
            (
                tp.topic,
                tp.accuracy or 0.0,
                f"{tp.accuracy:.0%} of {tp.attempts}" if tp.accuracy is not None else "—",
            )
            for tp in s.topics
        ]
        self.query_one("#st-accuracy", Chart).show(lambda cells: bars_text(rows, 30, fit=cells))
        forecast = [(d.day, d.due) for d in s.due_forecast]
        self.query_one("#st-forecast", Chart).show(forecast_text(forecast))
        activity = {d.day: d.attempts for d in s.activity}
        self.query_one("#st-heatmap", Chart).show(heatmap_text(activity, s.today))
        table = self.query_one("#st-weakest", DataTable)
        table.clear(columns=True)
        table.add_columns("question", "topic", "tries", "right", "lapses", "time")
        for w in s.weakest:
            took = format_seconds(w.median_latency_s) if w.median_latency_s else "—"
            flag = " (leech)" if w.leech else ""
            table.add_row(
                clip(w.title or w.question_id, 30) + flag,
                w.topic,
                str(w.attempts),
                f"{w.accuracy:.0%}",
                str(w.lapses),
                took,
                key=w.question_id,
            )
        recurring = s.misconceptions
        self.query_one("#st-misconceptions-box").set_class(not recurring, "hidden")
        self.query_one("#st-misconceptions", Static).update(misconceptions_text(recurring))

    @on(DataTable.RowSelected, "#st-weakest")
    def _practise(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(PractiseQuestion(event.row_key.value))


def misconceptions_text(recurring: list[Any]) -> Text:
    """One line per misconception: name, how often, when last, on which questions."""
    text = Text()
    for i, m in enumerate(recurring):
        if i:
            text.append("\n")
        text.append(m.name, style="bold")
        text.append(f"  {plural(m.count, 'time')}, last {m.last_seen.date().isoformat()}")
        if m.summary:
            text.append(f"\n  {m.summary}", style="dim")
        text.append("\n  on " + ", ".join(m.titles or m.questions), style="dim")
    return text
