"""The practice core: what a round is (modes), how one is planned (planner, curriculum, mock),
and a session that owns a round while the user is in it. No Textual, no torch: the TUI shows a
`PracticeSession` and `quizapp queue` prints a `Plan`.

Names are imported lazily: the TUI imports `quizapp.practice.modes` before its first frame, and
the planner pulls in the bank's pydantic models and fsrs, which must wait for the boot worker.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quizapp.practice.modes import (
        DEFAULT_MOCK_SIZE,
        MOCK_SIZES,
        QUEUE_MODES,
        PracticeMode,
        QuestionStatus,
        Reason,
    )
    from quizapp.practice.planner import History, Plan, PlannedItem, plan_round, single_round
    from quizapp.practice.session import Cancelled, PracticeSession, Submission
    from quizapp.practice.summary import ItemReview, PastRound, RoundSummary, Trend

_WHERE = {
    "DEFAULT_MOCK_SIZE": "modes",
    "MOCK_SIZES": "modes",
    "QUEUE_MODES": "modes",
    "PracticeMode": "modes",
    "QuestionStatus": "modes",
    "Reason": "modes",
    "History": "planner",
    "Plan": "planner",
    "PlannedItem": "planner",
    "plan_round": "planner",
    "single_round": "planner",
    "Cancelled": "session",
    "PracticeSession": "session",
    "Submission": "session",
    "ItemReview": "summary",
    "PastRound": "summary",
    "RoundSummary": "summary",
    "Trend": "summary",
}

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
    "QuestionStatus",
    "Reason",
    "RoundSummary",
    "Submission",
    "Trend",
    "plan_round",
    "single_round",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'quizapp.practice' has no attribute {name!r}")
    return getattr(importlib.import_module(f"quizapp.practice.{module}"), name)
