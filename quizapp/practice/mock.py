"""A mock interview, planned independently of the due queue and the daily allowance.

Rules (unit tests with hypothesis in tests/practice/test_mock.py):
- `size` questions (5, 10 or 15 in the app), or every question when the bank has fewer;
- at least min(size, topics available) topics and min(3, kinds available) kinds;
- at least one code question in a mock of 10 or more (when the bank has one);
- difficulty rising: easy, then medium, then hard (about a third each, medium rounded up);
- nothing answered in the last 24 hours while the bank has other questions (the longest ago
  answered are used first when it must);
- fresh seeds; a clock per question (2 minutes, code 5) whose sum is the round's limit.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from quizapp.bank.models import Kind, Question
from quizapp.practice.curriculum import DIFFICULTY_RANK
from quizapp.practice.modes import PracticeMode, Reason
from quizapp.scheduling import draw_seed

if TYPE_CHECKING:
    from quizapp.practice.planner import History, Plan

MOCK_SECONDS = 120.0
MOCK_CODE_SECONDS = 300.0
RECENT = timedelta(hours=24)
CODE_FROM_SIZE = 10
MIN_KINDS = 3


def seconds_for(kind: str) -> float:
    return MOCK_CODE_SECONDS if kind == Kind.CODE.value else MOCK_SECONDS


def difficulty_quota(size: int) -> dict[int, int]:
    """How many easy (0), medium (1) and hard (2) questions a mock of `size` asks."""
    easy = hard = size // 3
    return {0: easy, 1: size - easy - hard, 2: hard}


def plan_mock(
    scope: Sequence[Question],
    *,
    history: History,
    now: datetime,
    size: int,
    rng: random.Random | None = None,
    topic: str | None = None,
) -> Plan:
    from quizapp.practice.planner import EmptyReason, Plan, PlannedItem

    rng = rng or random.Random(draw_seed())
    size = max(1, size)
    if not scope:
        return Plan(PracticeMode.MOCK, [], topic, empty_reason=EmptyReason.NO_QUESTIONS)
    last_seen: dict[str, datetime | None] = {
        c.question_id: c.last_review for c in history.cards if c.last_review
    }
    recent = {q for q, at in last_seen.items() if at is not None and now - at < RECENT}
    picked = pick_mock(scope, size=size, recent=recent, last_seen=last_seen, rng=rng)
    items = [
        PlannedItem(
            question_id=q.id,
            topic=q.topic,
            kind=q.kind.value,
            difficulty=q.difficulty.value,
            reason=Reason.MOCK,
            seed=draw_seed(rng),
            seconds=seconds_for(q.kind.value),
        )
        for q in picked
    ]
    total = sum(i.seconds or 0.0 for i in items)
    return Plan(PracticeMode.MOCK, items, topic, time_limit_s=total)


def pick_mock(
    scope: Sequence[Question],
    *,
    size: int,
    recent: set[str],
    last_seen: dict[str, datetime | None],
    rng: random.Random,
) -> list[Question]:
    """The questions of a mock, ordered by rising difficulty (rules in the module docstring)."""
    pool = list(scope)
    rng.shuffle(pool)
    size = min(size, len(pool))
    topics_needed = min(size, len({q.topic for q in pool}))
    kinds_needed = min(MIN_KINDS, size, len({q.kind for q in pool}))
    code_needed = size >= CODE_FROM_SIZE and any(q.kind is Kind.CODE for q in pool)
    quota = difficulty_quota(size)
    fresh_count = sum(1 for q in pool if q.id not in recent)
    picked: list[Question] = []
    topics: Counter[str] = Counter()
    kinds: Counter[Kind] = Counter()
    ranks: Counter[int] = Counter()
    oldest = min((t for t in last_seen.values() if t is not None), default=None)

    def score(q: Question) -> float:
        s = 0.0
        if q.id in recent and fresh_count >= size:
            s -= 1000.0
        elif q.id in recent:
            at = last_seen.get(q.id)
            # The longest ago answered first when the bank is too small to avoid them.
            s -= 100.0 + ((at - oldest).total_seconds() / 3600.0 if at and oldest else 0.0)
        if len(topics) < topics_needed and q.topic not in topics:
            s += 200.0
        if len(kinds) < kinds_needed and q.kind not in kinds:
            s += 150.0
        if code_needed and q.kind is Kind.CODE and not kinds[Kind.CODE]:
            s += 300.0
        rank = DIFFICULTY_RANK[q.difficulty]
        s += 40.0 if ranks[rank] < quota[rank] else -40.0
        s -= 25.0 * topics[q.topic] + 12.0 * kinds[q.kind]
        return s + rng.random()

    for _ in range(size):
        best = max(pool, key=score)
        pool.remove(best)
        picked.append(best)
        topics[best.topic] += 1
        kinds[best.kind] += 1
        ranks[DIFFICULTY_RANK[best.difficulty]] += 1
    return rising(picked)


def rising(questions: list[Question]) -> list[Question]:
    """Easy to hard; within one difficulty, topics alternate where they can."""
    out: list[Question] = []
    for rank in sorted({DIFFICULTY_RANK[q.difficulty] for q in questions}):
        band = [q for q in questions if DIFFICULTY_RANK[q.difficulty] == rank]
        while band:
            last = out[-1].topic if out else None
            nxt = next((q for q in band if q.topic != last), band[0])
            band.remove(nxt)
            out.append(nxt)
    return out
