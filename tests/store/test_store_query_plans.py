"""The stats queries read their indexes (EXPLAIN QUERY PLAN on a small SQLite database)."""

from __future__ import annotations

from sqlalchemy import Select

from quizapp.bank.models import Question
from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.progress import ProgressService
from quizapp.store import Store, open_store
from quizapp.store import repository as repo


def _plan(store: Store, stmt: Select) -> str:  # type: ignore[type-arg]
    sql = stmt.compile(store.engine, compile_kwargs={"literal_binds": True})
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    return " | ".join(str(r[-1]) for r in rows)


def _small_store(url: str) -> Store:
    store = open_store(url)
    service = ProgressService(store)
    service.add_user("ann")
    for i in range(30):
        q = Question(id=f"q{i % 7}", kind="shape", topic=f"t{i % 3}", prompt="p", answer="(1,)")
        status = GradeStatus.CORRECT if i % 2 else GradeStatus.INCORRECT
        r = GradeResult(question_id=q.id, seed=i, status=status, given="(1,)")
        service.record_attempt("ann", q, r, answer="(1,)", latency_s=i, hints_used=0)
    return store


def test_stats_totals_come_from_the_daily_totals_primary_key(sqlite_url: str) -> None:
    store = _small_store(sqlite_url)
    for stmt in (repo.totals_per_day(1), repo.totals_per_topic(1), repo.daily_topic_totals(1)):
        plan = _plan(store, stmt)
        assert "SEARCH daily_totals USING" in plan and "(user_id=?)" in plan
    # Per day: already in primary-key order, so no sort.
    assert "TEMP B-TREE" not in _plan(store, repo.totals_per_day(1))
    store.close()


def test_rebuilding_daily_totals_reads_only_the_covering_index(sqlite_url: str) -> None:
    store = _small_store(sqlite_url)
    plan = _plan(store, repo.daily_totals_from_log(1))
    assert "USING COVERING INDEX ix_attempts_user_day_topic" in plan
    assert "TEMP B-TREE" not in plan  # grouped in index order, no sort
    store.close()


def test_median_latency_walks_its_index_without_sorting(sqlite_url: str) -> None:
    store = _small_store(sqlite_url)
    plan = _plan(store, repo.latency_at_rank(1, 10, 2))
    assert "USING COVERING INDEX ix_attempts_user_latency" in plan
    assert "TEMP B-TREE" not in plan
    store.close()


def test_per_question_median_and_cards_use_indexes(sqlite_url: str) -> None:
    store = _small_store(sqlite_url)
    plan = _plan(store, repo.latency_at_rank(1, 3, 1, "q1"))
    assert "USING COVERING INDEX ix_attempts_user_question" in plan
    assert "TEMP B-TREE" not in plan
    cards = _plan(store, repo.cards_with_topics(1))
    assert "SCAN questions" not in cards  # joined by primary key
    store.close()
