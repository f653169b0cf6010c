"""Verdicts as plain data, shared by the CLI, the TUI and the store. No torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class GradeStatus(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    INVALID = "invalid"  # unparseable answer: the user may retry; never counted
    ERROR = "error"  # the question itself failed to run (its setup raised, the runner failed)
    TIMEOUT = "timeout"  # the user's code (or the question) ran past its limit


class MisconceptionSource(StrEnum):
    AUTHORED = "authored"  # written in the question
    AUTOMATIC = "automatic"  # built in (quizapp.grading.misconceptions.Automatic)


class MatchBasis(StrEnum):
    """What a diagnosis rests on, which decides how sure the app may sound about it."""

    # The answer equals what the belief computes: the belief explains it.
    ANSWER = "answer"
    # The code fails the check with the very message the belief's code fails with. The failure
    # is the same; the belief behind it may not be (two mistakes can fail alike), so it is
    # worded as the known mistake the failure matches, not as the user's belief.
    FAILURE = "failure"


MATCH_LABELS: dict[MatchBasis, str] = {
    MatchBasis.ANSWER: "Likely misconception",
    MatchBasis.FAILURE: "Fails like a known mistake",
}


@dataclass(frozen=True)
class MisconceptionMatch:
    """The mistaken belief an incorrect answer matches ("Likely misconception: ...")."""

    name: str
    summary: str
    source: MisconceptionSource
    explanation: str = ""  # Markdown, params substituted
    basis: MatchBasis = MatchBasis.ANSWER

    @property
    def label(self) -> str:
        """How the match is introduced to the user, e.g. "Likely misconception"."""
        return MATCH_LABELS[self.basis]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "summary": self.summary,
            "source": self.source.value,
            "basis": self.basis.value,
        }


@dataclass(frozen=True)
class GradeResult:
    question_id: str
    seed: int
    status: GradeStatus
    given: str  # the user's answer as typed
    expected: Any = None  # the live truth, as JSON-able plain data (or the printed text)
    expected_display: str = ""  # the truth as a user should read it, e.g. "(16, 64)"
    given_display: str = ""  # the parsed answer, normalised for display
    feedback: str = ""  # why: the parse error, the assertion message, the mismatch
    stdout: str = ""  # what the question's / user's code printed
    score: float | None = None  # recall: fraction of key points ticked; else 1.0 / 0.0
    duration_ms: float = 0.0
    device: str = "cpu"
    torch_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Incorrect answers only: the misconception the answer matches, if any.
    misconception: MisconceptionMatch | None = None

    @property
    def correct(self) -> bool:
        return self.status is GradeStatus.CORRECT

    @property
    def counts(self) -> bool:
        """Whether this attempt is a real attempt (recorded, scheduled). Invalid ones are not."""
        return self.status in (GradeStatus.CORRECT, GradeStatus.INCORRECT, GradeStatus.TIMEOUT) or (
            self.status is GradeStatus.ERROR and self.extra.get("user_fault", False)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.question_id,
            "seed": self.seed,
            "status": self.status.value,
            "correct": self.correct,
            "given": self.given,
            "expected": self.expected,
            "feedback": self.feedback,
            "misconception": self.misconception.to_json() if self.misconception else None,
        }
