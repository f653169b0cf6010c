"""The practice core: what a round is (modes), how one is planned (planner, curriculum, mock),
and a session that owns a round while the user is in it. No Textual, no torch: the TUI shows a
`PracticeSession` and `quizapp queue` prints a `Plan`."""

from __future__ import annotations

from quizapp.practice.modes import (
    DEFAULT_MOCK_SIZE,
    MOCK_SIZES,
    QUEUE_MODES,
    PracticeMode,
    Reason,
)
from quizapp.practice.planner import History, Plan, PlannedItem, plan_round, single_round
from quizapp.practice.session import Cancelled, PracticeSession, Submission
from quizapp.practice.summary import ItemReview, PastRound, RoundSummary, Trend

__all__ = [
    "DEFAULT_MOCK_SIZE",
    "MOCK_SIZES",
    "QUEUE_MODES",
    "Cancelled",
    "History",
    "ItemReview",
    "PastRound",
    "Plan",
    "PlannedItem",
    "PracticeMode",
    "PracticeSession",
    "Reason",
    "RoundSummary",
    "Submission",
    "Trend",
    "plan_round",
    "single_round",
]
