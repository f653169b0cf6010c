"""One question of a round: read it, answer it, ask for hints, run (code), submit.

The screen shows `session.current` (a quizapp.practice.PracticeSession owns the round) and
reports what the user did with messages (Answered, NextQuestion, LeaveRound, CheckEnded); the app
navigates. Checks run in a worker that calls the session, which grades and records.

Layout (80x24 first): the title line with the round's progress and clocks is docked at the top,
the answer box and the status line at the bottom; only the prompt, setup and hints scroll, so a
long question or a revealed hint never pushes the answer box below the fold.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, LoadingIndicator, OptionList, Static, TextArea

from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.practice import Cancelled, PracticeSession, Submission
from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.messages import (
    Answered,
    CheckEnded,
    LeaveRound,
    NextQuestion,
    QuestionReady,
)
from quizapp.tui.ports import ShownQuestionLike
from quizapp.tui.practice import format_seconds
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.answers import (
    AnswerKey,
    AnswerWidget,
    ChoiceAnswer,
    CodeAnswer,
    OutputAnswer,
    RecallAnswer,
    make_answer,
)
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.question_view import QuestionView, title_line


@dataclass
class Checked(Message):
    submission: Submission
    token: threading.Event  # which submit this answers; a stale one is ignored


@dataclass
class RunDone(Message):
    result: GradeResult
    token: threading.Event


@dataclass
class CheckFailed(Message):
    reason: str


class CheckCancelled(Message):
    pass


def run_report(result: GradeResult) -> Text:
    """What a Run says: pass or fail, the check's words, what the code printed."""
    if result.status is GradeStatus.INVALID:
        return Text(f"Not run: {result.feedback}", style="yellow")
    text = Text()
    if result.correct:
        text.append("Run: ✔ passes the check. Submit it with ctrl+s.", style="bold green")
    elif result.status is GradeStatus.TIMEOUT:
        text.append("Run: ⏱ ran past its time limit.", style="bold red")
    else:
        text.append("Run: ✘ the check fails", style="bold red")
        if result.feedback:
            text.append(f": {result.feedback}")
        if result.misconception is not None:
            text.append(f"\n{result.misconception.label}: ", style="bold")
            text.append(result.misconception.summary)
    if result.stdout.strip():
        text.append("\nPrinted:\n", style="bold")
        text.append(result.stdout.rstrip(), style="dim")
    text.append("\n(nothing recorded)", style="dim")
    return text


