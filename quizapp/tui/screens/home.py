"""Home: what is due today, the streak, progress per topic (seen / learning / mature), and the
ways to practise. The keys post StartRound; the app plans and opens the round."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Static

from quizapp.practice.modes import PracticeMode
from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.messages import StartRound
from quizapp.tui.ports import QuizAppLike
from quizapp.tui.practice import plural
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.charts import Chart, bars_text
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.readiness import ReadinessSummary

ACTIONS = (
    (PracticeMode.REVIEW, "r", "Review"),
    (PracticeMode.LEARN, "l", "Learn"),
    (PracticeMode.DRILL, "d", "Drill"),
    (PracticeMode.MOCK, "m", "Mock"),
)


@dataclass
class HomeData(Message):
    stats: Any
    questions: int
    problems: int
    runner_failed: str | None


class HomeScreen(QuizScreen[None]):
    ROUND_KEYS: ClassVar[frozenset[str]] = frozenset({"l", "r", "m", "x"})
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(key, f"start('{mode.value}')", label) for mode, key, label in ACTIONS),
        Binding("x", "start('mixed')", "Mixed", show=False),
        Binding("s", "app.stats", "Stats"),
        Binding("p", "app.scratchpad", "Scratch"),
        Binding("b", "app.browse", "Browse"),
        # in the help and the palette; the footer keeps to 80 columns
        Binding("comma", "app.settings", "Settings", show=False),
        Binding("u", "app.switch_user", "Profile", show=False),
    ]

    def action_start(self, mode: str) -> None:
        self.post_message(StartRound(PracticeMode(mode)))

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        with VerticalScroll(id="home"):
            yield Static("Loading the question bank…", id="home-greeting")
            yield Static("", id="home-notice", classes="hidden")
            yield ReadinessSummary(id="home-readiness")
            with Horizontal(id="home-figures", classes="hidden"):
                yield Static("", id="home-today", classes="figure")
                yield Static("", id="home-streak", classes="figure")
            with Horizontal(id="home-actions"):
                for mode, key, label in ACTIONS:
                    yield Button(f"{label} ({key})", id=f"go-{mode}", compact=True)
            with Vertical(id="home-mastery-box"):
                yield Static(
                    "Topics: seen · learning · mature (mature: 21+ days)", classes="section-title"
                )
                yield Chart("", id="home-mastery")
            yield Static(
                ", settings (new per day, focus topics, theme) · u: profile", classes="dim"
            )
        yield Footer(compact=True)

    @unless_closing
    def on_mount(self) -> None:
        self.reload_data()

    def on_screen_resume(self) -> None:
        self.reload_data()

    def reload_data(self) -> None:
        if self.quiz.ready and self.quiz.user:
            self.load(self.quiz.user)
            self.query_one(ReadinessSummary).reload()
        elif self.quiz.ready:
            self.query_one("#home-greeting", Static).update("Choose a profile to start: press u.")

    @work(thread=True, exclusive=True, group="home")
    def load(self, user: str) -> None:
        svc = self.quiz.service
        try:
            stats = svc.stats(user)
            bank = svc.bank
            status = svc.runner_status()
        except Exception as exc:
            self.post_message(HomeData(None, 0, 0, f"could not read progress: {exc}"))
            return
        failed = status.label() if status.phase == "failed" else None
        self.post_message(HomeData(stats, len(bank.questions), len(bank.problems), failed))

    @on(HomeData)
    def show_data(self, data: HomeData) -> None:
        user = self.quiz.user or ""
        self.query_one("#home-greeting", Static).update(
            Text.assemble(("Hello, ", ""), (user, "bold"), (". Ready to practise?", ""))
        )
        notice = self.query_one("#home-notice", Static)
        lines = _notices(self.quiz, data)
        notice.update("\n".join(lines))
        notice.set_class(not lines, "hidden")
        s = data.stats
        if s is None:
            return
        self.query_one("#home-figures").remove_class("hidden")
        self.query_one("#home-today", Static).update(
            Text.assemble(
                ("Today\n", "bold"),
                (f"{s.due_today}", "bold cyan"),
                (" due for review\n", ""),
                (f"{s.new_left_today}", "bold cyan"),
                (f" new to learn (of {s.new_per_day} a day)", ""),
            )
        )
        self.query_one("#home-streak", Static).update(
            Text.assemble(
                ("Streak\n", "bold"),
                (f"{s.current_streak}", "bold yellow"),
                (" day (best " if s.current_streak == 1 else " days (best ", ""),
                (f"{s.longest_streak}", "bold"),
                (")\n", ""),
                (_answers_line(s.totals.attempts, s.totals.accuracy), "dim"),
            )
        )
        rows = [
            (
                t.topic,
                t.seen / t.questions if t.questions else 0.0,
                f"{t.seen}/{t.questions} seen · {t.seen - t.mastered} learning · "
                f"{t.mastered} mature",
            )
            for t in s.topics
        ]
        self.query_one("#home-mastery", Chart).show(lambda cells: bars_text(rows, 20, fit=cells))

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith("go-"):
            self.action_start(event.button.id.removeprefix("go-"))


def _notices(app: QuizAppLike, data: HomeData) -> list[str]:
    lines = []
    dirs = ", ".join(str(d) for d in app.service.bank_dirs) if app.ready else "?"
    if data.questions == 0 and data.problems == 0:
        lines.append(
            f"[b]The bank is empty.[/b] No questions were found in {dirs}. "
            "Add *.yaml files there, or start with --bank DIR."
        )
    elif data.questions == 0:
        lines.append(
            f"[b]No usable questions:[/b] every question in {dirs} has a problem "
            f"({data.problems} in all). Press [b]b[/b] to see them."
        )
    elif data.problems:
        lines.append(f"{data.problems} problems in the bank were skipped (press b to see them).")
    if data.runner_failed:
        lines.append(
            f"[b]{data.runner_failed}.[/b] Questions cannot be checked until this is fixed; "
            "you can still browse the bank and your stats."
        )
    return lines


def _answers_line(attempts: int, accuracy: float | None) -> str:
    if not attempts:
        return "no answers yet"
    return f"{plural(attempts, 'answer')}, {accuracy or 0:.0%} right"
