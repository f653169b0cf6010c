"""The practice vocabulary, spelled once: how a round is chosen, and why an item is in it."""

from __future__ import annotations

from enum import StrEnum


class PracticeMode(StrEnum):
    """How a round is chosen (the `quizapp queue --mode` values, plus one chosen question)."""

    LEARN = "learn"  # new questions, in curriculum order, within the daily allowance
    REVIEW = "review"  # what the scheduler says is due, most overdue first
    MIXED = "mixed"  # due first, then new ones
    DRILL = "drill"  # every question of one topic, weakest first, whatever the schedule
    MOCK = "mock"  # an interview: mixed topics and kinds against a clock, independent of both
    SINGLE = "single"  # one question the user picked (browser, stats, a summary)

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def session_kind(self) -> str:
        """The store's practice-session mode (it knows review, learn, drill, mixed, mock)."""
        return "drill" if self is PracticeMode.SINGLE else self.value

    @property
    def is_mock(self) -> bool:
        return self is PracticeMode.MOCK


LABELS = {
    PracticeMode.LEARN: "Learn new questions",
    PracticeMode.REVIEW: "Review what is due",
    PracticeMode.MIXED: "Mixed practice",
    PracticeMode.DRILL: "Drill one topic",
    PracticeMode.MOCK: "Mock interview",
    PracticeMode.SINGLE: "One question",
}

# The modes `quizapp queue --mode` and the planner accept by name (SINGLE needs a question).
QUEUE_MODES = (
    PracticeMode.LEARN,
    PracticeMode.REVIEW,
    PracticeMode.MIXED,
    PracticeMode.DRILL,
    PracticeMode.MOCK,
)


class Reason(StrEnum):
    """Why an item is in a round (shown by `quizapp queue` and the browser)."""

    DUE = "due"
    NEW = "new"
    DRILL = "drill"
    MOCK = "mock"
    CHOSEN = "chosen"


MOCK_SIZES = (5, 10, 15)
DEFAULT_MOCK_SIZE = 5
ROUND_SIZE = 10  # questions in a Learn / Review / Mixed / Drill round


class QuestionStatus(StrEnum):
    """Where one question stands for a user (the browser shows and filters by it)."""

    NEW = "new"  # never answered
    FAILED = "failed"  # the last answer was wrong
    DUE = "due"  # the scheduler wants it back now
    LEARNING = "learning"  # answered, not yet mature
    MATURE = "mature"  # in review with a stability of 21 days or more (Anki's "mature")
