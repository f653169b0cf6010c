"""What a finished round says: per item, the answer against the live truth, the time against
its clock, and (for mocks) the trend against earlier mocks. Plain data, built by the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.practice.modes import PracticeMode


@dataclass(frozen=True)
class PastRound:
    """An earlier mock interview as the store kept it."""

    session_id: int
    started_at: datetime
    attempts: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class ItemReview:
    """One question of the round, reviewed."""

    question_id: str
    title: str
    topic: str
    kind: str
    difficulty: str
    seed: int
    answered: bool
    score: float  # 1.0 right, 0.0 wrong or unanswered, in between for recall
    seconds: float
    allowed_s: float | None  # the mock's clock for this question
    given: str = ""
    truth: str = ""  # the live truth as a user reads it (or the check's verdict for code)
    feedback: str = ""
    status: GradeStatus | None = None
    tries: int = 0  # submissions (code can be submitted again after a failure)
    passed_later: bool = False  # wrong at first, right on a later try (not what was scheduled)

    @property
    def correct(self) -> bool:
        return self.status is GradeStatus.CORRECT

    @property
    def over_time(self) -> bool:
        return self.allowed_s is not None and self.seconds > self.allowed_s


@dataclass(frozen=True)
class Trend:
    """This mock against earlier ones (accuracy of the answers given)."""

    previous: list[float]  # oldest first
    current: float

    @property
    def change(self) -> float | None:
        return self.current - self.previous[-1] if self.previous else None

    def describe(self) -> str:
        if not self.previous:
            return "Your first mock interview: the next one will show a trend."
        last = self.previous[-1]
        mean = sum(self.previous) / len(self.previous)
        arrow = "↑" if self.current > last else "↓" if self.current < last else "→"
        return (
            f"{arrow} {self.current:.0%} this time, {last:.0%} last time, "
            f"{mean:.0%} over {len(self.previous)} earlier mock"
            f"{'' if len(self.previous) == 1 else 's'}"
        )


@dataclass(frozen=True)
class RoundSummary:
    mode: PracticeMode
    items: list[ItemReview]
    elapsed_s: float
    out_of_time: bool
    trend: Trend | None = None

    @property
    def asked(self) -> int:
        return len(self.items)

    @property
    def answered(self) -> int:
        return sum(1 for i in self.items if i.answered)

    @property
    def score(self) -> float:
        return sum(i.score for i in self.items)

    @property
    def per_topic(self) -> dict[str, tuple[float, int]]:
        """topic -> (points, questions asked)."""
        out: dict[str, tuple[float, int]] = {}
        for i in self.items:
            points, n = out.get(i.topic, (0.0, 0))
            out[i.topic] = (points + i.score, n + 1)
        return dict(sorted(out.items()))

    @property
    def to_review(self) -> list[ItemReview]:
        return [i for i in self.items if i.score < 1.0]


def truth_of(result: GradeResult, kind: str) -> str:
    if kind == "code":
        return "passed the check" if result.correct else (result.feedback or "failed the check")
    if kind == "recall":
        return "self-graded against the key points"
    return result.expected_display or ("" if result.expected is None else str(result.expected))
