"""What a practice session needs of the core (QuizService implements it, and the TUI's
`Service` port extends it), in a module of its own so that the TUI can name it before its
first frame: nothing here is imported at run time but typing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from quizapp.grading.types import GradeResult
    from quizapp.practice.summary import PastRound


class PracticeBackend(Protocol):
    """The part of QuizService a session uses (the TUI's fake implements it too)."""

    def question(self, question_id: str) -> Any: ...
    def grade(
        self,
        question_id: str,
        seed: int,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        cancel: threading.Event | None = None,
    ) -> GradeResult: ...
    def prepare(
        self, question_id: str, seed: int, *, cancel: threading.Event | None = None
    ) -> None: ...
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
    def rerate(self, attempt_id: int, rating: int) -> Any: ...
    def start_session(self, user: str, mode: str, topic: str | None = None) -> int: ...
    def end_session(self, session_id: int) -> None: ...
    def mock_history(self, user: str) -> Sequence[PastRound]: ...
