"""Messages: workers post results up to the app, and screens report what the user did.

Screens never call the app to drive a round. They post one of the "user did" messages below;
it bubbles from the screen to the app, which plans, opens, advances or finishes the round
(through quizapp.practice.PracticeSession) and navigates. Plain payloads; handlers run on the UI
thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

from quizapp.tui.ports import ProblemLike, Service, ShownQuestionLike, UserLike

if TYPE_CHECKING:
    from quizapp.practice import PracticeMode, PracticeSession, Submission


@dataclass
class Booted(Message):
    """The service is built and the runner started; who can practise."""

    service: Service
    users: Sequence[UserLike]


@dataclass
class BootFailed(Message):
    reason: str


@dataclass
class RoundReady(Message):
    session: PracticeSession


@dataclass
class RoundEmpty(Message):
    mode: PracticeMode
    reason: str


@dataclass
class BankReloaded(Message):
    questions: int
    problems: Sequence[ProblemLike]


@dataclass
class ServiceError(Message):
    """A blocking service call failed; said to the user, never a traceback."""

    action: str
    reason: str


@dataclass
class SettingsSaved(Message):
    settings: Any


# -- what the user did (screens -> app) ---------------------------------------------------------
@dataclass
class StartRound(Message):
    """Start a round of this mode (Learn, Review, Mixed, Drill needs a topic, Mock a size)."""

    mode: PracticeMode
    topic: str | None = None
    size: int | None = None


@dataclass
class PractiseQuestion(Message):
    """Practise this one question (the browser, a stats row, a summary item)."""

    question_id: str
    seed: int | None = None


@dataclass
class Answered(Message):
    """A counted submission: show its result (outside a mock)."""

    session: PracticeSession
    shown: ShownQuestionLike
    submission: Submission


@dataclass
class NextQuestion(Message):
    """Move the round on: the next question, or its end."""

    session: PracticeSession


@dataclass
class TryAgain(Message):
    """Back to the same question (code kept) after a failed submission."""

    session: PracticeSession


@dataclass
class LeaveRound(Message):
    """End the round now (Esc, or a mock's clock ran out): a mock always ends on its summary."""

    session: PracticeSession


class CheckEnded(Message):
    """A check finished (saved, failed or cancelled): the app may be waiting to quit."""


class ChooseTopic(Message):
    """Drill: ask which topic."""


@dataclass
class CreateProfile(Message):
    name: str


@dataclass
class TypedAhead(Message):
    """A key that reached a text box after the Enter that closed it (typed fast: the name,
    Enter, then `l`): not typed into it, but handed to the app, which replays it, in order,
    where the user will be (the home screen, once the profile exists)."""

    key: str
    character: str | None


@dataclass
class QuestionReady(Message):
    """A question (or result) screen is mounted and focused: keys typed ahead go there.
    `at` (time.monotonic()) lets the app ignore a screen that was ready before the hold."""

    at: float = field(default_factory=time.monotonic)
