"""The progress service end to end on every backend (SQLite and, when reachable, PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from quizapp.bank.models import Question
from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.progress import ProgressService
from quizapp.store import Store, open_store

QUESTIONS = [
    Question(id=f"{t}.q{i}", kind="shape", topic=t, prompt="p", answer="(1,)")
    for t in ("shapes", "autograd")
    for i in range(3)
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_service_scenario(store: Store, db_url: str) -> None:
    clock = Clock()
    service = ProgressService(store, clock=clock, tz=UTC, fuzz=False)
    service.add_user("ann")
    sid = service.start_session("ann", "review")
    for i in range(20):
        clock.now += timedelta(hours=5)
        q = QUESTIONS[i % len(QUESTIONS)]
        status = GradeStatus.CORRECT if i % 4 else GradeStatus.INCORRECT
        r = GradeResult(question_id=q.id, seed=i, status=status, given="(1,)", score=None)
        assert service.record_attempt(
            "ann", q, r, answer="(1,)", latency_s=1.0 + i, hints_used=i % 2, session_id=sid
        )
    service.end_session(sid)
    stats = service.stats("ann", questions=QUESTIONS)
    assert stats.totals.attempts == 20 and stats.totals.correct == 15
    assert stats.totals.time_spent_s == sum(1.0 + i for i in range(20))
    assert stats.median_latency_s == 10.5
    assert {t.topic: t.attempts for t in stats.topics} == {"autograd": 9, "shapes": 11}
    assert stats.longest_streak == 5 and stats.current_streak == 5
    assert sum(d.attempts for d in stats.activity) == 20
    assert stats.weakest and stats.weakest[0].accuracy < 1
    assert service.get_user("ann").attempts == 20
    queue = service.next_questions("ann", questions=QUESTIONS, mode="drill")
    assert len(queue) == 6
    exported = service.export_user("ann")
    service.import_data(exported, as_user="copy")
    copy = service.export_user("copy")
    copy["user"]["name"] = "ann"
    assert json.dumps(copy, sort_keys=True) == json.dumps(exported, sort_keys=True)
    assert service.reset("copy", topic="shapes") == 3
    assert service.remove_user("copy") == 20
    service.close()
    # Everything is still there for a fresh process.
    reopened = ProgressService(open_store(db_url), clock=clock, tz=UTC)
    assert reopened.stats("ann", questions=QUESTIONS) == stats
    reopened.close()


def test_a_renamed_question_keeps_its_progress_through_its_alias(store: Store) -> None:
    clock = Clock()
    service = ProgressService(store, clock=clock, tz=UTC, fuzz=False)
    old = Question(id="shapes.keeps-name", kind="shape", topic="shapes", prompt="p", answer="(1,)")
    other = QUESTIONS[0]
    for user in ("ann", "bob"):
        service.add_user(user)
        for i in range(3):
            clock.now += timedelta(hours=30)
            r = GradeResult(question_id=old.id, seed=i, status=GradeStatus.CORRECT, given="(1,)")
            service.record_attempt(user, old, r, answer="(1,)", latency_s=2.0, hints_used=0)
    r = GradeResult(question_id=other.id, seed=0, status=GradeStatus.CORRECT, given="(1,)")
    service.record_attempt("ann", other, r, answer="(1,)", latency_s=2.0, hints_used=0)
    # bob already answered it under the new name too (an app of the new version, an old store)
    new = old.model_copy(update={"id": "shapes.neutral-name", "aliases": ("shapes.keeps-name",)})
    clock.now += timedelta(hours=30)
    r = GradeResult(question_id=new.id, seed=9, status=GradeStatus.INCORRECT, given="(2,)")
    service.record_attempt("bob", new, r, answer="(2,)", latency_s=2.0, hints_used=0)
    before = {u: service.question_statuses(u) for u in ("ann", "bob")}
    assert old.id in before["ann"] and new.id not in before["ann"]

    assert service.adopt_aliases({old.id: new.id}) == 6
    after = {u: service.question_statuses(u) for u in ("ann", "bob")}
    assert old.id not in after["ann"] and old.id not in after["bob"]
    assert after["ann"][new.id] == before["ann"][old.id]  # the card moved as it was
    assert after["bob"][new.id] == before["bob"][new.id]  # the card reviewed last is kept
    assert after["ann"][other.id] == before["ann"][other.id]
    attempts = service.export_user("ann")["attempts"]
    assert sorted(a["question_id"] for a in attempts) == sorted([other.id] + [new.id] * 3)
    assert service.get_user("bob").attempts == 4
    assert service.adopt_aliases({old.id: new.id}) == 0  # idempotent: nothing left to move
    assert service.stats("ann", questions=[new, other]).totals.attempts == 4
    service.close()


def test_moving_renamed_progress_never_stops_the_app(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from quizapp.store import repository

    def busy(*_a: object, **_k: object) -> int:
        raise OperationalError("UPDATE attempts", {}, Exception("database is locked"))

    service = ProgressService(store, fuzz=False)
    monkeypatch.setattr(repository, "adopt_aliases", busy)
    assert service.adopt_aliases({"a.old": "a.new"}) == 0  # logged; tried again at the next load
    service.close()
