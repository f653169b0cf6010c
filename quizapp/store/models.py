"""The progress schema (SQLAlchemy 2 typed models). Changes here need an Alembic revision.

Tables:
- users: one row per profile.
- questions: every question a user has answered: its stable id, topic, kind and content hash.
  An edited question keeps its id (and so everyone's progress) and gets `flagged_changed`.
- review_cards: one FSRS card per (user, question) plus our own counters (fsrs keeps none).
- attempts: the append-only log of every counted answer. Never updated, only inserted. Since
  0004 a wrong answer also keeps the misconception it matched (name and source), if any.
- practice_sessions: one row per practice session with its running counts.
- daily_totals: attempts, correct answers and time per (user, study day, topic), kept in step with
  the log in the same transaction. Derived data (rebuilt from `attempts` on import and by the
  0003 migration) that makes the stats cost O(days x topics) instead of O(attempts).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from quizapp.store.types import UTCDateTime

# Constraint names must be stable for Alembic batch migrations on SQLite (it has no ALTER
# CONSTRAINT; batch mode recreates tables and needs names to find constraints again).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# An INTEGER PRIMARY KEY on SQLite is the rowid (fast, autoincrementing); BIGINT elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("new_per_day >= 0", name="new_per_day_not_negative"),
        # Added in revision 0006 (readiness).
        CheckConstraint(
            "target_retention > 0 AND target_retention < 1", name="target_retention_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Added in revision 0002: how many new questions a day the queue introduces.
    new_per_day: Mapped[int] = mapped_column(Integer, server_default=text("20"))
    # Added in revision 0005 (practice settings): focus topics as a comma-separated list (topics
    # are bank folder names and never contain commas; NULL: no focus), and the TUI theme's name
    # (NULL: the app's default).
    focus_topics: Mapped[str | None] = mapped_column(Text)
    theme: Mapped[str | None] = mapped_column(String(64))
    # Added in revision 0006 (readiness): the day to be ready by, the recall chance to aim for
    # on it, and FSRS parameters fitted to this profile's reviews (JSON list; None: defaults).
    interview_date: Mapped[date | None] = mapped_column(Date)
    target_retention: Mapped[float] = mapped_column(Float, server_default=text("0.9"))
    fsrs_parameters: Mapped[str | None] = mapped_column(Text)
    fsrs_fitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuestionSeen(Base):
    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    topic: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Added in revision 0002: the question's text changed after progress was recorded on it.
    flagged_changed: Mapped[bool] = mapped_column(Boolean, server_default=false())
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReviewCard(Base):
    __tablename__ = "review_cards"
    __table_args__ = (Index("ix_review_cards_user_due", "user_id", "due"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    # fsrs.Card, as columns.
    card_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[int] = mapped_column(SmallInteger)
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    last_review: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Our own counters (fsrs 6 keeps none).
    reps: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    lapses: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    correct_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    leech: Mapped[bool] = mapped_column(Boolean, server_default=false())
    content_hash: Mapped[str] = mapped_column(String(64))  # of the version last answered
    first_day: Mapped[date] = mapped_column(Date)  # local study day the question was new
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PracticeSession(Base):
    """Added in revision 0002."""

    __tablename__ = "practice_sessions"
    __table_args__ = (Index("ix_practice_sessions_user_started", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    correct: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        # Covering index for every per-day / per-topic stats query: the whole stats summary reads
        # this index and never the table. (A plain (user_id, answered_at) index measured slower
        # than none on 1M rows.)
        Index(
            "ix_attempts_user_day_topic",
            "user_id",
            "answered_day",
            "topic",
            "correct",
            "latency_s",
        ),
        # Per-question history (weakest questions, reset, export).
        Index("ix_attempts_user_question", "user_id", "question_id", "latency_s"),
        # Median latency by OFFSET on an ordered index instead of sorting every attempt.
        Index("ix_attempts_user_latency", "user_id", "latency_s"),
        # Added in revision 0004: the user's recurring misconceptions, read from this small
        # partial index (only diagnosed wrong answers) and never from the table.
        Index(
            "ix_attempts_user_misconception",
            "user_id",
            "misconception",
            "misconception_source",
            "answered_at",
            "question_id",
            sqlite_where=text("misconception IS NOT NULL"),
            postgresql_where=text("misconception IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"))
    # Added in revision 0002.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("practice_sessions.id"))
    topic: Mapped[str] = mapped_column(String(128))  # as it was when answered (denormalised)
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    correct: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[int] = mapped_column(SmallInteger)
    latency_s: Mapped[float] = mapped_column(Float)
    hints_used: Mapped[int] = mapped_column(Integer)
    device: Mapped[str] = mapped_column(String(32))
    torch_version: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_day: Mapped[date] = mapped_column(Date)  # the user's local study day
    # Added in revision 0004: the misconception a wrong answer matched ("authored"/"automatic").
    misconception: Mapped[str | None] = mapped_column(String(64))
    misconception_source: Mapped[str | None] = mapped_column(String(16))


class DailyTotal(Base):
    """Added in revision 0003. Always equal to grouping `attempts` by (user, day, topic)."""

    __tablename__ = "daily_totals"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    topic: Mapped[str] = mapped_column(String(128), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    correct: Mapped[int] = mapped_column(Integer)
    latency_s: Mapped[float] = mapped_column(Float)