class QuestionScreen(QuizScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not priority: the key then queues behind the characters typed before it in the focused
        # answer widget, so a pasted answer followed by ctrl+s is submitted whole.
        Binding("ctrl+s", "submit", "Submit"),
        Binding("ctrl+r", "run", "Run"),
        Binding("ctrl+t", "hint", "Hint"),
        # Priority, because the code editor would otherwise take Esc to move focus.
        Binding("escape", "escape", "Cancel / home", priority=True),
    ]

    def __init__(self, session: PracticeSession) -> None:
        super().__init__()
        self.session = session
        item = session.current
        assert item is not None
        self.item = item
        self.shown: ShownQuestionLike = self.quiz.service.show(item.question_id, item.seed)
        self.hints_shown = 0
        self._announced = False
        self.checking = False
        self._cancel: threading.Event | None = None
        self._prepared: threading.Event | None = None  # set: the diagnosis run is not wanted
        self.answer_widget: AnswerWidget = make_answer(self.shown)
        draft = session.draft(item.question_id)
        if draft is not None and isinstance(self.answer_widget, CodeAnswer | OutputAnswer):
            self.answer_widget.text = draft  # nothing a user wrote is lost

    @property
    def kind(self) -> str:
        return self.shown.question.kind.value

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        with Horizontal(id="q-bar"):
            yield Static(title_line(self.shown), id="q-title")
            yield Static(self._progress_text(), id="q-progress")
        with VerticalScroll(id="question"):
            yield QuestionView(self.shown, id="q-view", with_title=False)
        with VerticalScroll(id="q-answer-box"):
            yield self.answer_widget
        yield Static("", id="q-feedback", classes="hidden")
        with Horizontal(id="q-status"):
            yield LoadingIndicator(id="q-spinner", classes="hidden")
            yield Static(self._help_line(), id="q-help")
            yield Static("", id="q-clock")
        yield Footer(compact=True)

    def _progress_text(self) -> Text:
        s = self.session
        text = Text(s.label, style="bold cyan")
        tries = s.state().tries
        if tries:
            text.append(f" · try {tries + 1}", style="yellow")
        return text

    def _help_line(self) -> str:
        kind = self.kind
        if kind in ("shape", "value"):
            submit = "Enter: submit"
        elif kind == "choice":
            submit = "letter: choose · Enter: confirm"
        elif kind == "code":
            submit = "ctrl+r: run · ctrl+s: submit · ctrl+e: $EDITOR"
        else:
            submit = "ctrl+s: submit"
        hints = ""
        if self.session.hints_allowed and self.shown.hints:
            hints = f" · ctrl+t: hint ({len(self.shown.hints)})"
        leave = "Esc: finish" if self.session.is_mock else "Esc: home"
        return f"{submit}{hints} · {leave}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hides the hint key in mocks and Run outside code questions."""
        if action == "hint":
            return self.session.hints_allowed
        if action == "run":
            return self.kind == "code"
        return True

    @unless_closing
    def on_mount(self) -> None:
        self._focus_answer()
        if self.session.remaining_s() is not None:
            self.call_after_refresh(self._tick)
            self.set_interval(1.0, self._tick, name="mock-clock")
        if self.kind == "code":
            self._prepared = threading.Event()
            self.prepare_diagnosis(self._prepared)

    def on_unmount(self) -> None:
        if self._prepared is not None:
            self._prepared.set()  # left before it finished: stop its run

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def prepare_diagnosis(self, cancel: threading.Event) -> None:
        """While the user writes code, the core runs the question's known wrong solutions
        through its check, so that a failing answer is told which mistake it looks like at
        once. Nothing here is shown: a failure only means no diagnosis."""
        with contextlib.suppress(Exception):
            self.session.prepare(cancel=cancel)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Once the focus is in the answer box, keys typed while the round opened go there."""
        if not self._announced:
            self._announced = True
            self.post_message(QuestionReady())

    def _focus_answer(self) -> None:
        if isinstance(self.answer_widget, RecallAnswer):
            self.answer_widget.focus_input()
        else:
            self.answer_widget.focus()

    def _tick(self) -> None:
        remaining = self.session.remaining_s()
        if remaining is None:
            return
        this = self.session.item_remaining_s() or 0.0
        clock = self.query_one("#q-clock", Static)
        text = Text()
        if this >= 0:
            text.append(f"⏱ {format_seconds(this)} this question", style="bold")
        else:
            text.append(f"⏱ {format_seconds(-this)} over", style="bold red")
        text.append(f" · {format_seconds(remaining)} left")
        clock.update(text)
        clock.set_class(remaining < 30 or this < 0, "urgent")
        if remaining <= 0 and not self.checking and self.is_current:
            self.notify("Time is up.", title="Mock interview")
            self.post_message(LeaveRound(self.session))

    # -- hints ------------------------------------------------------------------------------
    def action_hint(self) -> None:
        if not self.session.hints_allowed:
            self.notify("No hints in a mock interview.")
            return
        if self.hints_shown >= len(self.shown.hints):
            self.notify("No more hints." if self.shown.hints else "This question has no hints.")
            return
        self.hints_shown += 1
        self.query_one(QuestionView).show_hints(self.hints_shown)

    # -- drafts and the external editor --------------------------------------------------------
    @on(TextArea.Changed, "#answer")
    def _keep_draft(self, event: TextArea.Changed) -> None:
        self.session.keep_draft(self.item.question_id, event.text_area.text)

    @on(CodeAnswer.OpenInEditor)
    def _open_in_editor(self) -> None:
        """ctrl+e: the answer in $EDITOR (the app is suspended meanwhile), back on save."""
        widget = self.answer_widget
        if not isinstance(widget, CodeAnswer):
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{self.item.question_id}.py"
            path.write_text(widget.text)
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), str(path)], check=False)
            except Exception as exc:  # no terminal to hand over (tests), or no such editor
                self.notify(f"Could not open {editor}: {exc}", severity="warning")
                return
            widget.text = path.read_text()
        self.session.keep_draft(self.item.question_id, widget.text)
        widget.focus()

    # -- running and submitting ---------------------------------------------------------------
    @on(AnswerKey)
    def _answer_key(self, message: AnswerKey) -> None:
        """ctrl+s / ctrl+r typed in the answer box: acts on the answer as it was then."""
        message.stop()
        if message.action == "run":
            self.action_run(message.answer)
        else:
            self.action_submit(message.answer)

    @on(Input.Submitted, "#answer")
    def _line_submitted(self, event: Input.Submitted) -> None:
        self.action_submit(event.value)

    @on(OptionList.OptionSelected, "#answer")
    def _option_chosen(self) -> None:
        self.action_submit()

    def action_run(self, answer: str | None = None) -> None:
        if self.checking or self.kind != "code":
            return
        self._set_checking(True, "Running your code and the check… (Esc cancels)")
        self._cancel = threading.Event()
        text = self.answer_widget.answer_text() if answer is None else answer
        self.run_code(text, self._cancel)

    @work(thread=True, exclusive=True, group="check")
    def run_code(self, answer: str, cancel: threading.Event) -> None:
        try:
            result = self.session.run(answer, cancel=cancel)
        except Cancelled:
            self.post_message(CheckCancelled())
            return
        except Exception as exc:
            self.post_message(CheckFailed(str(exc) or type(exc).__name__))
            return
        self.post_message(RunDone(result, cancel))

    def action_submit(self, answer: str | None = None) -> None:
        if self.checking:
            self.notify("A check is running: wait for it, or Esc to cancel it.")
            return
        widget = self.answer_widget
        ticked: list[int] | None = None
        if isinstance(widget, RecallAnswer):
            if not widget.revealed:
                if not widget.answer_text().strip():
                    self._say_feedback("Write your answer first, then submit (ctrl+s).", "invalid")
                    return
                self._say_feedback("", None)
                widget.reveal()
                return
            ticked = widget.ticked()
        if isinstance(widget, ChoiceAnswer) and widget.highlighted is None:
            self._say_feedback("Choose an option first (its letter or the arrows).", "invalid")
            return
        self._set_checking(True)
        self._cancel = threading.Event()
        text = widget.answer_text() if answer is None or ticked is not None else answer
        self.run_check(text, ticked, self._cancel)

    @work(thread=True, exclusive=True, group="check")
    def run_check(self, answer: str, ticked: list[int] | None, cancel: threading.Event) -> None:
        """The session grades, then records in this same worker: saved before it is shown."""
        try:
            submission = self.session.submit(
                answer, ticked=ticked, hints_used=self.hints_shown, cancel=cancel
            )
        except Cancelled:
            self.post_message(CheckCancelled())
            return
        except Exception as exc:
            if cancel.is_set():
                self.post_message(CheckCancelled())
            else:
                self.post_message(CheckFailed(str(exc) or type(exc).__name__))
            return
        self.post_message(Checked(submission, cancel))

    def cancel_check(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def action_escape(self) -> None:
        if self.checking:
            self.cancel_check()  # the worker sees the event, stops the run and posts nothing
            self._set_checking(False)
            self._say_feedback("Check cancelled. Edit your answer and submit again.", None)
            return
        self.post_message(LeaveRound(self.session))

    @on(CheckCancelled)
    def _cancelled(self) -> None:
        self._set_checking(False)
        self.post_message(CheckEnded())

    @on(CheckFailed)
    def _failed(self, message: CheckFailed) -> None:
        self._set_checking(False)
        self._say_feedback(f"The check could not run: {message.reason}", "error")
        self.post_message(CheckEnded())

    @on(RunDone)
    def _ran(self, message: RunDone) -> None:
        if message.token is not self._cancel or message.token.is_set():
            return
        self._set_checking(False)
        self.post_message(CheckEnded())
        result = message.result
        level = None if result.correct else "invalid" if not result.counts else "error"
        self._say_feedback(run_report(result), level)

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.token is not self._cancel or message.token.is_set():
            return
        self._set_checking(False)
        self.post_message(CheckEnded())
        if self.quiz.quitting:  # the answer is saved; nothing more to show
            return
        sub = message.submission
        result = sub.result
        if result.status is GradeStatus.INVALID:
            self._say_feedback(f"Not a valid answer (not counted): {result.feedback}", "invalid")
            self._focus_answer()
            return
        if not sub.counted:
            self._say_feedback(f"The question could not be checked: {result.feedback}", "error")
            return
        if self.session.is_mock:
            self.post_message(NextQuestion(self.session))  # no verdict between mock questions
        else:
            self.post_message(Answered(self.session, self.shown, sub))

    # -- display ----------------------------------------------------------------------------
    def _set_checking(self, on: bool, label: str = "Checking… (Esc cancels)") -> None:
        self.checking = on
        self.query_one("#q-spinner").set_class(not on, "hidden")
        self.query_one("#q-help", Static).update(label if on else self._help_line())

    def _say_feedback(self, text: str | Text, level: str | None) -> None:
        box = self.query_one("#q-feedback", Static)
        box.update(text)
        box.set_class(not str(text), "hidden")
        box.set_class(level == "invalid", "invalid")
        box.set_class(level == "error", "error")
