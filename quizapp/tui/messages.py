"""Messages that workers post up to the app. Plain payloads; handlers run on the UI thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from quizapp.tui.ports import ProblemLike, Service, UserLike
from quizapp.tui.practice import Round


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
    round: Round


@dataclass
class RoundEmpty(Message):
    mode: str
    topic: str | None


@dataclass
class BankReloaded(Message):
    questions: int
    problems: Sequence[ProblemLike]


@dataclass
class ServiceError(Message):
    """A blocking service call failed; said to the user, never a traceback."""

    action: str
    reason: str
