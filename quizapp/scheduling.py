"""Spaced repetition with FSRS (the `fsrs` 6 package): outcome -> rating, card updates, the queue.

Rating rules (see docs/progress.md):
- a wrong answer, a timeout, or code that raised through the user's fault -> Again;
- recall questions are self-graded: score < 0.5 -> Again, < 0.8 -> Hard, else as a right answer;
- right with at least one hint -> Hard;
- right, no hint, and quick -> Easy; "quick" means a latency at or below the kind's threshold in
  QUICK_SECONDS (a fast answer shows the fact is fluent, not just reconstructed);
- otherwise right -> Good.

A lapse is an Again on a card that had graduated to Review; a card with LEECH_LAPSES lapses or more
is a leech (still served, but flagged so the user can rewrite or study it differently).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from fsrs import Card, Rating, Scheduler, State

from quizapp.grading.types import GradeResult, GradeStatus

LEECH_LAPSES = 8
DEFAULT_NEW_PER_DAY = 20
MAX_SEED = 2**31 - 1
# Like Anki's learn-ahead limit: a card in its short learning steps that falls due within this
# window is served now rather than leaving the queue empty for a few minutes.
LEARN_AHEAD = timedelta(minutes=20)

# Seconds at or below which a right, hint-free answer counts as Easy, per question kind.
QUICK_SECONDS: dict[str, float] = {
    "choice": 8.0,
    "shape": 15.0,
    "value": 20.0,
    "output": 20.0,
    "recall": 30.0,
    "code": 60.0,
}
DEFAULT_QUICK_SECONDS = 20.0

RECALL_AGAIN_BELOW = 0.5
RECALL_HARD_BELOW = 0.8

__all__ = [
    "DEFAULT_NEW_PER_DAY",
    "LEECH_LAPSES",
    "QUICK_SECONDS",
    "CardState",
    "Rating",
    "State",
    "draw_seed",
    "is_lapse",
    "local_day",
    "make_scheduler",
    "rating_for",
    "review",
    "utcnow",
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_day(moment: datetime, tz: tzinfo | None = None) -> date:
    """The user's study day for a UTC moment: the local calendar date (system zone by default)."""
    return (moment.astimezone(tz) if tz is not None else moment.astimezone()).date()


def make_scheduler(*, fuzz: bool = True) -> Scheduler:
    """FSRS with its default parameters; desired retention 0.9."""
    return Scheduler(desired_retention=0.9, enable_fuzzing=fuzz)


def draw_seed(rng: random.Random | None = None) -> int:
    """A fresh variant seed for one attempt (stored with the attempt)."""
    return (rng or random.SystemRandom()).randint(0, MAX_SEED)


def rating_for(result: GradeResult, *, kind: str, latency_s: float, hints_used: int) -> Rating:
    """The FSRS rating an outcome earns (rules in the module docstring)."""
    if not result.correct and not (kind == "recall" and result.score is not None):
        return Rating.Again
    if result.status in (GradeStatus.TIMEOUT, GradeStatus.ERROR):
        return Rating.Again
    if kind == "recall" and result.score is not None:
        if result.score < RECALL_AGAIN_BELOW:
            return Rating.Again
        if result.score < RECALL_HARD_BELOW:
            return Rating.Hard
    if hints_used > 0:
        return Rating.Hard
    if latency_s <= QUICK_SECONDS.get(kind, DEFAULT_QUICK_SECONDS):
        return Rating.Easy
    return Rating.Good


def is_lapse(state_before: State, rating: Rating) -> bool:
    return state_before == State.Review and rating == Rating.Again


@dataclass(frozen=True)
class CardState:
    """An fsrs.Card plus our counters, as plain data (kept per user and question)."""

    card_id: int
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int = 0
    lapses: int = 0

    @classmethod
    def new(cls, card_id: int, now: datetime) -> CardState:
        return cls(card_id, int(State.Learning), 0, None, None, now, None)

    def to_card(self) -> Card:
        return Card(
            card_id=self.card_id,
            state=State(self.state),
            step=self.step,
            stability=self.stability,
            difficulty=self.difficulty,
            due=self.due,
            last_review=self.last_review,
        )

    @property
    def leech(self) -> bool:
        return self.lapses >= LEECH_LAPSES


def review(
    scheduler: Scheduler, before: CardState, rating: Rating, now: datetime, duration_ms: int | None
) -> CardState:
    """The card after one review at `now` (UTC-aware)."""
    card, _log = scheduler.review_card(
        before.to_card(), rating, review_datetime=now, review_duration=duration_ms
    )
    return CardState(
        card_id=card.card_id,
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
        reps=before.reps + 1,
        lapses=before.lapses + int(is_lapse(State(before.state), rating)),
    )


@dataclass(frozen=True)
class QueueItem:
    question_id: str
    seed: int
    reason: str  # a quizapp.practice.modes.Reason value
    due_at: datetime | None  # None for a question never answered
    leech: bool = False
    changed: bool = False  # the question's text changed since the user last answered it


def end_of_day(day: date, tz: tzinfo | None) -> datetime:
    """The UTC moment a local study day ends."""
    local_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time())
    aware = local_midnight.replace(tzinfo=tz) if tz is not None else local_midnight.astimezone()
    return aware.astimezone(UTC)
