"""A screen for what stops the app from working at all, said plainly."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from quizapp.tui.widgets.header import QuizHeader


class FatalScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.quit", "Quit")]

    def __init__(self, title: str, reason: str) -> None:
        super().__init__()
        self.title_text = title
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        with Vertical(classes="dialog wide"):
            yield Static(Text(self.title_text, style="bold red"))
            yield Static(self.reason, id="fatal-reason")
            yield Static("Fix the above and start quizapp again. q: quit", classes="dim")
        yield Footer(compact=True)
