"""The queries behind the progress service. Statements are module-level functions so that tests
can EXPLAIN them (the stats ones must read only the covering index)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from typing import cast as cast_

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Result,
    Select,
    String,
    Table,
    bindparam,
    cast,
    delete,
    func,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy import insert as insert_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from quizapp.store.errors import UnknownUser
from quizapp.store.models import (
    Attempt,
    DailyTotal,
    PracticeSession,
    QuestionSeen,
    ReviewCard,
    User,
)


def user_id(session: Session | Connection, name: str, *, lock: bool = False) -> int:
    locked = lock and _dialect_name(session) != "sqlite"
    found = session.execute(USER_ID_LOCKED if locked else USER_ID, {"name": name}).scalar()
    if found is None:
        raise UnknownUser(name, user_names(session))
    return int(found)


def _dialect_name(session: Session | Connection) -> str:
    return (session.dialect if isinstance(session, Connection) else session.get_bind().dialect).name


def note_question(
    session: Session | Connection, qid: str, *, topic: str, kind: str, digest: str, now: datetime
) -> None:
    """Record a question as seen; an edited one keeps its id and gets `flagged_changed`."""
    row = session.execute(QUESTION_ROW, {"qid": qid}).first()
    if row is None:
        # ON CONFLICT DO NOTHING: another user's writer may have inserted it meanwhile.
        session.execute(
            question_insert(_dialect_name(session)),
            {
                "id": qid,
                "topic": topic,
                "kind": kind,
                "content_hash": digest,
                "first_seen_at": now,
                "flagged_changed": False,
                "changed_at": None,
            },
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
    """Attempts, correct and time per (study day, topic), from `daily_totals` (a primary-key
    range: cost grows with days studied, not with attempts).

    The day comes back raw (ISO text on SQLite, a date on PostgreSQL; see `as_date`): parsing
    thousands of dates through SQLAlchemy's per-row processor costs more than the query.
    """
    return select(
        type_coerce(DailyTotal.day, String),
        DailyTotal.topic,
        DailyTotal.attempts,
        DailyTotal.correct,
        DailyTotal.latency_s,
    ).where(DailyTotal.user_id == uid)


def daily_totals_from_log(uid: int) -> Select[date, str, int, int, float]:
    """The same totals computed from the attempt log: one scan of the covering index
    ix_attempts_user_day_topic in index order (no table reads, no sort)."""
    return (
        select(
            Attempt.answered_day,
            Attempt.topic,
            func.count(),
            sum_int(Attempt.correct),
            func.coalesce(func.sum(Attempt.latency_s), 0.0),
        )
        .where(Attempt.user_id == uid)
        .group_by(Attempt.answered_day, Attempt.topic)
    )


def add_to_daily_totals(
    session: Session | Connection,
    uid: int,
    *,
    day: date,
    topic: str,
    correct: bool,
    latency_s: float,
) -> None:
    """Count one attempt in its day's totals (an upsert, in the attempt's transaction)."""
    session.execute(
        daily_upsert(_dialect_name(session)),
        {
            "user_id": uid,
            "day": day,
            "topic": topic,
            "attempts": 1,
            "correct": int(correct),
            "latency_s": latency_s,
        },
    )


def rebuild_daily_totals(session: Session, uid: int) -> None:
    """Recompute a user's daily totals from the log (after a bulk import)."""
    session.execute(delete(DailyTotal).where(DailyTotal.user_id == uid))
    log = daily_totals_from_log(uid).add_columns(literal(uid))
    session.execute(
        insert_(DailyTotal).from_select(
            ["day", "topic", "attempts", "correct", "latency_s", "user_id"], log
        )
    )


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def totals_per_day(uid: int) -> Select[date | str, int, int]:
    """(day, attempts, correct) in day order: a primary-key range of daily_totals, no sort."""
    return (
        select(
            type_coerce(DailyTotal.day, String),
            func.sum(DailyTotal.attempts),
            func.sum(DailyTotal.correct),
        )
        .where(DailyTotal.user_id == uid)
        .group_by(DailyTotal.day)
        .order_by(DailyTotal.day)
    )


