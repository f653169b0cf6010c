"""Readiness, shown: the countdown, the forecast and today's plan (home), and on the stats screen
the forecast curve to the day, readiness per topic, true retention, the memory distribution and
the offer to fit the scheduler.

Each widget loads its own data in a thread worker (`reload()`), from the service's
`trusted_stats(user)`; a screen mounts it with one line and calls `reload()` when it shows again.
Drawing is pure functions of plain data (tested on their own).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from quizapp.readiness import parse_interview_date, parse_target_retention
from quizapp.tui.widgets.charts import Chart, bars_text

if TYPE_CHECKING:
    from quizapp.tui.ports import QuizAppLike

VERTICAL = " ▁▂▃▄▅▆▇█"
CURVE_HEIGHT = 5
SET_DATE_HINT = "quizapp users set {user} --interview YYYY-MM-DD"


@dataclass
class TrustedLoaded(Message):
    trusted: Any  # quizapp.readiness.TrustedStats, or None after an error
    error: str | None = None


class _Loader:
    """Mixin: load `trusted_stats` for the app's profile off the UI thread."""

    app: Any

    def reload(self) -> None:
        quiz = cast("QuizAppLike", self.app)
        if quiz.ready and quiz.user:
            self._load(quiz.user)

    @work(thread=True, exclusive=True, group="readiness")
    def _load(self, user: str) -> None:
        try:
            trusted = cast("QuizAppLike", self.app).service.trusted_stats(user)
        except Exception as exc:  # progress unreadable: say so, never crash the screen
            self.post_message(TrustedLoaded(None, str(exc)))  # type: ignore[attr-defined]
            return
        self.post_message(TrustedLoaded(trusted))  # type: ignore[attr-defined]


def summary_text(readiness: Any) -> Text:
    """Home's three lines: countdown, now -> on the day, today's plan."""
    out = Text()
    out.append(readiness.countdown(), style="bold")
    out.append("\n")
    out.append(readiness.headline(), style="cyan")
    out.append("\n")
    out.append(readiness.plan.line(), style="bold")
    if readiness.plan.needed_per_day:
        out.append(f" (needs {readiness.plan.needed_per_day} new a day)", style="dim")
    return out


class ReadinessSummary(_Loader, Static):
    """Home: hidden until the profile has an interview date."""

    def on_mount(self) -> None:
        self.add_class("hidden")
        self.reload()

    @on(TrustedLoaded)
    def _show(self, message: TrustedLoaded) -> None:
        message.stop()
        ready = message.trusted.readiness if message.trusted is not None else None
        self.set_class(ready is None, "hidden")
        if ready is not None:
            self.update(summary_text(ready))


