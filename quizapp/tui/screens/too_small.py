"""Below the size the app supports: one clear request instead of garbled widgets."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static


class TooSmallScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.need = (width, height)

    def compose(self) -> ComposeResult:
        yield Static("", id="too-small")

    def on_mount(self) -> None:
        self.show_size(*self.app.size)

    def on_resize(self, event: events.Resize) -> None:
        self.show_size(event.size.width, event.size.height)

    def show_size(self, w: int, h: int) -> None:
        need_w, need_h = self.need
        self.query_one("#too-small", Static).update(
            f"Make the window larger: quizapp needs at least {need_w}x{need_h} "
            f"(this one is {w}x{h}). Your work is kept. ctrl+q quits."
        )
