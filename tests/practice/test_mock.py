"""Mock interviews over random banks and histories (quizapp/practice/mock.py)."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from practice_helpers import NOW, banks, histories

from quizapp.bank.models import Question
from quizapp.practice.curriculum import DIFFICULTY_RANK
from quizapp.practice.mock import MOCK_CODE_SECONDS, MOCK_SECONDS, RECENT
from quizapp.practice.modes import PracticeMode, Reason
from quizapp.practice.planner import History, plan_round


@settings(max_examples=120, deadline=None)
@given(st.data(), banks(min_size=1), st.sampled_from((5, 10, 15)))
def test_a_mock_is_mixed_rising_and_fresh(
    data: st.DataObject, bank: list[Question], size: int
) -> None:
    history = data.draw(histories(bank))
    plan = plan_round(
        PracticeMode.MOCK,
        questions=bank,
        history=history,
        now=NOW,
        size=size,
        rng=random.Random(data.draw(st.integers(0, 10**6))),
    )
    items = plan.items
    by_id = {q.id: q for q in bank}
    n = min(size, len(bank))
    assert len(items) == n and len({i.question_id for i in items}) == n
    assert {i.reason for i in items} == {Reason.MOCK}
    recent = {
        c.question_id for c in history.cards if c.last_review and NOW - c.last_review < RECENT
    }
    fresh = [q for q in bank if q.id not in recent]
    # Spread over topics and kinds, within what freshness allows: with enough fresh questions
    # a mock uses only those, so a topic whose only question was just answered is left out.
    pool = fresh if len(fresh) >= n else bank
    assert len({i.topic for i in items}) >= min(n, len({q.topic for q in pool}))
    assert len({i.kind for i in items}) >= min(3, n, len({q.kind for q in pool}))
    if n >= 10 and any(q.kind.value == "code" for q in pool):
        assert any(i.kind == "code" for i in items)
    ranks = [DIFFICULTY_RANK[by_id[i.question_id].difficulty] for i in items]
    assert ranks == sorted(ranks)
    fresh_available = len(fresh)
    used_recent = [i for i in items if i.question_id in recent]
    assert len(used_recent) <= max(0, n - fresh_available)
    for i in items:
        assert i.seconds == (MOCK_CODE_SECONDS if i.kind == "code" else MOCK_SECONDS)
    assert plan.time_limit_s == sum(i.seconds or 0 for i in items)


def test_a_mock_ignores_the_daily_allowance_and_the_due_queue() -> None:
    from practice_helpers import question

    bank = [
        question(f"q{i}", t, k, d)
        for i, (t, k, d) in enumerate(
            (t, k, d)
            for t in ("shapes", "autograd", "modes", "hooks", "forward-pass")
            for k in ("shape", "code", "choice")
            for d in ("easy", "medium", "hard")
        )
    ]
    spent = History(cards=[], new_per_day=0, new_today=0)
    plan = plan_round(PracticeMode.MOCK, questions=bank, history=spent, now=NOW, size=10)
    assert len(plan.items) == 10
    assert plan_round(PracticeMode.LEARN, questions=bank, history=spent, now=NOW).items == []


def test_fresh_seeds_each_mock() -> None:
    from practice_helpers import question

    bank = [question(f"q{i}") for i in range(5)]
    history = History(cards=[], new_per_day=20, new_today=0)
    a = plan_round(PracticeMode.MOCK, questions=bank, history=history, now=NOW, size=5)
    b = plan_round(PracticeMode.MOCK, questions=bank, history=history, now=NOW, size=5)
    assert {i.seed for i in a.items}.isdisjoint({i.seed for i in b.items})
    assert timedelta(hours=24) == RECENT