def totals_per_topic(uid: int) -> Select[str, int, int, float]:
    """(topic, attempts, correct, seconds) over all time."""
    return (
        select(
            DailyTotal.topic,
            func.sum(DailyTotal.attempts),
            func.sum(DailyTotal.correct),
            func.sum(DailyTotal.latency_s),
        )
        .where(DailyTotal.user_id == uid)
        .group_by(DailyTotal.topic)
    )


def latency_at_rank(
    uid: int, offset: int, count: int, question_id: str | None = None
) -> Select[float]:
    """`count` latencies from the `offset`-th smallest, walking an index already ordered by
    latency (ix_attempts_user_latency, or ix_attempts_user_question for one question)."""
    stmt = select(Attempt.latency_s).where(Attempt.user_id == uid)
    if question_id is not None:
        stmt = stmt.where(Attempt.question_id == question_id)
    return stmt.order_by(Attempt.latency_s).offset(offset).limit(count)


def median_latency(
    conn: Connection, uid: int, question_id: str | None, *, count: int | None = None
) -> float | None:
    """The median answer time of a user (or of one question), without sorting in Python."""
    if count is None:
        stmt = select(func.count()).select_from(Attempt).where(Attempt.user_id == uid)
        if question_id is not None:
            stmt = stmt.where(Attempt.question_id == question_id)
        count = int(conn.execute(stmt).scalar_one())
    if count == 0:
        return None
    rank = latency_at_rank(uid, (count - 1) // 2, 2 - count % 2, question_id)
    values = list(conn.execute(rank).scalars())
    return sum(values) / len(values) if values else None


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


def recurring_misconceptions(uid: int) -> Select[str | None, str | None, int, datetime]:
    """(name, source, attempts, last seen) of the misconceptions the user's wrong answers
    matched, most frequent first; read from the partial index ix_attempts_user_misconception."""
    count = func.count().label("n")
    last = func.max(Attempt.answered_at).label("last")
    return (
        select(Attempt.misconception, Attempt.misconception_source, count, last)
        .where(Attempt.user_id == uid, Attempt.misconception.is_not(None))
        .group_by(Attempt.misconception, Attempt.misconception_source)
        .order_by(count.desc(), last.desc(), Attempt.misconception)
    )


def misconception_questions(uid: int) -> Select[str | None, str | None, str]:
    """(name, source, question id) for every question a misconception was matched on."""
    return (
        select(Attempt.misconception, Attempt.misconception_source, Attempt.question_id)
        .where(Attempt.user_id == uid, Attempt.misconception.is_not(None))
        .distinct()
        .order_by(Attempt.misconception, Attempt.question_id)
    )


def attempt_count(session: Session | Connection, uid: int) -> int:
    return int(
        session.execute(
            select(func.coalesce(func.sum(DailyTotal.attempts), 0)).where(DailyTotal.user_id == uid)
        ).scalar_one()
    )


def last_active_day(session: Session | Connection, uid: int) -> date | None:
    return session.execute(
        select(func.max(DailyTotal.day)).where(DailyTotal.user_id == uid)
    ).scalar_one_or_none()


def delete_user_rows(session: Session, uid: int) -> int:
    """Delete a profile and everything recorded for it; returns the number of attempts."""
    n = rowcount(session.execute(delete(Attempt).where(Attempt.user_id == uid)))
    session.execute(delete(ReviewCard).where(ReviewCard.user_id == uid))
    session.execute(delete(DailyTotal).where(DailyTotal.user_id == uid))
    session.execute(delete(PracticeSession).where(PracticeSession.user_id == uid))
    session.execute(delete(User).where(User.id == uid))
    return n


def adopt_aliases(session: Session, aliases: Mapping[str, str]) -> int:
    """Progress recorded under a question's old id (an alias in the bank) becomes its new id's:
    attempts and review cards move, the old question row goes. Where a profile has a card under
    both ids, the one reviewed last is kept. Returns the number of attempts moved; nothing to do
    (the usual case) is one indexed query."""
    if not aliases:
        return 0
    olds = session.execute(select(QuestionSeen).where(QuestionSeen.id.in_(list(aliases))))
    moved = 0
    for old in olds.scalars().all():
        new_id = aliases[old.id]
        if session.get(QuestionSeen, new_id) is None:
            session.add(
                QuestionSeen(
                    id=new_id,
                    topic=old.topic,
                    kind=old.kind,
                    content_hash=old.content_hash,
                    first_seen_at=old.first_seen_at,
                    flagged_changed=old.flagged_changed,
                    changed_at=old.changed_at,
                )
            )
            session.flush()
        moved += rowcount(
            session.execute(
                update(Attempt).where(Attempt.question_id == old.id).values(question_id=new_id)
            )
        )
        cards = session.execute(
            select(ReviewCard).where(ReviewCard.question_id.in_([old.id, new_id]))
        ).scalars()
        by_user: dict[int, list[ReviewCard]] = {}
        for card in cards.all():
            by_user.setdefault(card.user_id, []).append(card)
        for pair in by_user.values():
            if len(pair) == 2:
                stale = min(pair, key=_reviewed_at)
                session.delete(stale)
        session.flush()
        session.execute(
            update(ReviewCard)
            .where(ReviewCard.question_id == old.id)
            .values(question_id=new_id)
            .execution_options(synchronize_session=False)
        )
        session.expunge_all()
        session.execute(delete(QuestionSeen).where(QuestionSeen.id == old.id))
    return moved


def _reviewed_at(card: ReviewCard) -> float:
    return card.last_review.timestamp() if card.last_review is not None else float("-inf")


def rowcount(result: Result[Any]) -> int:
    """Rows a DELETE/UPDATE touched (its result is a CursorResult)."""
    return int(getattr(result, "rowcount", 0) or 0)


# -- the hot path: recording one answer ------------------------------------------------------------
# Constant Core statements on Tables, executed with parameter dicts: SQLAlchemy compiles each
# once and reuses it. Building `.values(...)` statements per call on ORM entities cost ~2 ms an
# answer; this path costs a fraction of that.

_users = cast_(Table, User.__table__)
_questions = cast_(Table, QuestionSeen.__table__)
_cards = cast_(Table, ReviewCard.__table__)
_attempts = cast_(Table, Attempt.__table__)
_daily = cast_(Table, DailyTotal.__table__)
_sessions = cast_(Table, PracticeSession.__table__)

USER_ID = select(_users.c.id).where(_users.c.name == bindparam("name"))
USER_ID_LOCKED = USER_ID.with_for_update()
QUESTION_ROW = select(_questions.c.content_hash, _questions.c.topic, _questions.c.kind).where(
    _questions.c.id == bindparam("qid")
)
CARD_ROW = select(_cards).where(
    _cards.c.user_id == bindparam("uid"), _cards.c.question_id == bindparam("qid")
)
CARD_INSERT = insert_(_cards)
CARD_UPDATE = update(_cards).where(
    _cards.c.user_id == bindparam("key_user_id"),
    _cards.c.question_id == bindparam("key_question_id"),
)
ATTEMPT_INSERT = insert_(_attempts).returning(_attempts.c.id)
SESSION_OWNER = select(_sessions.c.user_id).where(_sessions.c.id == bindparam("sid"))
SESSION_COUNT = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("sid"))
    .values(
        attempts=_sessions.c.attempts + 1,
        correct=_sessions.c.correct + bindparam("inc", type_=Integer),
    )
)


@functools.cache
def question_insert(dialect: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return insert(_questions).on_conflict_do_nothing(index_elements=["id"])


@functools.cache
def daily_upsert(dialect: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    stmt = insert(_daily)
    return stmt.on_conflict_do_update(
        index_elements=["user_id", "day", "topic"],
        set_={
            "attempts": _daily.c.attempts + stmt.excluded.attempts,
            "correct": _daily.c.correct + stmt.excluded.correct,
            "latency_s": _daily.c.latency_s + stmt.excluded.latency_s,
        },
    )
