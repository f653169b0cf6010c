"""Progress statistics as plain data (no SQLAlchemy types), built by quizapp.progress.

Definitions (see docs/progress.md):
- accuracy: correct / attempts over every recorded attempt (None with no attempts);
- mastery of a topic: the fraction of the topic's questions whose card is in the Review state with
  a stability of at least MASTERY_STABILITY_DAYS (Anki's "mature": recall ~90% three weeks out);
- streaks count local study days with at least one attempt; the current streak still stands when
  today has no attempt yet but yesterday had one;
- weakest questions: lowest accuracy, then most lapses, among questions with a wrong answer;
- recurring misconceptions: the misconceptions wrong answers matched, by (name, source), most
  frequent first (then most recent), with the questions they were matched on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

MASTERY_STABILITY_DAYS = 21.0
ACTIVITY_DAYS = 365
FORECAST_DAYS = 14


@dataclass(frozen=True)
class Totals:
    attempts: int
    correct: int
    accuracy: float | None
    questions_seen: int
    time_spent_s: float


@dataclass(frozen=True)
class TopicStats:
    topic: str
    questions: int  # in the bank (or, without a bank, seen)
    seen: int
    attempts: int
    correct: int
    accuracy: float | None
    mastered: int
    mastery: float  # mastered / questions
    due: int


@dataclass(frozen=True)
class DayActivity:
    day: date
    attempts: int
    correct: int


@dataclass(frozen=True)
class DueDay:
    day: date
    due: int


@dataclass(frozen=True)
class WeakQuestion:
    question_id: str
    topic: str
    attempts: int
    correct: int
    accuracy: float
    lapses: int
    leech: bool
    median_latency_s: float | None
    # What a learner sees: the bank's title (the id when the bank no longer has the question).
    # Ids are handles for authors and often name the trap a question tests.
    title: str = ""


@dataclass(frozen=True)
class RecurringMisconception:
    """A misconception the user's wrong answers matched (most frequent first)."""

    name: str
    source: str  # "authored" | "automatic"
    summary: str  # from the bank ("" when no question in it has this misconception)
    count: int
    last_seen: datetime
    questions: list[str]
    titles: list[str] = field(default_factory=list)  # the questions' titles, in the same order


@dataclass(frozen=True)
class Stats:
    user: str
    today: date
    totals: Totals
    topics: list[TopicStats]
    current_streak: int
    longest_streak: int
    activity: list[DayActivity]  # ACTIVITY_DAYS days, oldest first, ending today
    due_forecast: list[DueDay]  # FORECAST_DAYS days from today; today includes overdue cards
    weakest: list[WeakQuestion]
    median_latency_s: float | None
    due_today: int
    new_today: int
    new_per_day: int
    leeches: int = 0
    changed: list[str] = field(default_factory=list)  # ids edited since last answered
    misconceptions: list[RecurringMisconception] = field(default_factory=list)

    # Questions a round could still introduce (the bank's playable ones never answered); None
    # without a bank. Caps new_left_today, as the planner is capped by what is left.
    unseen: int | None = None

    @property
    def new_left_today(self) -> int:
        """New questions a Learn round would still introduce today: the day's pace (the
        profile's, or the interview plan's) less those already begun, and no more than are
        left; the figure the planner plans with."""
        left = max(self.new_per_day - self.new_today, 0)
        return left if self.unseen is None else min(left, self.unseen)

    def to_json(self) -> dict[str, Any]:
        def convert(value: Any) -> Any:
            if isinstance(value, date | datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, list):
                return [convert(v) for v in value]
            return value

        data: dict[str, Any] = convert(asdict(self))
        data["new_left_today"] = self.new_left_today
        return data


def accuracy(correct: int, attempts: int) -> float | None:
    return correct / attempts if attempts else None


def streaks(days: set[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive study days."""
    longest = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = 0
    cursor = today if today in days else today - timedelta(days=1)
    while cursor in days:
        current += 1
        cursor -= timedelta(days=1)
    return current, longest


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
