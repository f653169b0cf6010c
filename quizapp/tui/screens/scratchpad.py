"""The scratchpad: type any PyTorch snippet, run it in the sandbox, see its trace and graph.

The snippet runs through `svc.scratch` in a thread worker, like a check: the screen stays
responsive, Esc kills the run, and an infinite loop ends at the time limit. The app installs one
instance of this screen, so the code and the last result are still there when you come back.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, LoadingIndicator, Static, TextArea

from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.ports import QuizAppLike
from quizapp.tui.widgets.answers import python_highlighting
from quizapp.tui.widgets.explanation import ExplanationView, Section, explanation_sections
from quizapp.tui.widgets.header import QuizHeader

SCRATCH_TIMEOUT_S = 5.0
EXAMPLE = """\
model = nn.Sequential(
    nn.Linear(4, 8),
    nn.BatchNorm1d(8),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(8, 2),
)
x = torch.randn(5, 4)
loss = model(x).pow(2).mean()
loss.backward()
print(f"loss = {loss.item():.4f}")
"""
INTRO = (
    "Type any PyTorch code above (torch, nn and F are imported) and press ctrl+r. What it "
    "printed, its error, the forward trace of its model, the autograd graph of its result and "
    "the model's train/eval modes appear here."
)
WARMING = "The runner is still warming up (PyTorch is loading); your snippet runs right after."
NOTHING_BUILT = (
    "It ran, printed nothing, and left no model to trace and no autograd graph to draw. "
    "Build a module and call it, or compute a tensor from one that requires grad."
)


@dataclass
class Scratched(Message):
    sections: list[Section]
    message: str
    error: bool
    seconds: float
    finished: bool  # False: it raised, timed out or could not run
    token: threading.Event  # which run this answers; a cancelled or stale one is ignored


class ScratchpadScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not priority, so a run key queues behind the code typed or pasted before it.
        Binding("ctrl+r", "run", "Run"),
        Binding("ctrl+s", "run", "Run", show=False),  # as on the question screen
        Binding("ctrl+o", "switch_focus", "Code ⇄ results"),
        Binding("escape", "escape", "Cancel / back", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.running = False
        self.runs = 0
        self._token: threading.Event | None = None

    @property
    def quiz(self) -> QuizAppLike:
        return cast(QuizAppLike, self.app)

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        yield TextArea.code_editor(
            EXAMPLE, language=python_highlighting(), id="sp-code", theme="monokai"
        )
        with Horizontal(id="sp-status"):
            yield LoadingIndicator(id="sp-spinner", classes="hidden")
            yield Static(self._help_line(), id="sp-help")
        with VerticalScroll(id="sp-result"):
            yield ExplanationView("sp", id="sp-view")
        yield Footer(compact=True)

    @unless_closing
    def on_mount(self) -> None:
        self.title = "Scratchpad"
        self.query_one(ExplanationView).show_message(INTRO)
        self.query_one("#sp-code", TextArea).focus()

    @property
    def code(self) -> str:
        return self.query_one("#sp-code", TextArea).text

    def _help_line(self, done: str = "") -> str:
        limit = f"{SCRATCH_TIMEOUT_S:g} s limit"
        return f"{done}ctrl+r: run in the sandbox ({limit}) · Esc: back"

    def action_switch_focus(self) -> None:
        """Between the editor and the results (which the arrows and PgUp/PgDn then scroll)."""
        code = self.query_one("#sp-code", TextArea)
        target = self.query_one("#sp-result") if code.has_focus else code
        target.focus()

    # -- running ----------------------------------------------------------------------------
    def action_run(self) -> None:
        code = self.code
        if not code.strip():
            self.query_one(ExplanationView).clear()
            self.query_one(ExplanationView).show_message("Type some PyTorch code first.")
            return
        self.cancel_run()  # a new run replaces one still going
        self._token = threading.Event()
        self.runs += 1
        self._set_running(True)
        view = self.query_one(ExplanationView)
        view.clear()
        warming = self.quiz.service.runner_status().phase == "starting"
        view.show_message(WARMING if warming else "Running in the sandbox…")
        self.run_snippet(code, self._token)

    @work(thread=True, exclusive=True, group="scratch")
    def run_snippet(self, code: str, token: threading.Event) -> None:
        started = time.monotonic()
        try:
            explanation = self.quiz.service.scratch(code, timeout=SCRATCH_TIMEOUT_S, cancel=token)
            sections = explanation_sections(explanation, error_title="It did not finish")
        except Exception as exc:
            reason = str(exc).strip() or type(exc).__name__
            message = f"Could not run it: {reason}"
            self.post_message(Scratched([], message, True, 0.0, False, token))
            return
        seconds = time.monotonic() - started
        finished = explanation.run_error is None
        message = "" if sections else NOTHING_BUILT
        self.post_message(Scratched(sections, message, False, seconds, finished, token))

    def cancel_run(self) -> None:
        """Kills the run in the sandbox (the worker sees the event); its result is dropped."""
        if self._token is not None:
            self._token.set()

    def action_escape(self) -> None:
        if self.running:
            self.cancel_run()
            self._set_running(False)
            self.query_one(ExplanationView).show_message("Cancelled: the run was stopped.")
            self.query_one("#sp-help", Static).update(self._help_line("Cancelled. "))
            return
        self.app.pop_screen()

    @on(Scratched)
    def _scratched(self, message: Scratched) -> None:
        if message.token is not self._token or message.token.is_set():
            return
        self._set_running(False)
        view = self.query_one(ExplanationView)
        view.show_sections(message.sections)
        view.show_message(message.message, error=message.error)
        done = ""
        if not message.error:
            verb = "Ran in" if message.finished else "Stopped after"
            done = f"{verb} {_seconds(message.seconds)}. "
        self.query_one("#sp-help", Static).update(self._help_line(done))
        self.query_one("#sp-result", VerticalScroll).scroll_home(animate=False)

    def _set_running(self, on: bool) -> None:
        self.running = on
        self.query_one("#sp-spinner").set_class(not on, "hidden")
        if on:
            self.query_one("#sp-help", Static).update("Running… (Esc cancels)")


def _seconds(seconds: float) -> str:
    return "under a second" if seconds < 1 else f"{seconds:.1f} s"
