"""A practice round as plain data: the queue, where the user is in it, and what happened.

No Textual here, so the round's rules (mock clock, summary figures) are tested without a screen.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from quizapp.grading.types import GradeResult, GradeStatus

MODES = {
    "review": "Review what is due",
    "learn": "Learn new questions",
    "drill": "Drill one topic",
    "mixed": "Mixed practice",
    "mock": "Mock interview",
    "single": "One question",
}
MOCK_QUESTIONS = 5
MOCK_SECONDS_PER_QUESTION = 120


@dataclass(frozen=True)
class Item:
    question_id: str
    seed: int
    reason: str = ""


@dataclass(frozen=True)
class Outcome:
    question_id: str
    topic: str
    status: GradeStatus
    score: float
    seconds: float
    hints_used: int


@dataclass
class Round:
    """One sitting: a queue of variants answered in order, recorded as one session."""

    user: str
    mode: str
    items: list[Item]
    topic: str | None = None
    session_id: int | None = None
    time_limit_s: float | None = None  # mock interviews run against a clock
    clock: Callable[[], float] = time.monotonic
    index: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    started_at: float = 0.0

    def __post_init__(self) -> None:
        self.started_at = self.clock()

    @property
    def is_mock(self) -> bool:
        return self.mode == "mock"

    @property
    def hints_allowed(self) -> bool:
        return not self.is_mock

    @property
    def current(self) -> Item | None:
        return self.items[self.index] if self.index < len(self.items) else None

    @property
    def position(self) -> str:
        return f"{min(self.index + 1, len(self.items))}/{len(self.items)}"

    def remaining_s(self) -> float | None:
        if self.time_limit_s is None:
            return None
        return max(0.0, self.time_limit_s - (self.clock() - self.started_at))

    @property
    def out_of_time(self) -> bool:
        remaining = self.remaining_s()
        return remaining is not None and remaining <= 0

    @property
    def finished(self) -> bool:
        return self.current is None or self.out_of_time

    def add(self, topic: str, result: GradeResult, *, seconds: float, hints_used: int) -> None:
        score = result.score if result.score is not None else (1.0 if result.correct else 0.0)
        item = self.current
        qid = item.question_id if item else result.question_id
        self.outcomes.append(Outcome(qid, topic, result.status, score, seconds, hints_used))

    def advance(self) -> Item | None:
        self.index += 1
        return None if self.finished else self.current

    def summary(self) -> RoundSummary:
        per_topic: dict[str, list[float]] = defaultdict(list)
        for o in self.outcomes:
            per_topic[o.topic].append(o.score)
        answered = {o.question_id for o in self.outcomes}
        unanswered = [i.question_id for i in self.items if i.question_id not in answered]
        to_review = [o.question_id for o in self.outcomes if o.score < 1.0]
        total = sum(o.score for o in self.outcomes)
        return RoundSummary(
            mode=self.mode,
            asked=len(self.items),
            answered=len(self.outcomes),
            score=total,
            per_topic={t: (sum(s), len(s)) for t, s in sorted(per_topic.items())},
            times=[(o.question_id, o.seconds) for o in self.outcomes],
            to_review=to_review + unanswered,
            elapsed_s=self.clock() - self.started_at,
            out_of_time=self.out_of_time and bool(unanswered),
        )


@dataclass(frozen=True)
class RoundSummary:
    mode: str
    asked: int
    answered: int
    score: float
    per_topic: dict[str, tuple[float, int]]  # topic -> (points, questions)
    times: list[tuple[str, float]]
    to_review: list[str]
    elapsed_s: float
    out_of_time: bool


def plural(count: int, word: str) -> str:
    """`1 answer`, `3 answers`: the words the screens count in all take a plain -s."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def spread_topics(items: list[Item], topic_of: Callable[[str], str], count: int) -> list[Item]:
    """Up to `count` items taking topics in turn, so a mock interview is not one topic."""
    by_topic: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_topic[topic_of(item.question_id)].append(item)
    queues = list(by_topic.values())
    picked: list[Item] = []
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked
