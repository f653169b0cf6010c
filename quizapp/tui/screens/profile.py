"""Small pickers: who is practising, a new profile's name, which topic to drill."""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.messages import CreateProfile, TypedAhead

NEW = "\x00new"


class ProfileScreen(ModalScreen[str | None]):
    """Choose a profile, or make a new one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, names: list[str], current: str | None = None) -> None:
        super().__init__()
        self.names = names
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Who is practising?", classes="dialog-title")
            options = [Option(n, id=n) for n in self.names]
            options.append(Option("+ New profile…", id=NEW))
            yield OptionList(*options, id="profiles")

    @unless_closing
    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        if self.current in self.names:
            picker.highlighted = self.names.index(self.current)
        picker.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == NEW:
            self.app.push_screen(NewProfileScreen(first_run=False), self._created)
        else:
            self.dismiss(event.option.id)

    def _created(self, name: str | None) -> None:
        self.dismiss(name)


class NameInput(Input):
    """The new profile's name. Enter submits the name as it is at that moment; the keys the
    terminal delivered after it (typed fast) go to the app, never into the name."""

    submitted_once = False

    async def _on_key(self, event: events.Key) -> None:
        if self.submitted_once:
            event.stop()
            event.prevent_default()
            self.post_message(TypedAhead(event.key, event.character))
            return
        if event.key == "enter" and self.value.strip():
            event.stop()
            event.prevent_default()
            self.submitted_once = True
            self.post_message(self.Submitted(self, self.value))
            return
        await super()._on_key(event)


class NewProfileScreen(ModalScreen[str | None]):
    """Ask for a name. On a first run there is nothing to go back to, so escape is not offered."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, *, first_run: bool) -> None:
        super().__init__()
        self.first_run = first_run

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = "Welcome! What should we call you?" if self.first_run else "New profile"
            yield Label(title, classes="dialog-title")
            yield NameInput(placeholder="your name", id="profile-name", max_length=40)
            yield Label("", id="profile-error", classes="error")

    def action_cancel(self) -> None:
        if not self.first_run:
            self.dismiss(None)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            self.query_one("#profile-error", Label).update("A name cannot be empty.")
            return
        self.post_message(CreateProfile(name))
        self.dismiss(None)


class TopicScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, topics: list[str]) -> None:
        super().__init__()
        self.topics = topics

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Drill which topic?", classes="dialog-title")
            yield OptionList(*(Option(t, id=t) for t in self.topics), id="topics")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
