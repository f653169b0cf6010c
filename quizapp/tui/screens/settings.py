"""The profile's practice settings: new questions per day, focus topics, theme. Saved per
profile (the same values as `quizapp users set NAME ...`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Footer, Input, Label, Select, SelectionList, Static

from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.messages import SettingsSaved
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.readiness import InterviewSettings


@dataclass
class SettingsLoaded(Message):
    settings: Any
    topics: list[str]
    error: str = ""


class SettingsScreen(QuizScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, user: str) -> None:
        super().__init__()
        self.user = user

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        with VerticalScroll(id="settings"):
            yield Static(Text.assemble(("Settings of ", ""), (self.user, "bold")), id="set-title")
            yield Label("New questions per day (Learn and Mixed; mocks do not use it)")
            yield Input(id="set-new", type="integer", placeholder="20")
            yield Label("Focus topics: learnt first, interleaved with the rest (space ticks)")
            yield SelectionList[str](id="set-focus")
            yield Label("Theme")
            themes = sorted(self.app.available_themes)
            yield Select[str](
                [(name, name) for name in themes],
                id="set-theme",
                allow_blank=False,
                value=self.app.theme if self.app.theme in themes else themes[0],
            )
            with Horizontal(id="set-buttons"):
                yield Button("Save (ctrl+s)", id="set-save", variant="primary", compact=True)
            yield Static("", id="set-message", classes="dim")
            yield InterviewSettings(self.user, id="set-interview-box")
        yield Footer(compact=True)

    @unless_closing
    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="settings")
    def load(self) -> None:
        svc = self.quiz.service
        try:
            self.post_message(SettingsLoaded(svc.settings(self.user), svc.topics()))
        except Exception as exc:
            self.post_message(SettingsLoaded(None, [], str(exc)))

    @on(SettingsLoaded)
    def _loaded(self, message: SettingsLoaded) -> None:
        if message.settings is None:
            self._say(f"Could not read the settings: {message.error}", error=True)
            return
        s = message.settings
        self.query_one("#set-new", Input).value = str(s.new_per_day)
        focus = self.query_one("#set-focus", SelectionList)
        focus.clear_options()
        focus.add_options([(t, t, t in s.focus_topics) for t in message.topics])
        self.query_one("#set-new", Input).focus()

    @on(Button.Pressed, "#set-save")
    def action_save(self) -> None:
        raw = self.query_one("#set-new", Input).value.strip()
        try:
            per_day = int(raw)
        except ValueError:
            self._say("New questions per day is a whole number, e.g. 20.", error=True)
            return
        if not 0 <= per_day <= 1000:
            self._say("New questions per day is between 0 and 1000.", error=True)
            return
        focus = list(self.query_one("#set-focus", SelectionList).selected)
        theme = self.query_one("#set-theme", Select).value
        self.save(per_day, focus, theme if isinstance(theme, str) else None)

    @work(thread=True, exclusive=True, group="settings")
    def save(self, per_day: int, focus: list[str], theme: str | None) -> None:
        try:
            saved = self.quiz.service.update_settings(
                self.user, new_per_day=per_day, focus_topics=focus, theme=theme
            )
        except Exception as exc:
            self.app.call_from_thread(self._say, f"Could not save: {exc}", error=True)
            return
        self.post_message(SettingsSaved(saved))

    @on(SettingsSaved)
    def _saved(self, message: SettingsSaved) -> None:
        # Let it bubble on to the app, which applies the theme.
        s = message.settings
        focus = ", ".join(s.focus_topics) or "none"
        self._say(f"Saved: {s.new_per_day} new per day · focus: {focus} · theme: {s.theme}")
        self.notify("Settings saved.")

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#set-message", Static)
        box.update(text)
        box.set_class(error, "error")
