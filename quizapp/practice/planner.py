"""Every kind of round is planned here, from plain data: the bank's questions, what the user has
answered (their cards), their settings and the time. Nothing is read or written here; the
progress service gathers a `History` and `QuizService.plan` calls `plan_round`, for the TUI and
for `quizapp queue` alike.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from quizapp.bank.models import Question
from quizapp.practice.curriculum import curriculum_order
from quizapp.practice.mock import plan_mock
from quizapp.practice.modes import DEFAULT_MOCK_SIZE, ROUND_SIZE, PracticeMode, Reason
from quizapp.scheduling import LEARN_AHEAD, LEECH_LAPSES, draw_seed


@dataclass(frozen=True)
class CardSnapshot:
    """What the planner knows about one question the user has answered."""

    question_id: str
    due: datetime
    stability: float | None
    lapses: int
    content_hash: str
    last_review: datetime | None
    first_day_is_today: bool = False


@dataclass(frozen=True)
class History:
    """A profile's state as the planner sees it (gathered in one read by ProgressService)."""

    cards: Sequence[CardSnapshot]
    new_per_day: int
    new_today: int
    focus_topics: tuple[str, ...] = ()

    @property
    def new_left_today(self) -> int:
        return max(self.new_per_day - self.new_today, 0)

    def recent_topics(self, topic_of: dict[str, str], count: int = 2) -> list[str]:
        """Topics of the last `count` questions answered, oldest first."""
        reviewed = sorted(
            (c for c in self.cards if c.last_review is not None and c.question_id in topic_of),
            key=lambda c: c.last_review,  # type: ignore[arg-type, return-value]
        )
        return [topic_of[c.question_id] for c in reviewed[-count:]]


@dataclass(frozen=True)
class PlannedItem:
    question_id: str
    topic: str
    kind: str
    difficulty: str
    reason: Reason
    seed: int
    due_at: datetime | None = None
    leech: bool = False
    changed: bool = False  # the question's text changed since the user last answered it
    seconds: float | None = None  # a mock's clock for this question

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.question_id,
            "topic": self.topic,
            "kind": self.kind,
            "difficulty": self.difficulty,
            "reason": self.reason.value,
            "seed": self.seed,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "seconds": self.seconds,
        }


class EmptyReason:
    """Why a round came out empty, in words that say what to do (the TUI and CLI show these)."""

    NOTHING_DUE = "Nothing is due for review. Learn new questions (l) or drill a topic (d)."
    NO_NEW = "Every question in scope has been seen. Review (r) or drill a topic (d)."
    NO_QUESTIONS = "No questions to practise here."


@dataclass(frozen=True)
class Plan:
    mode: PracticeMode
    items: list[PlannedItem]
    topic: str | None = None
    empty_reason: str = ""  # set when `items` is empty
    limit_note: str = ""  # the daily allowance capped the new questions (what and how to change)
    time_limit_s: float | None = None  # mocks: the sum of the per-question clocks
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "mode": self.mode.value,
            "topic": self.topic,
            "items": [i.to_json() for i in self.items],
            "empty_reason": self.empty_reason or None,
            "limit_note": self.limit_note or None,
            "time_limit_s": self.time_limit_s,
        }


def daily_limit_note(history: History, unseen: int) -> str:
    """Said when the allowance, not the bank, ends the new questions."""
    if history.new_per_day == 0:
        done = "Your daily limit of new questions is 0"
    else:
        done = (
            f"You have learnt {history.new_today} new question"
            f"{'' if history.new_today == 1 else 's'} today, your daily limit of "
            f"{history.new_per_day}"
        )
    return (
        f"{done}; {unseen} more are waiting. Raise the limit in Settings (,) or "
        f"with `quizapp users set NAME --new-per-day N`, or take a mock interview (m), which "
        "does not use the allowance."
    )


def plan_round(
    mode: PracticeMode,
    *,
    questions: Sequence[Question],
    history: History,
    now: datetime,
    hashes: dict[str, str] | None = None,
    topic: str | None = None,
    size: int | None = None,
    rng: random.Random | None = None,
) -> Plan:
    """The round the app serves now. `questions` is the playable bank in bank order; `topic`
    narrows it. Seeds are drawn fresh from `rng` (system randomness by default)."""
    if mode is PracticeMode.SINGLE:
        raise ValueError("a single-question round is built with single_round()")
    scope = [q for q in questions if topic is None or q.topic == topic]
    if mode is PracticeMode.MOCK:
        return plan_mock(
            scope, history=history, now=now, size=size or DEFAULT_MOCK_SIZE, rng=rng, topic=topic
        )
    limit = size or ROUND_SIZE
    hashes = hashes or {}
    by_id = {q.id: q for q in scope}
    cards = {c.question_id: c for c in history.cards if c.question_id in by_id}

    def item(q: Question, reason: Reason) -> PlannedItem:
        card = cards.get(q.id)
        return PlannedItem(
            question_id=q.id,
            topic=q.topic,
            kind=q.kind.value,
            difficulty=q.difficulty.value,
            reason=reason,
            seed=draw_seed(rng),
            due_at=card.due if card else None,
            leech=bool(card and card.lapses >= LEECH_LAPSES),
            changed=bool(card and q.id in hashes and hashes[q.id] != card.content_hash),
        )

    if not scope:
        return Plan(mode, [], topic, empty_reason=EmptyReason.NO_QUESTIONS)
    unseen = [q for q in scope if q.id not in cards]
    ordered_new = curriculum_order(
        unseen,
        done=set(cards),
        focus=() if topic else history.focus_topics,
        recent_topics=history.recent_topics({q.id: q.topic for q in questions}),
    )
    if mode is PracticeMode.DRILL:
        seen = sorted(cards.values(), key=lambda c: (c.stability or 0.0, -c.lapses, c.due))
        order = [by_id[c.question_id] for c in seen] + ordered_new
        return Plan(mode, [item(q, Reason.DRILL) for q in order[:limit]], topic)
    items: list[PlannedItem] = []
    if mode in (PracticeMode.REVIEW, PracticeMode.MIXED):
        due = sorted((c for c in cards.values() if c.due <= now + LEARN_AHEAD), key=lambda c: c.due)
        items.extend(item(by_id[c.question_id], Reason.DUE) for c in due[:limit])
    note = ""
    if mode in (PracticeMode.LEARN, PracticeMode.MIXED):
        room = max(min(limit - len(items), history.new_left_today), 0)
        items.extend(item(q, Reason.NEW) for q in ordered_new[:room])
        if len(items) < limit and history.new_left_today < len(ordered_new) and ordered_new:
            note = daily_limit_note(history, len(ordered_new))
    empty = ""
    if not items:
        if mode is PracticeMode.REVIEW:
            empty = EmptyReason.NOTHING_DUE
        elif note:
            empty = note
        else:
            empty = EmptyReason.NO_NEW if mode is PracticeMode.LEARN else EmptyReason.NOTHING_DUE
    return Plan(mode, items, topic, empty_reason=empty, limit_note=note)


def single_round(question: Question, seed: int) -> Plan:
    """One question the user picked (browser, stats, a summary)."""
    item = PlannedItem(
        question.id,
        question.topic,
        question.kind.value,
        question.difficulty.value,
        Reason.CHOSEN,
        seed,
    )
    return Plan(PracticeMode.SINGLE, [item])
