"""Rounds of every mode from plain data (quizapp/practice/planner.py)."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from practice_helpers import NOW, banks, histories, question

from quizapp.bank.models import Question
from quizapp.practice.modes import PracticeMode, Reason
from quizapp.practice.planner import CardSnapshot, EmptyReason, History, plan_round
from quizapp.scheduling import LEARN_AHEAD


def _card(qid: str, due: timedelta, stability: float = 2.0, lapses: int = 0) -> CardSnapshot:
    return CardSnapshot(qid, NOW + due, stability, lapses, "h", NOW - timedelta(days=2))


def test_mixed_serves_due_first_most_overdue_first_then_new_up_to_the_limit() -> None:
    bank = [question(f"q{i}") for i in range(10)]
    history = History(
        cards=[
            _card("q1", timedelta(days=-1)),
            _card("q2", timedelta(days=-3)),
            _card("q3", timedelta(days=2), 9.0),  # not due
        ],
        new_per_day=3,
        new_today=0,
    )
    plan = plan_round(
        PracticeMode.MIXED, questions=bank, history=history, now=NOW, rng=random.Random(1)
    )
    assert [(i.question_id, i.reason) for i in plan.items] == [
        ("q2", Reason.DUE),
        ("q1", Reason.DUE),
        ("q0", Reason.NEW),
        ("q4", Reason.NEW),
        ("q5", Reason.NEW),
    ]
    assert plan.items[0].due_at == NOW - timedelta(days=3) and plan.items[2].due_at is None
    assert len({i.seed for i in plan.items}) == len(plan.items)
    assert "daily limit of 3" in plan.limit_note and "--new-per-day" in plan.limit_note


def test_modes_limits_and_flags() -> None:
    bank = [question(q) for q in "abcd"]
    history = History(
        cards=[_card("a", timedelta(hours=-1), 1.0, 9), _card("b", timedelta(days=5), 30.0)],
        new_per_day=5,
        new_today=0,
    )
    kw = {"questions": bank, "history": history, "now": NOW, "hashes": {"a": "changed"}}
    review = plan_round(PracticeMode.REVIEW, **kw)  # type: ignore[arg-type]
    assert [i.question_id for i in review.items] == ["a"]
    assert review.items[0].leech and review.items[0].changed
    learn = plan_round(PracticeMode.LEARN, **kw)  # type: ignore[arg-type]
    assert [i.question_id for i in learn.items] == ["c", "d"]
    assert len(plan_round(PracticeMode.MIXED, size=2, **kw).items) == 2  # type: ignore[arg-type]
    drill = plan_round(PracticeMode.DRILL, **kw)  # type: ignore[arg-type]
    assert [i.question_id for i in drill.items] == ["a", "b", "c", "d"]
    assert {i.reason for i in drill.items} == {Reason.DRILL}


def test_empty_rounds_say_why_and_what_to_do() -> None:
    bank = [question("a"), question("b")]
    spent = History(cards=[], new_per_day=2, new_today=2)
    learn = plan_round(PracticeMode.LEARN, questions=bank, history=spent, now=NOW)
    assert learn.items == []
    assert "daily limit of 2" in learn.empty_reason and "2 more are waiting" in learn.empty_reason
    assert "Settings" in learn.empty_reason and "users set" in learn.empty_reason
    review = plan_round(PracticeMode.REVIEW, questions=bank, history=spent, now=NOW)
    assert review.empty_reason == EmptyReason.NOTHING_DUE
    all_seen = History(
        cards=[_card("a", timedelta(days=3)), _card("b", timedelta(days=3))],
        new_per_day=20,
        new_today=0,
    )
    learn = plan_round(PracticeMode.LEARN, questions=bank, history=all_seen, now=NOW)
    assert learn.empty_reason == EmptyReason.NO_NEW


@settings(max_examples=150, deadline=None)
@given(st.data(), banks(), st.sampled_from(list(PracticeMode)[:4]), st.integers(1, 15))
def test_rounds_keep_their_mode_rules_over_random_histories(
    data: st.DataObject, bank: list[Question], mode: PracticeMode, size: int
) -> None:
    history = data.draw(histories(bank))
    plan = plan_round(mode, questions=bank, history=history, now=NOW, size=size)
    seen = {c.question_id for c in history.cards}
    due = {c.question_id for c in history.cards if c.due <= NOW + LEARN_AHEAD}
    ids = [i.question_id for i in plan.items]
    assert len(ids) == len(set(ids)) <= size
    new = [i for i in plan.items if i.reason is Reason.NEW]
    assert all(i.question_id not in seen for i in new)
    assert len(new) <= history.new_left_today
    assert all(i.question_id in due for i in plan.items if i.reason is Reason.DUE)
    if mode is PracticeMode.REVIEW:
        assert {i.reason for i in plan.items} <= {Reason.DUE}
        assert len(ids) == min(size, len(due))
    if mode is PracticeMode.LEARN:
        assert {i.reason for i in plan.items} <= {Reason.NEW}
        assert len(ids) == min(size, history.new_left_today, len(bank) - len(seen))
    if mode is PracticeMode.MIXED:
        reasons = [i.reason for i in plan.items]
        assert reasons == sorted(reasons, key=lambda r: r is Reason.NEW)  # due first
    if mode is PracticeMode.DRILL:
        assert len(ids) == min(size, len(bank))
    if not plan.items:
        assert plan.empty_reason


def test_focus_topics_from_the_settings_lead_learn() -> None:
    bank = [question(f"s{i}", "shapes", difficulty="easy") for i in range(5)] + [
        question(f"h{i}", "hooks", difficulty="easy") for i in range(5)
    ]
    history = History(cards=[], new_per_day=20, new_today=0, focus_topics=("hooks",))
    plan = plan_round(PracticeMode.LEARN, questions=bank, history=history, now=NOW, size=3)
    assert [i.topic for i in plan.items].count("hooks") == 2
    assert plan.items[0].topic == "hooks"