def curve_text(
    shares: Sequence[float],
    labels: tuple[str, str],
    width: int,
    *,
    height: int = CURVE_HEIGHT,
    target: float | None = None,
) -> Text:
    """The forecast as a filled curve up to 100%, today (left) to the day (right), stretched or
    resampled to fill `width` cells beside a 5-cell axis; days at or above the target in green."""
    if not shares:
        return Text("no forecast", style="dim")
    columns = max(8, width - 6)
    points = [shares[min(len(shares) - 1, i * len(shares) // columns)] for i in range(columns)]
    points[-1] = shares[-1]
    out = Text()
    goal = 1.0 if target is None else target
    # The axis starts at 0, or a tenth below the lowest point when the whole curve sits high
    # (a 91% -> 94% forecast drawn from 0 would be a flat block).
    low = max(0.0, math.floor(min(points) * 10) / 10 - 0.1) if min(points) >= 0.5 else 0.0
    span = 1.0 - low
    for row in range(height, 0, -1):
        axis = {height: "100% ", 1: f"{low:>4.0%} "}.get(row, "     ")
        out.append(axis, style="dim")
        for share in points:
            level = (share - low) / span * height - (row - 1)
            cell = VERTICAL[max(0, min(8, round(level * 8)))]
            out.append(cell, style="green" if share >= goal else "cyan")
        out.append("\n")
    left, right = labels
    gap = max(1, len(points) - len(left) - len(right))
    out.append("     " + left + " " * gap + right, style="dim")
    return out


def retention_text(trusted: Any) -> Text:
    out = Text()
    out.append(f"{'':<13}{'mature':>16}{'young':>16}\n", style="dim")
    for w in trusted.retention:
        out.append(f"last {w.days:>3} days ")
        for count in (w.mature, w.young):
            value = count.retention
            shown = "—" if value is None else f"{value:.0%}"
            out.append(f"{shown:>7} of {count.reviews:<5}", style="bold" if value else "dim")
        out.append("\n")
    topics = trusted.retention[1].by_topic if len(trusted.retention) > 1 else {}
    if topics:
        parts = []
        for topic, kinds in sorted(topics.items()):
            both = [kinds["mature"], kinds["young"]]
            reviews = sum(c.reviews for c in both)
            right = sum(c.right for c in both)
            parts.append(f"{topic} {right / reviews:.0%}" if reviews else f"{topic} —")
        out.append("30 days by topic: " + " · ".join(parts), style="dim")
    return out


def memory_text(trusted: Any, width: int) -> Text:
    rows = []
    total = sum(b.stability for b in trusted.memory) or 1
    for b in trusted.memory:
        rows.append((f"stability {b.label}", b.stability / total, f"{b.stability}"))
    return bars_text(rows, 24, fit=width)


def optimizer_text(trusted: Any, user: str) -> Text:
    if trusted.reviews_needed_for_fit:
        return Text(
            f"Fitting the scheduler to you needs {trusted.reviews_needed_for_fit} more "
            f"review(s) ({trusted.reviews_for_fit} so far).",
            style="dim",
        )
    verb = "Refit" if trusted.fitted else "Fit"
    return Text.assemble(
        (f"{trusted.reviews_for_fit} reviews: enough to fit the scheduler to you. ", ""),
        (f"{verb} it with: quizapp optimize --user {user}", "bold"),
    )


class ReadinessPanel(_Loader, Vertical):
    """Stats: forecast curve, per-topic readiness, true retention, memory, the optimizer."""

    def compose(self) -> ComposeResult:
        yield Static("Ready by the interview", classes="section-title")
        yield Static("Loading…", id="rd-summary")
        yield Chart("", id="rd-curve")
        yield Chart("", id="rd-topics")
        yield Static("True retention (reviews a day or more apart)", classes="section-title")
        yield Static("", id="rd-retention")
        yield Static("Memory: cards by stability", classes="section-title")
        yield Chart("", id="rd-memory")
        yield Static("", id="rd-optimizer")

    def on_mount(self) -> None:
        self.reload()

    @on(TrustedLoaded)
    def _show(self, message: TrustedLoaded) -> None:
        message.stop()
        summary = self.query_one("#rd-summary", Static)
        trusted = message.trusted
        if trusted is None:
            summary.update(Text(f"Could not read progress: {message.error}", style="red"))
            return
        user = cast("QuizAppLike", self.app).user or "NAME"
        ready = trusted.readiness
        curve = self.query_one("#rd-curve", Chart)
        topics = self.query_one("#rd-topics", Chart)
        if ready is None:
            summary.update(
                Text.assemble(
                    ("No interview date. Plan to one with ", "dim"),
                    (SET_DATE_HINT.format(user=user), "bold"),
                )
            )
            curve.display = topics.display = False
        else:
            summary.update(summary_text(ready))
            shares = [p.share for p in ready.curve]
            labels = (
                f"today {ready.today:.0%}",
                f"{ready.interview_date:%d %b} {ready.at_pace:.0%}",
            )
            target = ready.target_retention
            curve.show(lambda cells: curve_text(shares, labels, cells, target=target))
            rows = [
                (t.topic, t.at_pace, f"{t.at_pace:.0%} on the day, {t.today:.0%} now")
                for t in ready.by_topic
            ]
            topics.show(lambda cells: bars_text(rows, 30, fit=cells))
            curve.display = topics.display = True
        self.query_one("#rd-retention", Static).update(retention_text(trusted))
        self.query_one("#rd-memory", Chart).show(lambda cells: memory_text(trusted, cells))
        self.query_one("#rd-optimizer", Static).update(optimizer_text(trusted, user))


@dataclass
class InterviewLoaded(Message):
    settings: Any  # quizapp.progress.ProfileReadiness, or None after an error
    error: str = ""


class InterviewSettings(Vertical):
    """The interview date and target retention of a profile, for the settings screen (mounted
    with `yield InterviewSettings(user)`); Enter in either field or the button saves them."""

    def __init__(self, user: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    def compose(self) -> ComposeResult:
        yield Label("Interview date (YYYY-MM-DD; empty: none): plan and forecast to it")
        yield Input(id="set-interview", placeholder="2027-01-15")
        yield Label("Target retention on the day (0.5 to 0.99)")
        yield Input(id="set-retention", placeholder="0.9")
        with Horizontal(id="set-interview-buttons"):
            yield Button("Save interview", id="set-interview-save", compact=True)
        yield Static("", id="set-interview-message")

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="interview-settings")
    def _load(self) -> None:
        try:
            settings = cast("QuizAppLike", self.app).service.readiness_settings(self.user)
        except Exception as exc:
            self.post_message(InterviewLoaded(None, str(exc)))
            return
        self.post_message(InterviewLoaded(settings))

    @on(InterviewLoaded)
    def _loaded(self, message: InterviewLoaded) -> None:
        message.stop()
        if message.settings is None:
            self._say(f"Could not read the interview settings: {message.error}", error=True)
            return
        day = message.settings.interview_date
        self.query_one("#set-interview", Input).value = day.isoformat() if day else ""
        self.query_one("#set-retention", Input).value = f"{message.settings.target_retention:g}"

    @on(Input.Submitted, "#set-interview, #set-retention")
    @on(Button.Pressed, "#set-interview-save")
    def save(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        try:
            day = parse_interview_date(self.query_one("#set-interview", Input).value)
            target = parse_target_retention(self.query_one("#set-retention", Input).value or "0.9")
        except ValueError as error:
            self._say(str(error), error=True)
            return
        self._save(day, target)

    @work(thread=True, exclusive=True, group="interview-settings")
    def _save(self, day: Any, target: float) -> None:
        try:
            saved = cast("QuizAppLike", self.app).service.set_readiness(
                self.user, interview=day, target_retention=target
            )
        except Exception as exc:
            self.app.call_from_thread(self._say, f"Could not save: {exc}", error=True)
            return
        when = saved.interview_date.isoformat() if saved.interview_date else "none"
        self.app.call_from_thread(
            self._say, f"Saved: interview {when}, target {saved.target_retention:.0%}"
        )

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#set-interview-message", Static)
        box.update(Text(text, style="red" if error else "green"))


__all__ = [
    "InterviewSettings",
    "ReadinessPanel",
    "ReadinessSummary",
    "curve_text",
    "summary_text",
]
