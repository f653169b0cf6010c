"""The queries behind the progress service. Statements are module-level functions so that tests
can EXPLAIN them (the stats ones must read only the covering index)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Result,
    Select,
    String,
    cast,
    delete,
    func,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from quizapp.store.errors import UnknownUser
from quizapp.store.models import Attempt, PracticeSession, QuestionSeen, ReviewCard, User


def user_id(session: Session | Connection, name: str, *, lock: bool = False) -> int:
    stmt = select(User.id).where(User.name == name)
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if lock and dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise UnknownUser(name, user_names(session))
    return found


def note_question(
    session: Session, qid: str, *, topic: str, kind: str, digest: str, now: datetime
) -> None:
    """Record a question as seen; an edited one keeps its id and gets `flagged_changed`."""
    row = session.execute(
        select(QuestionSeen.content_hash, QuestionSeen.topic, QuestionSeen.kind).where(
            QuestionSeen.id == qid
        )
    ).first()
    if row is None:
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
        session.execute(
            insert(QuestionSeen)
            .values(
                id=qid,
                topic=topic,
                kind=kind,
                content_hash=digest,
                first_seen_at=now,
                flagged_changed=False,
            )
            .on_conflict_do_nothing(index_elements=["id"])  # another user's writer won the race
        )
        return
    if row.content_hash != digest:
        values: dict[str, Any] = {
            "content_hash": digest,
            "flagged_changed": True,
            "changed_at": now,
            "topic": topic,
            "kind": kind,
        }
    elif (row.topic, row.kind) != (topic, kind):
        values = {"topic": topic, "kind": kind}
    else:
        return
    session.execute(update(QuestionSeen).where(QuestionSeen.id == qid).values(**values))


def user_names(session: Session | Connection) -> list[str]:
    return list(session.execute(select(User.name).order_by(User.name)).scalars())


def sum_int(column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[int]:
    # PostgreSQL refuses sum(boolean); casting works everywhere.
    return func.coalesce(func.sum(cast(column, Integer)), 0)


def daily_topic_totals(uid: int) -> Select[date | str, str, int, int, float]:
    """Attempts, correct and time per (study day, topic): served by ix_attempts_user_day_topic
    alone (a covering index scan in index order, no table reads, no sort).

    The day comes back raw (ISO text on SQLite, a date on PostgreSQL; see `as_date`): parsing
    thousands of dates through SQLAlchemy's per-row processor costs more than the query.
    """
    return (
        select(
            type_coerce(Attempt.answered_day, String),
            Attempt.topic,
            func.count(),
            sum_int(Attempt.correct),
            func.coalesce(func.sum(Attempt.latency_s), 0.0),
        )
        .where(Attempt.user_id == uid)
        .group_by(Attempt.answered_day, Attempt.topic)
    )


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def latency_at_rank(uid: int, offset: int, count: int) -> Select[float]:
    """`count` latencies from the `offset`-th smallest on (ix_attempts_user_latency, no sort)."""
    return (
        select(Attempt.latency_s)
        .where(Attempt.user_id == uid)
        .order_by(Attempt.latency_s)
        .offset(offset)
        .limit(count)
    )


def latencies_for_questions(uid: int, question_ids: list[str]) -> Select[str, float]:
    return select(Attempt.question_id, Attempt.latency_s).where(
        Attempt.user_id == uid, Attempt.question_id.in_(question_ids)
    )


def cards_with_topics(uid: int):  # type: ignore[no-untyped-def]  # a 11-column Select
    """A user's cards as plain rows (no ORM objects: stats reads hundreds of them)."""
    return (
        select(
            ReviewCard.question_id,
            ReviewCard.state,
            ReviewCard.stability,
            ReviewCard.due,
            ReviewCard.reps,
            ReviewCard.lapses,
            ReviewCard.correct_count,
            ReviewCard.leech,
            ReviewCard.content_hash,
            ReviewCard.first_day,
            QuestionSeen.topic,
        )
        .join(QuestionSeen, QuestionSeen.id == ReviewCard.question_id)
        .where(ReviewCard.user_id == uid)
    )


def attempt_count(session: Session | Connection, uid: int) -> int:
    return session.execute(
        select(func.count()).select_from(Attempt).where(Attempt.user_id == uid)
    ).scalar_one()


def last_active_day(session: Session | Connection, uid: int) -> date | None:
    return session.execute(
        select(func.max(Attempt.answered_day)).where(Attempt.user_id == uid)
    ).scalar_one_or_none()


def delete_user_rows(session: Session, uid: int) -> int:
    """Delete a profile and everything recorded for it; returns the number of attempts."""
    n = rowcount(session.execute(delete(Attempt).where(Attempt.user_id == uid)))
    session.execute(delete(ReviewCard).where(ReviewCard.user_id == uid))
    session.execute(delete(PracticeSession).where(PracticeSession.user_id == uid))
    session.execute(delete(User).where(User.id == uid))
    return n


def rowcount(result: Result[Any]) -> int:
    """Rows a DELETE/UPDATE touched (its result is a CursorResult)."""
    return int(getattr(result, "rowcount", 0) or 0)
