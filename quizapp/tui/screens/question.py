"""One question: read it, answer it, ask for hints, submit; the check runs in a worker."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, LoadingIndicator, OptionList, Static

from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.ports import ShownQuestionLike
from quizapp.tui.practice import MODES, Round, format_seconds
from quizapp.tui.widgets.answers import AnswerWidget, RecallAnswer, make_answer
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.question_view import QuestionView

if TYPE_CHECKING:
    from quizapp.tui.app import QuizApp


@dataclass
class Graded(Message):
    result: GradeResult
    saved: bool
    seconds: float
    token: threading.Event  # which submit this answers; a stale one is ignored


@dataclass
class CheckFailed(Message):
    reason: str


class CheckCancelled(Message):
    pass


class QuestionScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not priority: the key then queues behind the characters typed before it in the focused
        # answer widget, so a pasted answer followed by ctrl+s is submitted whole.
        Binding("ctrl+s", "submit", "Submit"),
        Binding("ctrl+t", "hint", "Hint"),
        # Priority, because the code editor would otherwise take Esc to move focus.
        Binding("escape", "escape", "Cancel / home", priority=True),
    ]

    def __init__(self, rnd: Round) -> None:
        super().__init__()
        self.round = rnd
        item = rnd.current
        assert item is not None
        self.item = item
        self.shown: ShownQuestionLike = self.quiz.service.show(item.question_id, item.seed)
        self.hints_shown = 0
        self.started = time.monotonic()
        self.checking = False
        self._cancel: threading.Event | None = None
        self.answer_widget: AnswerWidget = make_answer(self.shown)

    @property
    def quiz(self) -> QuizApp:
        return cast("QuizApp", self.app)

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        extra = f"{MODES.get(self.round.mode, self.round.mode)} {self.round.position}"
        with VerticalScroll(id="question"):
            yield QuestionView(self.shown, extra=extra, id="q-view")
            yield self.answer_widget
            with Horizontal(id="q-status"):
                yield LoadingIndicator(id="q-spinner", classes="hidden")
                yield Static(self._help_line(), id="q-help")
                yield Static("", id="q-clock")
            yield Static("", id="q-feedback", classes="hidden")
        yield Footer(compact=True)

    def _help_line(self) -> str:
        kind = self.shown.question.kind.value
        submit = "Enter" if kind in ("shape", "value", "choice") else "ctrl+s"
        if kind == "choice":
            submit = "a letter or Enter"
        hints = ""
        if self.round.hints_allowed and self.shown.hints:
            hints = f" · ctrl+t: hint ({len(self.shown.hints)})"
        leave = "Esc: finish" if self.round.is_mock else "Esc: home"
        return f"{submit}: submit{hints} · {leave}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hides the hint key where hints are not allowed (mock interviews)."""
        return action != "hint" or self.round.hints_allowed

    @unless_closing
    def on_mount(self) -> None:
        self._focus_answer()
        if self.round.time_limit_s is not None:
            self.call_after_refresh(self._tick)
            self.set_interval(1.0, self._tick, name="mock-clock")

    def _focus_answer(self) -> None:
        if isinstance(self.answer_widget, RecallAnswer):
            self.answer_widget.focus_input()
        else:
            self.answer_widget.focus()

    def _tick(self) -> None:
        remaining = self.round.remaining_s()
        if remaining is None:
            return
        clock = self.query_one("#q-clock", Static)
        clock.update(Text(f"⏱ {format_seconds(remaining)} left", style="bold"))
        clock.set_class(remaining < 30, "urgent")
        if remaining <= 0 and not self.checking and self.is_current:
            self.notify("Time is up.", title="Mock interview")
            self.quiz.finish_round(self.round, summary=True)

    # -- hints ------------------------------------------------------------------------------
    def action_hint(self) -> None:
        if not self.round.hints_allowed:
            self.notify("No hints in a mock interview.")
            return
        if self.hints_shown >= len(self.shown.hints):
            self.notify("No more hints." if self.shown.hints else "This question has no hints.")
            return
        self.hints_shown += 1
        self.query_one(QuestionView).show_hints(self.hints_shown)

    # -- submitting -------------------------------------------------------------------------
    @on(Input.Submitted, "#answer")
    def _line_submitted(self) -> None:
        self.action_submit()

    @on(OptionList.OptionSelected, "#answer")
    def _option_chosen(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self.checking:
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
        answer = widget.answer_text()
        if not answer.strip() and self.shown.question.kind.value != "recall":
            self._say_feedback("Type an answer first.", "invalid")
            return
        self._set_checking(True)
        self._cancel = threading.Event()
        self.run_check(answer, ticked, self._cancel, time.monotonic() - self.started)

    @work(thread=True, exclusive=True, group="check")
    def run_check(
        self, answer: str, ticked: list[int] | None, cancel: threading.Event, seconds: float
    ) -> None:
        """Grades, then records in the same worker: the attempt is saved before it is shown."""
        svc = self.quiz.service
        item, rnd = self.item, self.round
        try:
            result = svc.grade(item.question_id, item.seed, answer, ticked=ticked, cancel=cancel)
            if cancel.is_set():
                self.post_message(CheckCancelled())
                return
            saved = False
            if result.counts:
                svc.record(
                    rnd.user,
                    item.question_id,
                    result,
                    answer=answer,
                    latency_s=seconds,
                    hints_used=self.hints_shown,
                    session_id=rnd.session_id,
                )
                saved = True
        except Exception as exc:
            if cancel.is_set():
                self.post_message(CheckCancelled())
            else:
                self.post_message(CheckFailed(str(exc) or type(exc).__name__))
            return
        self.post_message(Graded(result, saved, seconds, cancel))

    def cancel_check(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def action_escape(self) -> None:
        if self.checking:
            self.cancel_check()  # the worker sees the event, stops the run and posts nothing
            self._set_checking(False)
            self._say_feedback("Check cancelled. Edit your answer and submit again.", None)
            return
        self.quiz.finish_round(self.round, summary=self.round.is_mock)

    @on(CheckCancelled)
    def _cancelled(self) -> None:
        self._set_checking(False)
        self.quiz.check_finished()

    @on(CheckFailed)
    def _failed(self, message: CheckFailed) -> None:
        self._set_checking(False)
        self._say_feedback(f"The check could not run: {message.reason}", "error")
        self.quiz.check_finished()

    @on(Graded)
    def _graded(self, message: Graded) -> None:
        from quizapp.tui.screens.result import ResultScreen

        if message.token is not self._cancel or message.token.is_set():
            return
        self._set_checking(False)
        if self.quiz.quitting:  # the answer is saved; nothing more to show
            self.quiz.check_finished()
            return
        result = message.result
        if result.status is GradeStatus.INVALID:
            self._say_feedback(f"Not a valid answer: {result.feedback} — try again.", "invalid")
            self._focus_answer()
            return
        if not message.saved and result.status is GradeStatus.ERROR:
            self._say_feedback(f"The question could not be checked: {result.feedback}", "error")
            return
        topic = self.shown.question.topic
        self.round.add(topic, result, seconds=message.seconds, hints_used=self.hints_shown)
        if self.round.is_mock:
            self.quiz.next_question(self.round)
        else:
            self.app.switch_screen(ResultScreen(self.round, self.shown, result))

    # -- display ----------------------------------------------------------------------------
    def _set_checking(self, on: bool) -> None:
        self.checking = on
        self.query_one("#q-spinner").set_class(not on, "hidden")
        self.query_one("#q-help", Static).update(
            "Checking… (Esc cancels)" if on else self._help_line()
        )

    def _say_feedback(self, text: str, level: str | None) -> None:
        box = self.query_one("#q-feedback", Static)
        box.update(text)
        box.set_class(not text, "hidden")
        box.set_class(level == "invalid", "invalid")
        box.set_class(level == "error", "error")
