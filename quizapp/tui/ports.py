"""What the TUI needs from the headless core, as structural types.

The app talks to `quizapp.service.QuizService` and nothing else, but it does not import it: the
import contracts keep the TUI away from the store and the runner, and the service module reaches
both. These protocols name exactly the attributes the screens read, so the real service and the
tests' in-memory fake both fit, and mypy checks the screens against them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pydantic models cost ~0.2 s to import: not before the first frame
    from quizapp.bank.models import Question
    from quizapp.explain import Explanation
    from quizapp.grading.types import GradeResult


class RunnerStatusLike(Protocol):
    @property
    def phase(self) -> str: ...

    def label(self) -> str: ...


class ShownQuestionLike(Protocol):
    @property
    def question(self) -> Question: ...
    @property
    def seed(self) -> int: ...
    @property
    def prompt(self) -> str: ...
    @property
    def setup_code(self) -> str: ...
    @property
    def options(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def hints(self) -> tuple[str, ...]: ...
    @property
    def explanation(self) -> str: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def starter(self) -> str: ...


class ProblemLike(Protocol):
    @property
    def message(self) -> str: ...
    @property
    def question_id(self) -> str | None: ...

    def location(self) -> str: ...


class BankLike(Protocol):
    @property
    def questions(self) -> Mapping[str, Question]: ...
    @property
    def problems(self) -> Sequence[ProblemLike]: ...


class UserLike(Protocol):
    @property
    def name(self) -> str: ...


class QueueItemLike(Protocol):
    @property
    def question_id(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def reason(self) -> str: ...


class Service(Protocol):
    """The subset of `QuizService` the app calls. BLOCKING methods run in thread workers."""

    @property
    def bank(self) -> BankLike: ...
    @property
    def bank_dirs(self) -> list[Path]: ...

    def reload_bank(self) -> BankLike: ...
    def topics(self) -> list[str]: ...
    def start_runner(self) -> None: ...
    def runner_status(self) -> RunnerStatusLike: ...
    def new_seed(self) -> int: ...
    def show(self, question_id: str, seed: int) -> ShownQuestionLike: ...
    def grade(
        self,
        question_id: str,
        seed: int,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        cancel: threading.Event | None = None,
    ) -> GradeResult: ...
    def record(
        self,
        user: str,
        question_id: str,
        result: GradeResult,
        *,
        answer: str,
        latency_s: float,
        hints_used: int = 0,
        session_id: int | None = None,
    ) -> Any: ...
    def explain(self, question_id: str, seed: int) -> Explanation | None: ...
    def scratch(
        self, code: str, *, timeout: float = 5.0, cancel: threading.Event | None = None
    ) -> Explanation: ...
    def users(self) -> Sequence[UserLike]: ...
    def add_user(self, name: str) -> Any: ...
    def rename_user(self, old: str, new: str) -> Any: ...
    def remove_user(self, name: str) -> Any: ...
    def start_session(self, user: str, mode: str, topic: str | None = None) -> int: ...
    def end_session(self, session_id: int) -> None: ...
    def next_questions(
        self, user: str, *, mode: str = "review", topic: str | None = None, limit: int = 10
    ) -> Sequence[QueueItemLike]: ...
    def stats(self, user: str) -> Any: ...
    def trusted_stats(self, user: str) -> Any: ...  # quizapp.readiness.TrustedStats
    def readiness_settings(self, user: str) -> Any: ...  # quizapp.progress.ProfileReadiness
    def set_readiness(
        self, user: str, *, interview: Any, target_retention: float | None = None
    ) -> Any: ...
    def close(self) -> None: ...


__all__ = [
    "BankLike",
    "ProblemLike",
    "QueueItemLike",
    "RunnerStatusLike",
    "Service",
    "ShownQuestionLike",
    "UserLike",
]
