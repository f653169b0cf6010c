"""The progress service: profiles, recording attempts, the review queue, statistics,
export/import and reset. Plain data in and out; no Textual, no torch.

Every write is one short transaction committed before the method returns (BEGIN IMMEDIATE on
SQLite), so a crash loses at most the answer being recorded.
"""

from __future__ import annotations

import json
import logging
import random
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from fsrs import Scheduler
from sqlalchemy import Connection, Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from quizapp import fitting, readiness
from quizapp.bank.models import Question
from quizapp.grading.misconceptions import automatic_summary
from quizapp.grading.types import GradeResult, MisconceptionSource
from quizapp.practice.modes import QUEUE_MODES, PracticeMode, QuestionStatus
from quizapp.practice.planner import CardSnapshot, History, Plan, plan_round
from quizapp.practice.summary import PastRound
from quizapp.readiness import (
    LearnerHabits,
    LoggedAnswer,
    Memory,
    Readiness,
    TrustedStats,
    effective_due,
    interview_moment,
)
from quizapp.readiness import (
    Plan as ReadinessPlan,
)
from quizapp.scheduling import (
    DEFAULT_NEW_PER_DAY,
    LEARN_AHEAD,
    LEECH_LAPSES,
    CardState,
    QueueItem,
    Rating,
    State,
    end_of_day,
    local_day,
    rating_for,
    review,
    utcnow,
)
from quizapp.stats import (
    ACTIVITY_DAYS,
    FORECAST_DAYS,
    MASTERY_STABILITY_DAYS,
    DayActivity,
    DueDay,
    RecurringMisconception,
    Stats,
    TopicStats,
    Totals,
    WeakQuestion,
    accuracy,
    streaks,
)
from quizapp.store import repository as repo
from quizapp.store.engine import Store
from quizapp.store.errors import StoreError, UnknownUser, UserExists
from quizapp.store.models import Attempt, PracticeSession, QuestionSeen, ReviewCard, User
from quizapp.store.transfer import ImportSummary, export_user_data, import_user_data

__all__ = [
    "SESSION_MODES",
    "AttemptRecord",
    "ImportSummary",
    "InterviewAdjustments",
    "ProfileReadiness",
    "ProgressService",
    "QueueItem",
    "UnknownUser",
    "UserExists",
    "UserInfo",
    "UserSettings",
]

log = logging.getLogger(__name__)

SESSION_MODES = ("review", "learn", "drill", "mixed", "mock")
USER_COLUMNS = (
    User.id,
    User.name,
    User.created_at,
    User.new_per_day,
    User.focus_topics,
    User.theme,
)
MAX_NEW_PER_DAY = 1000
RERATE_KEEP = 64
MAX_THEME = 64
MAX_NAME = 64
WEAKEST = 10
MISCONCEPTIONS = 10  # recurring misconceptions listed in the stats


@dataclass(frozen=True)
class UserSettings:
    """A profile's practice settings (revision 0005; `new_per_day` since 0002).

    `focus_topics`: topics the planner serves new questions from first (empty: the whole bank in
    curriculum order). `theme`: the TUI theme's name (None: the app's default)."""

    new_per_day: int = DEFAULT_NEW_PER_DAY
    focus_topics: tuple[str, ...] = ()
    theme: str | None = None


@dataclass(frozen=True)
class UserInfo:
    name: str
    created_at: datetime
    new_per_day: int
    attempts: int
    last_active: date | None
    settings: UserSettings = UserSettings()


def _schedule_columns(card: Any) -> dict[str, Any]:
    """What a review changes on a card (scheduling.CardState), by review_cards column."""
    names = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")
    return {name: getattr(card, name) for name in names}


SETTINGS_COLUMNS = (User.new_per_day, User.focus_topics, User.theme)


def _settings_of(row: Any) -> UserSettings:
    """A profile's settings from a row that has the SETTINGS_COLUMNS (a users row has them)."""
    return UserSettings(row.new_per_day, _focus_from_column(row.focus_topics), row.theme)


def _focus_from_column(value: str | None) -> tuple[str, ...]:
    return tuple(t for t in (value or "").split(",") if t)


def _focus_to_column(topics: Sequence[str]) -> str | None:
    cleaned: list[str] = []
    for topic in topics:
        t = topic.strip()
        if not t:
            continue
        if "," in t or any(unicodedata.category(ch).startswith("C") for ch in t):
            raise ValueError(f"focus topic {t!r} cannot contain commas or control characters")
        if t not in cleaned:
            cleaned.append(t)
    return ",".join(cleaned) or None


def _check_new_per_day(per_day: int) -> None:
    if per_day < 0:
        raise ValueError("new questions per day cannot be negative")
    if per_day > MAX_NEW_PER_DAY:
        raise ValueError(f"new questions per day is at most {MAX_NEW_PER_DAY}")


@dataclass(frozen=True)
class ProfileReadiness:
    """A profile's readiness settings (revision 0006)."""

    interview_date: date | None
    target_retention: float
    parameters: tuple[float, ...] | None  # fitted FSRS parameters; None: fsrs's defaults
    fitted_at: datetime | None


@dataclass(frozen=True)
class InterviewAdjustments:
    """See ProgressService.interview_adjustments."""

    new_per_day: int | None
    due: dict[str, datetime]


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    user: str
    question_id: str
    seed: int
    status: str
    correct: bool
    rating: int  # fsrs.Rating value: 1 Again, 2 Hard, 3 Good, 4 Easy
    answered_at: datetime
    answered_day: date
    due_at: datetime  # when the question is next due
    state: int  # fsrs.State value after the review
    reps: int
    lapses: int
    leech: bool
    was_new: bool

    @property
    def rating_name(self) -> str:
        return Rating(self.rating).name


def _title(question_id: str, bank: dict[str, Question]) -> str:
    """The title a learner knows a question by; its id once the bank no longer has it."""
    q = bank.get(question_id)
    return q.display_title if q is not None else question_id


def _misconception_summary(
    name: str, source: str, question_ids: Sequence[str], bank: dict[str, Question]
) -> str:
    """The one-line summary of a stored misconception, from the bank (it is not stored)."""
    if source == MisconceptionSource.AUTOMATIC.value:
        try:
            return automatic_summary(name)
        except ValueError:
            return ""
    for qid in question_ids:
        question = bank.get(qid)
        for m in question.misconceptions if question is not None else ():
            if m.name == name:
                return m.summary
    return ""


def _parse_parameters(raw: str | None) -> tuple[float, ...] | None:
    if not raw:
        return None
    try:
        return fitting.valid_parameters(json.loads(raw))
    except (ValueError, TypeError):
        # Damaged or from another fsrs version: schedule with the defaults rather than fail.
        log.warning("ignoring unusable stored FSRS parameters: %.80s", raw)
        return None


def _memory(row: Any, topic: str) -> Memory:
    return Memory(
        question_id=row.question_id,
        topic=topic,
        state=row.state,
        step=row.step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=row.due,
        last_review=row.last_review,
        first_day=getattr(row, "first_day", None),
    )


def _clean_name(name: str) -> str:
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise ValueError("a profile name cannot be empty")
    if len(cleaned) > MAX_NAME:
        raise ValueError(f"a profile name has at most {MAX_NAME} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise ValueError("a profile name cannot contain control characters")
    return cleaned


class ProgressService:
    """See the module docstring. `clock` returns the current UTC time; `tz` is the zone that
    decides study days (None: the system's local zone)."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
        tz: tzinfo | None = None,
        rng: random.Random | None = None,
        fuzz: bool = True,
    ) -> None:
        self.store = store
        self.clock = clock
        self.tz = tz
        self.rng = rng
        self.fuzz = fuzz
        self.scheduler = readiness.make_scheduler(fuzz=fuzz)
        # parameters JSON -> the profile's scheduler; built once per distinct parameter set.
        self._schedulers: dict[str | None, Scheduler] = {}
        # id(question) -> (question, hash); the question is kept so its id cannot be reused.
        self._hashes: dict[int, tuple[Question, str]] = {}
        # attempt id -> (user, question id, the card before it, when): what `rerate` needs to
        # redo the review with another rating. Only answers given through this service, and
        # only the last few: a rating is changed before moving on.
        self._rerateable: dict[int, tuple[str, str, CardState, datetime, int]] = {}

    # -- helpers ---------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return now.astimezone(UTC)

    def _hash(self, question: Question) -> str:
        """Question.content_hash, cached: it serialises the whole question (~0.1 ms)."""
        cached = self._hashes.get(id(question))
        if cached is None or cached[0] is not question:
            cached = (question, question.content_hash())
            if len(self._hashes) > 50_000:
                self._hashes.clear()
            self._hashes[id(question)] = cached
        return cached[1]

    def today(self) -> date:
        return local_day(self._now(), self.tz)

    # -- users -----------------------------------------------------------------------------

    def list_users(self) -> list[UserInfo]:
        with self.store.read() as conn:
            users = conn.execute(select(*USER_COLUMNS).order_by(User.name)).all()
            return [self._info(conn, u) for u in users]

    def _info(
        self, conn: Connection, user: Row[int, str, datetime, int, str | None, str | None]
    ) -> UserInfo:
        return UserInfo(
            name=user.name,
            created_at=user.created_at,
            new_per_day=user.new_per_day,
            attempts=repo.attempt_count(conn, user.id),
            last_active=repo.last_active_day(conn, user.id),
            settings=_settings_of(user),
        )

    def get_user(self, name: str) -> UserInfo:
        with self.store.read() as conn:
            user = conn.execute(select(*USER_COLUMNS).where(User.name == name)).first()
            if user is None:
                raise UnknownUser(name, repo.user_names(conn))
            return self._info(conn, user)

    def add_user(self, name: str, *, new_per_day: int = DEFAULT_NEW_PER_DAY) -> UserInfo:
        name = _clean_name(name)
        _check_new_per_day(new_per_day)
        try:
            with self.store.session() as s:
                if s.execute(select(User.id).where(User.name == name)).first():
                    raise UserExists(name)
                s.add(User(name=name, created_at=self._now(), new_per_day=new_per_day))
        except IntegrityError:
            raise UserExists(name) from None
        return self.get_user(name)

    def adopt_aliases(self, aliases: Mapping[str, str]) -> int:
        """Progress under renamed questions' old ids becomes the new ids' (the bank's aliases:
        old id -> new id). Idempotent; returns the number of attempts moved."""
        if not aliases:
            return 0
        try:
            with self.store.session() as s:
                return repo.adopt_aliases(s, aliases)
        except SQLAlchemyError as error:
            # Another app moving the same rows at the same moment (PostgreSQL), or a store
            # that cannot be written now: nothing is lost (the transaction rolled back), the
            # app starts, and the next load of the bank tries again.
            log.warning("renamed questions' progress not moved yet: %s", error)
            return 0

    def rename_user(self, old: str, new: str) -> UserInfo:
        new = _clean_name(new)
        try:
            with self.store.session() as s:
                uid = repo.user_id(s, old)
                if new != old and s.execute(select(User.id).where(User.name == new)).first():
                    raise UserExists(new)
                s.execute(update(User).where(User.id == uid).values(name=new))
        except IntegrityError:
            raise UserExists(new) from None
        return self.get_user(new)

    def set_new_per_day(self, name: str, per_day: int) -> None:
        self.update_settings(name, new_per_day=per_day)

    def settings(self, name: str) -> UserSettings:
        """The profile's practice settings (an unknown profile raises UnknownUser)."""
        with self.store.read() as conn:
            row = conn.execute(select(*SETTINGS_COLUMNS).where(User.name == name)).first()
            if row is None:
                raise UnknownUser(name, repo.user_names(conn))
        return _settings_of(row)

    def update_settings(
        self,
        name: str,
        *,
        new_per_day: int | None = None,
        focus_topics: Sequence[str] | None = None,
        theme: str | None = None,
        clear_theme: bool = False,
    ) -> UserSettings:
        """Changes the settings given (None leaves one as it is; `focus_topics=[]` clears the
        focus, `clear_theme` the theme) in one transaction; returns the settings after."""
        values: dict[str, Any] = {}
        if new_per_day is not None:
            _check_new_per_day(new_per_day)
            values["new_per_day"] = new_per_day
        if focus_topics is not None:
            values["focus_topics"] = _focus_to_column(focus_topics)
        if clear_theme:
            values["theme"] = None
        elif theme is not None:
            theme = theme.strip()
            if not theme or len(theme) > MAX_THEME:
                raise ValueError(f"a theme name has 1 to {MAX_THEME} characters")
            values["theme"] = theme
        if values:
            with self.store.session() as s:
                uid = repo.user_id(s, name)
                s.execute(update(User).where(User.id == uid).values(**values))
        return self.settings(name)

    def remove_user(self, name: str) -> int:
        """Delete a profile and all its progress; returns how many attempts were deleted."""
        with self.store.session() as s:
            return repo.delete_user_rows(s, repo.user_id(s, name))

    def resolve_user(self, name: str | None) -> str:
        """`name`, or the only profile when `name` is None; a clear error otherwise."""
        with self.store.read() as conn:
            names = repo.user_names(conn)
        if name is not None:
            if name not in names:
                raise UnknownUser(name, names)
            return name
        if len(names) == 1:
            return names[0]
        if not names:
            raise StoreError("there are no profiles yet; create one with `quizapp users add NAME`")
        raise StoreError(f"several profiles exist ({', '.join(names)}); pick one with --user NAME")

    # -- practice --------------------------------------------------------------------------

    def start_session(self, user: str, mode: str, topic: str | None = None) -> int:
        if mode not in SESSION_MODES:
            raise ValueError(
                f"unknown session mode {mode!r}; use one of {', '.join(SESSION_MODES)}"
            )
        with self.store.session() as s:
            row = PracticeSession(
                user_id=repo.user_id(s, user),
                mode=mode,
                topic=topic,
                started_at=self._now(),
                attempts=0,
                correct=0,
            )
            s.add(row)
            s.flush()
            return row.id

    def end_session(self, session_id: int) -> None:
        with self.store.session() as s:
            s.execute(
                update(PracticeSession)
                .where(PracticeSession.id == session_id, PracticeSession.ended_at.is_(None))
                .values(ended_at=self._now())
            )

    def record_attempt(
        self,
        user: str,
        question: Question,
        result: GradeResult,
        *,
        answer: str,
        latency_s: float,
        hints_used: int,
        session_id: int | None = None,
    ) -> AttemptRecord | None:
        """Log one answer and update the question's FSRS card, in one committed transaction.

        Results that do not count (`result.counts` is false: an unparseable answer, or a question
        that failed to run through no fault of the user) are NOT recorded: returns None.
        """
        if not result.counts:
            return None
        if result.question_id != question.id:
            raise ValueError(f"result is for {result.question_id!r}, not {question.id!r}")
        now = self._now()
        day = local_day(now, self.tz)
        kind = question.kind.value
        digest = self._hash(question)
        latency_s = max(float(latency_s), 0.0)
        rating = rating_for(result, kind=kind, latency_s=latency_s, hints_used=hints_used)
        misconception = None if result.correct else result.misconception
        with self.store.write() as conn:
            # Locking the profile's row serialises this user's writers on PostgreSQL (read
            # committed); SQLite's BEGIN IMMEDIATE already serialises every writer.
            uid = repo.user_id(conn, user, lock=True)
            repo.note_question(
                conn, question.id, topic=question.topic, kind=kind, digest=digest, now=now
            )
            if session_id is not None:
                owner = conn.execute(repo.SESSION_OWNER, {"sid": session_id}).scalar()
                if owner != uid:
                    # A stale or foreign session id must not cost the user this answer.
                    log.warning("session %s is not %r's; recording without it", session_id, user)
                    session_id = None
            row = conn.execute(repo.CARD_ROW, {"uid": uid, "qid": question.id}).first()
            was_new = row is None
            if row is None:
                before = CardState.new(int(now.timestamp() * 1000), now)
                correct_count = 0
            else:
                before = CardState(
                    row.card_id,
                    row.state,
                    row.step,
                    row.stability,
                    row.difficulty,
                    row.due,
                    row.last_review,
                    row.reps,
                    row.lapses,
                )
                correct_count = row.correct_count
            profile = self._profile(conn, uid)
            scheduler = self._scheduler_of(profile)
            after = review(scheduler, before, rating, now, int(latency_s * 1000))
            after = self._cut_for_interview(scheduler, profile, after, now)
            leech = after.lapses >= LEECH_LAPSES
            card_values: dict[str, Any] = {
                "card_id": after.card_id,
                **_schedule_columns(after),
                "correct_count": correct_count + int(result.correct),
                "leech": leech,
                "content_hash": digest,
            }
            if row is None:
                card_values.update(
                    user_id=uid, question_id=question.id, first_day=day, created_at=now
                )
                conn.execute(repo.CARD_INSERT, card_values)
            else:
                card_values.update(key_user_id=uid, key_question_id=question.id)
                conn.execute(repo.CARD_UPDATE, card_values)
            attempt_id = conn.execute(
                repo.ATTEMPT_INSERT,
                {
                    "user_id": uid,
                    "question_id": question.id,
                    "session_id": session_id,
                    "topic": question.topic,
                    "kind": kind,
                    "content_hash": digest,
                    "seed": result.seed,
                    "answer": answer,
                    "status": result.status.value,
                    "correct": result.correct,
                    "score": result.score,
                    "rating": int(rating),
                    "latency_s": latency_s,
                    "hints_used": hints_used,
                    "device": result.device,
                    "torch_version": result.torch_version,
                    "answered_at": now,
                    "answered_day": day,
                    "misconception": misconception.name if misconception else None,
                    "misconception_source": misconception.source.value if misconception else None,
                },
            ).scalar_one()
            repo.add_to_daily_totals(
                conn,
                uid,
                day=day,
                topic=question.topic,
                correct=result.correct,
                latency_s=latency_s,
            )
            if session_id is not None:
                conn.execute(repo.SESSION_COUNT, {"sid": session_id, "inc": int(result.correct)})
        if len(self._rerateable) >= RERATE_KEEP:
            self._rerateable.pop(next(iter(self._rerateable)))
        self._rerateable[attempt_id] = (user, question.id, before, now, int(latency_s * 1000))
        return AttemptRecord(
            id=attempt_id,
            user=user,
            question_id=question.id,
            seed=result.seed,
            status=result.status.value,
            correct=result.correct,
            rating=int(rating),
            answered_at=now,
            answered_day=day,
            due_at=after.due,
            state=after.state,
            reps=after.reps,
            lapses=after.lapses,
            leech=leech,
            was_new=was_new,
        )

    def rerate(self, attempt_id: int, rating: int) -> AttemptRecord:
        """Redoes the review of an answer just recorded with the rating the user chose instead
        (Anki's four buttons: 1 Again, 2 Hard, 3 Good, 4 Easy): the card is computed again from
        its state before that answer, and the attempt's rating is corrected. Raises ValueError
        for an answer this service did not just record."""
        wanted = Rating(rating)
        kept = self._rerateable.get(attempt_id)
        if kept is None:
            raise ValueError("only the rating of an answer just given can be changed")
        user, qid, before, at, duration_ms = kept
        after = review(self.scheduler, before, wanted, at, duration_ms)
        with self.store.write() as conn:
            uid = repo.user_id(conn, user, lock=True)
            row = conn.execute(repo.CARD_ROW, {"uid": uid, "qid": qid}).first()
            if row is None:
                raise ValueError("the question's progress was reset meanwhile")
            attempt = conn.execute(
                select(Attempt.correct, Attempt.seed, Attempt.status, Attempt.answered_day).where(
                    Attempt.id == attempt_id, Attempt.user_id == uid
                )
            ).first()
            if attempt is None:
                raise ValueError("that answer is no longer recorded")
            leech = after.lapses >= LEECH_LAPSES
            conn.execute(
                repo.CARD_UPDATE,
                {
                    "key_user_id": uid,
                    "key_question_id": qid,
                    **_schedule_columns(after),
                    "leech": leech,
                },
            )
            conn.execute(update(Attempt).where(Attempt.id == attempt_id).values(rating=int(wanted)))
        return AttemptRecord(
            id=attempt_id,
            user=user,
            question_id=qid,
            seed=attempt.seed,
            status=attempt.status,
            correct=attempt.correct,
            rating=int(wanted),
            answered_at=at,
            answered_day=attempt.answered_day,
            due_at=after.due,
            state=after.state,
            reps=after.reps,
            lapses=after.lapses,
            leech=leech,
            was_new=before.reps == 0,
        )

    def history(self, user: str) -> History:
        """What the practice planner needs about a profile, in one read."""
        today = local_day(self._now(), self.tz)
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            settings = _settings_of(
                conn.execute(select(*SETTINGS_COLUMNS).where(User.id == uid)).one()
            )
            rows = conn.execute(
                select(
                    ReviewCard.question_id,
                    ReviewCard.due,
                    ReviewCard.stability,
                    ReviewCard.lapses,
                    ReviewCard.content_hash,
                    ReviewCard.last_review,
                    ReviewCard.first_day,
                ).where(ReviewCard.user_id == uid)
            ).all()
        cards = [
            CardSnapshot(r[0], r[1], r[2], r[3], r[4], r[5], repo.as_date(r[6]) == today)
            for r in rows
        ]
        return History(
            cards=cards,
            new_per_day=settings.new_per_day,
            new_today=sum(1 for c in cards if c.first_day_is_today),
            focus_topics=settings.focus_topics,
        )

    def question_statuses(self, user: str) -> dict[str, QuestionStatus]:
        """Each answered question's status (questions absent from the result are new)."""
        now = self._now()
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            cards = conn.execute(
                select(
                    ReviewCard.question_id, ReviewCard.due, ReviewCard.state, ReviewCard.stability
                ).where(ReviewCard.user_id == uid)
            ).all()
            # The last answer per question: the newest attempt id wins.
            last_ok: dict[str, bool] = {}
            for qid, correct in conn.execute(
                select(Attempt.question_id, Attempt.correct)
                .where(Attempt.user_id == uid)
                .order_by(Attempt.id)
            ):
                last_ok[qid] = bool(correct)
        out: dict[str, QuestionStatus] = {}
        for qid, due, state, stability in cards:
            if not last_ok.get(qid, True):
                out[qid] = QuestionStatus.FAILED
            elif due <= now + LEARN_AHEAD:
                out[qid] = QuestionStatus.DUE
            elif state == State.Review and (stability or 0.0) >= MASTERY_STABILITY_DAYS:
                out[qid] = QuestionStatus.MATURE
            else:
                out[qid] = QuestionStatus.LEARNING
        return out

    def mock_history(self, user: str, *, limit: int = 10) -> list[PastRound]:
        """The profile's last mock interviews that recorded an answer, oldest first."""
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            rows = conn.execute(
                select(
                    PracticeSession.id,
                    PracticeSession.started_at,
                    PracticeSession.attempts,
                    PracticeSession.correct,
                )
                .where(
                    PracticeSession.user_id == uid,
                    PracticeSession.mode == "mock",
                    PracticeSession.attempts > 0,
                )
                .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
                .limit(limit)
            ).all()
        return [PastRound(r[0], r[1], r[2], r[3]) for r in reversed(rows)]

    def next_questions(
        self,
        user: str,
        *,
        questions: Sequence[Question],
        mode: str = "mixed",
        topic: str | None = None,
        limit: int = 10,
    ) -> list[QueueItem]:
        """What to practise next (the planner's round, quizapp.practice.planner): due reviews
        first, then new questions in curriculum order up to the user's daily limit ("mixed");
        "review" only due ones, "learn" only new ones, "drill" every question in scope, weakest
        first, "mock" an interview. `questions` is the bank; `topic` narrows it."""
        try:
            practice_mode = PracticeMode(mode)
        except ValueError:
            names = ", ".join(m.value for m in QUEUE_MODES)
            raise ValueError(f"unknown queue mode {mode!r}; use one of {names}") from None
        plan = self.plan(user, practice_mode, questions=questions, topic=topic, size=limit)
        return [
            QueueItem(i.question_id, i.seed, i.reason.value, i.due_at, i.leech, i.changed)
            for i in plan.items
        ]

    def plan(
        self,
        user: str,
        mode: PracticeMode,
        *,
        questions: Sequence[Question],
        topic: str | None = None,
        size: int | None = None,
    ) -> Plan:
        """The round the planner builds for `user` now (nothing is recorded)."""
        scope = [q for q in questions if topic is None or q.topic == topic]
        history = self.history(user)
        follow = self.interview_adjustments(user, questions=questions)
        if follow.new_per_day is not None or follow.due:
            # Follow the plan to the interview (docs/progress.md, "Readiness"): its pace for new
            # questions, and reviews pulled in so that they land before the day.
            history = replace(
                history,
                new_per_day=(
                    follow.new_per_day if follow.new_per_day is not None else history.new_per_day
                ),
                cards=[replace(c, due=follow.due.get(c.question_id, c.due)) for c in history.cards],
            )
        return plan_round(
            mode,
            questions=questions,
            history=history,
            now=self._now(),
            hashes={q.id: self._hash(q) for q in scope},
            topic=topic,
            size=size,
            rng=self.rng,
        )

    # -- readiness (issue 13: interview date, plan, forecast, fitted scheduler) -------------

    def _profile(self, conn: Connection, uid: int) -> ProfileReadiness:
        row = conn.execute(
            select(
                User.interview_date,
                User.target_retention,
                User.fsrs_parameters,
                User.fsrs_fitted_at,
            ).where(User.id == uid)
        ).one()
        return ProfileReadiness(
            interview_date=row.interview_date,
            target_retention=float(row.target_retention),
            parameters=_parse_parameters(row.fsrs_parameters),
            fitted_at=row.fsrs_fitted_at,
        )

    def _scheduler_of(self, profile: ProfileReadiness) -> Scheduler:
        """The profile's scheduler: fsrs's defaults, or the parameters fitted to it."""
        key = json.dumps(profile.parameters) if profile.parameters else None
        scheduler = self._schedulers.get(key)
        if scheduler is None:
            scheduler = readiness.make_scheduler(profile.parameters, fuzz=self.fuzz)
            self._schedulers[key] = scheduler
        return scheduler

    def _cut_for_interview(
        self, scheduler: Scheduler, profile: ProfileReadiness, after: CardState, now: datetime
    ) -> CardState:
        if profile.interview_date is None:
            return after
        memory = Memory(
            "",
            "",
            after.state,
            after.step,
            after.stability,
            after.difficulty,
            after.due,
            after.last_review,
        )
        due = effective_due(
            scheduler,
            memory,
            interview=interview_moment(profile.interview_date, self.tz),
            target=profile.target_retention,
            tz=self.tz,
            now=now,
        )
        return after if due == after.due else replace(after, due=due)

    def _effective_dues(
        self, profile: ProfileReadiness, rows: Sequence[Any], now: datetime
    ) -> dict[str, datetime]:
        """question id -> due after the interview cut, for rows with question_id, due, state,
        step, stability, difficulty and last_review."""
        scheduler = self._scheduler_of(profile)
        moment = (
            interview_moment(profile.interview_date, self.tz) if profile.interview_date else None
        )
        return {
            r.question_id: effective_due(
                scheduler,
                _memory(r, ""),
                interview=moment,
                target=profile.target_retention,
                tz=self.tz,
                now=now,
            )
            for r in rows
        }

    def readiness_settings(self, user: str) -> ProfileReadiness:
        with self.store.read() as conn:
            return self._profile(conn, repo.user_id(conn, user))

    def set_interview(self, user: str, day: date | None) -> None:
        """The day to be ready by (None: no interview planned)."""
        with self.store.session() as s:
            uid = repo.user_id(s, user)
            s.execute(update(User).where(User.id == uid).values(interview_date=day))

    def set_target_retention(self, user: str, target: float) -> None:
        if not 0.5 <= target < 1:
            raise ValueError(
                f"target retention must be at least 0.5 and below 1 (got {target}); 0.9 means "
                "a 90% chance of recalling each question on the day"
            )
        with self.store.session() as s:
            uid = repo.user_id(s, user)
            s.execute(update(User).where(User.id == uid).values(target_retention=target))

    def review_histories(self, user: str) -> dict[str, list[fitting.Review]]:
        """Every answer of a profile per question, in time order, as the optimizer reads it."""
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            rows = conn.execute(
                select(Attempt.question_id, Attempt.answered_at, Attempt.rating, Attempt.latency_s)
                .where(Attempt.user_id == uid)
                .order_by(Attempt.question_id, Attempt.answered_at, Attempt.id)
            ).all()
        histories: dict[str, list[fitting.Review]] = defaultdict(list)
        for qid, at, rating, latency in rows:
            histories[qid].append(fitting.Review(at, int(rating), int(latency * 1000)))
        return dict(histories)

    def set_fsrs_parameters(self, user: str, parameters: Sequence[float] | None) -> int:
        """Use these FSRS parameters for the profile from now on (None: fsrs's defaults), and
        reschedule every card by replaying its answers through the new scheduler. Returns how
        many cards' due dates changed."""
        values = fitting.valid_parameters(parameters) if parameters is not None else None
        now = self._now()
        with self.store.write() as conn:
            uid = repo.user_id(conn, user, lock=True)
            conn.execute(
                update(User)
                .where(User.id == uid)
                .values(
                    fsrs_parameters=json.dumps(list(values)) if values else None,
                    fsrs_fitted_at=now if values else None,
                )
            )
            profile = self._profile(conn, uid)
            scheduler = self._scheduler_of(profile)
            cards = conn.execute(
                select(ReviewCard.question_id, ReviewCard.created_at, ReviewCard.due).where(
                    ReviewCard.user_id == uid
                )
            ).all()
            answers: dict[str, list[tuple[datetime, int, float]]] = defaultdict(list)
            for qid, at, rating, latency in conn.execute(
                select(Attempt.question_id, Attempt.answered_at, Attempt.rating, Attempt.latency_s)
                .where(Attempt.user_id == uid)
                .order_by(Attempt.answered_at, Attempt.id)
            ):
                answers[qid].append((at, int(rating), float(latency)))
            changed = 0
            for qid, created_at, old_due in cards:
                # Answers since the card was (re)created: a reset starts a card afresh.
                history = [a for a in answers.get(qid, []) if a[0] >= created_at]
                if not history:
                    continue
                state = CardState.new(int(history[0][0].timestamp() * 1000), history[0][0])
                for at, rating, latency in history:
                    state = review(scheduler, state, Rating(rating), at, int(latency * 1000))
                state = self._cut_for_interview(scheduler, profile, state, now)
                conn.execute(
                    update(ReviewCard)
                    .where(ReviewCard.user_id == uid, ReviewCard.question_id == qid)
                    .values(
                        state=state.state,
                        step=state.step,
                        stability=state.stability,
                        difficulty=state.difficulty,
                        due=state.due,
                        last_review=state.last_review,
                    )
                )
                changed += int(state.due != old_due)
        return changed

    def _memories(self, conn: Connection, uid: int) -> list[Memory]:
        rows = conn.execute(
            select(
                ReviewCard.question_id,
                ReviewCard.due,
                ReviewCard.state,
                ReviewCard.step,
                ReviewCard.stability,
                ReviewCard.difficulty,
                ReviewCard.last_review,
                ReviewCard.first_day,
                QuestionSeen.topic,
            )
            .join(QuestionSeen, QuestionSeen.id == ReviewCard.question_id)
            .where(ReviewCard.user_id == uid)
        ).all()
        return [_memory(r, r.topic) for r in rows]

    def _habits(self, conn: Connection, uid: int) -> LearnerHabits:
        """How this user answers, for the projection: first answers right, ratings of right
        answers (from the log; defaults without one)."""
        first = (
            select(Attempt.question_id, func.min(Attempt.id).label("first_id"))
            .where(Attempt.user_id == uid)
            .group_by(Attempt.question_id)
            .subquery()
        )
        n_first, right_first = conn.execute(
            select(func.count(), repo.sum_int(Attempt.correct)).join(
                first, Attempt.id == first.c.first_id
            )
        ).one()
        ratings = dict(
            conn.execute(
                select(Attempt.rating, func.count())
                .where(Attempt.user_id == uid, Attempt.correct.is_(True))
                .group_by(Attempt.rating)
            ).all()
        )
        right = {int(r): int(n) for r, n in ratings.items() if int(r) != int(Rating.Again)}
        total = sum(right.values())
        habits = LearnerHabits()
        return LearnerHabits(
            first_right=(int(right_first) / int(n_first)) if n_first else habits.first_right,
            right_ratings=(
                {r: n / total for r, n in right.items()} if total else habits.right_ratings
            ),
        )

    def _focus(self, user: str, focus_topics: Sequence[str] | None) -> Sequence[str]:
        return self.settings(user).focus_topics if focus_topics is None else focus_topics

    def readiness(
        self,
        user: str,
        *,
        questions: Sequence[Question],
        focus_topics: Sequence[str] | None = None,
    ) -> Readiness | None:
        """The forecast and the plan to the profile's interview (None when it has no date).
        The focus is `focus_topics` of the bank (None: the profile's focus topics; all of the
        bank when there are none), in bank order."""
        focus_topics = self._focus(user, focus_topics)
        now = self._now()
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            profile = self._profile(conn, uid)
            if profile.interview_date is None:
                return None
            per_day = conn.execute(select(User.new_per_day).where(User.id == uid)).scalar_one()
            memories = self._memories(conn, uid)
            habits = self._habits(conn, uid)
        focus = [(q.id, q.topic) for q in questions if not focus_topics or q.topic in focus_topics]
        if not focus:
            # Without a bank, the questions already answered are the focus.
            focus = sorted((m.question_id, m.topic) for m in memories)
        return readiness.forecast(
            scheduler=self._scheduler_of(profile),
            memories=memories,
            focus=focus,
            now=now,
            tz=self.tz,
            interview_day=profile.interview_date,
            target=profile.target_retention,
            profile_new_per_day=per_day,
            habits=habits,
            fitted=profile.parameters is not None,
        )

    def interview_adjustments(
        self, user: str, *, questions: Sequence[Question]
    ) -> InterviewAdjustments:
        """What a round planner changes to follow the plan to the interview: today's new-question
        pace (None: keep the profile's new-per-day) and each card's due date after the interval
        cut (absent: unchanged). Without an interview date, nothing changes."""
        now = self._now()
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            profile = self._profile(conn, uid)
            if profile.interview_date is None:
                return InterviewAdjustments(None, {})
            memories = self._memories(conn, uid)
        plan = self.readiness_plan(user, questions=questions)
        due = self._effective_dues(profile, memories, now)
        return InterviewAdjustments(
            new_per_day=plan.new_per_day if plan is not None else None,
            due={
                m.question_id: due[m.question_id] for m in memories if due[m.question_id] != m.due
            },
        )

    def readiness_plan(
        self,
        user: str,
        *,
        questions: Sequence[Question],
        focus_topics: Sequence[str] | None = None,
    ) -> ReadinessPlan | None:
        """Today's plan to the interview (None without a date): what Learn and Review follow.
        Focus as in `readiness`."""
        focus_topics = self._focus(user, focus_topics)
        now = self._now()
        today = local_day(now, self.tz)
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            profile = self._profile(conn, uid)
            if profile.interview_date is None:
                return None
            per_day = conn.execute(select(User.new_per_day).where(User.id == uid)).scalar_one()
            memories = self._memories(conn, uid)
        focus = {q.id for q in questions if not focus_topics or q.topic in focus_topics}
        seen = [m for m in memories if m.question_id in focus]
        end_today = readiness.start_of_day(today + timedelta(days=1), self.tz)
        due = self._effective_dues(profile, seen, now)
        return readiness.make_plan(
            today=today,
            interview_day=profile.interview_date,
            unseen=len(focus) - len(seen),
            new_today_done=sum(1 for m in seen if m.first_day == today),
            profile_new_per_day=per_day,
            reviews_today=sum(1 for d in due.values() if d < end_today),
        )

    def trusted_stats(
        self,
        user: str,
        *,
        questions: Sequence[Question] = (),
        focus_topics: Sequence[str] | None = None,
    ) -> TrustedStats:
        """Readiness, true retention, the stability / interval distribution and how far the
        profile is from a fit (the `readiness`, `retention`, `memory` and `optimizer` parts of
        `stats --json`)."""
        now = self._now()
        today = local_day(now, self.tz)
        first = today - timedelta(days=max(readiness.RETENTION_WINDOWS) + readiness.MATURE_DAYS)
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            memories = self._memories(conn, uid)
            answers = [
                LoggedAnswer(*row)
                for row in conn.execute(
                    select(
                        Attempt.question_id,
                        Attempt.topic,
                        Attempt.answered_at,
                        Attempt.answered_day,
                        Attempt.correct,
                    ).where(Attempt.user_id == uid, Attempt.answered_day >= first)
                )
            ]
        histories = self.review_histories(user)
        train, _test = fitting.split(histories)
        parameters = self.readiness_settings(user).parameters
        return TrustedStats(
            readiness=self.readiness(user, questions=questions, focus_topics=focus_topics),
            retention=readiness.true_retention(answers, today),
            memory=readiness.memory_distribution(memories),
            reviews_for_fit=fitting.countable_reviews(train),
            reviews_needed_for_fit=fitting.reviews_needed(histories),
            fitted=parameters is not None,
            parameters=parameters,
        )

    # -- statistics ------------------------------------------------------------------------

    def stats(
        self,
        user: str,
        *,
        questions: Sequence[Question] = (),
        playable: Sequence[Question] | None = None,
    ) -> Stats:
        """Everything the stats screen shows (definitions in quizapp.stats). Without a bank
        (`questions` empty), topics and question counts come from what was recorded.

        `playable`: the questions a round can serve (default `questions`). Today's new-question
        figures follow the planner: the interview plan's pace when there is one, and no more
        new questions than are left."""
        now = self._now()
        today = local_day(now, self.tz)
        with self.store.read() as conn:
            uid = repo.user_id(conn, user)
            per_day = conn.execute(select(User.new_per_day).where(User.id == uid)).scalar_one()
            days = conn.execute(repo.totals_per_day(uid)).all()
            by_topic = conn.execute(repo.totals_per_topic(uid)).all()
            cards = conn.execute(repo.cards_with_topics(uid)).all()
            n_attempts = sum(int(r[1]) for r in days)
            median_latency = self._median_latency(conn, uid, n_attempts)
            weak_cards = sorted(
                (c for c in cards if c.reps > c.correct_count),
                key=lambda c: (c.correct_count / c.reps, -c.lapses, c.question_id),
            )[:WEAKEST]
            weak_latency = {
                c.question_id: repo.median_latency(conn, uid, c.question_id) for c in weak_cards
            }
            recurring = conn.execute(repo.recurring_misconceptions(uid)).all()[:MISCONCEPTIONS]
            matched_on: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
            if recurring:
                for name, source, qid in conn.execute(repo.misconception_questions(uid)):
                    matched_on[(name, source)].append(qid)

        # Per day and per topic, from daily_totals (aggregated by the database).
        per_day_rows = {repo.as_date(d): (int(n), int(c)) for d, n, c in days}
        per_topic = {t: (int(n), int(c)) for t, n, c, _s in by_topic}
        time_spent = float(sum(s for *_rest, s in by_topic))
        correct_total = sum(c for _n, c in per_day_rows.values())
        current, longest = streaks(set(per_day_rows), today)
        first = today - timedelta(days=ACTIVITY_DAYS - 1)
        activity = [
            DayActivity(d, *per_day_rows.get(d, (0, 0)))
            for d in (first + timedelta(days=i) for i in range(ACTIVITY_DAYS))
        ]

        bank = {q.id: q for q in questions}
        card_topic = {c.question_id: c.topic for c in cards}
        servable = list(questions if playable is None else playable)
        pace, unseen = per_day, None
        if servable:
            unseen = sum(1 for q in servable if q.id not in card_topic)
            follow = self.interview_adjustments(user, questions=servable)
            pace = per_day if follow.new_per_day is None else follow.new_per_day
        in_scope = [c for c in cards if not bank or c.question_id in bank]
        # Due forecast: cards (of questions still in the bank) due by the end of each day.
        forecast_counts = [0] * FORECAST_DAYS
        ends = [end_of_day(today + timedelta(days=i), self.tz) for i in range(FORECAST_DAYS)]
        for c in in_scope:
            for i, end in enumerate(ends):
                if c.due < end:
                    forecast_counts[i] += 1
                    break
        forecast = [
            DueDay(today + timedelta(days=i), forecast_counts[i]) for i in range(FORECAST_DAYS)
        ]

        # Topics: the bank's (question counts from the bank) plus any only seen in the log.
        topic_questions: dict[str, set[str]] = defaultdict(set)
        for q in questions:
            topic_questions[q.topic].add(q.id)
        if not bank:
            for qid, t in card_topic.items():
                topic_questions[t].add(qid)
        for t in per_topic:
            topic_questions.setdefault(t, set())
        cards_by_id = {c.question_id: c for c in cards}
        topics: list[TopicStats] = []
        end_today = ends[0]
        for t in sorted(topic_questions):
            topic_ids = topic_questions[t]
            topic_cards = [cards_by_id[i] for i in topic_ids if i in cards_by_id]
            mastered = sum(
                1
                for c in topic_cards
                if c.state == State.Review and (c.stability or 0.0) >= MASTERY_STABILITY_DAYS
            )
            n, correct = per_topic.get(t, (0, 0))
            topics.append(
                TopicStats(
                    topic=t,
                    questions=len(topic_ids),
                    seen=len(topic_cards),
                    attempts=n,
                    correct=correct,
                    accuracy=accuracy(correct, n),
                    mastered=mastered,
                    mastery=mastered / len(topic_ids) if topic_ids else 0.0,
                    due=sum(1 for c in topic_cards if c.due < end_today),
                )
            )
        weakest = [
            WeakQuestion(
                question_id=c.question_id,
                topic=card_topic[c.question_id],
                attempts=c.reps,
                correct=c.correct_count,
                accuracy=c.correct_count / c.reps,
                lapses=c.lapses,
                leech=c.leech,
                median_latency_s=weak_latency.get(c.question_id),
                title=_title(c.question_id, bank),
            )
            for c in weak_cards
        ]
        changed = sorted(
            c.question_id
            for c in in_scope
            if c.question_id in bank and self._hash(bank[c.question_id]) != c.content_hash
        )
        misconceptions = [
            RecurringMisconception(
                name=str(name),
                source=str(source),
                summary=_misconception_summary(
                    str(name), str(source), matched_on[(name, source)], bank
                ),
                count=int(n),
                last_seen=last,
                questions=matched_on[(name, source)],
                titles=[_title(qid, bank) for qid in matched_on[(name, source)]],
            )
            for name, source, n, last in recurring
        ]
        return Stats(
            user=user,
            today=today,
            totals=Totals(
                attempts=n_attempts,
                correct=correct_total,
                accuracy=accuracy(correct_total, n_attempts),
                questions_seen=len(cards),
                time_spent_s=time_spent,
            ),
            topics=topics,
            current_streak=current,
            longest_streak=longest,
            activity=activity,
            due_forecast=forecast,
            weakest=weakest,
            median_latency_s=median_latency,
            due_today=forecast_counts[0],
            new_today=sum(1 for c in cards if c.first_day == today),
            new_per_day=pace,
            leeches=sum(1 for c in cards if c.leech),
            changed=changed,
            misconceptions=misconceptions,
            unseen=unseen,
        )

    def close(self) -> None:
        self.store.close()

    def _median_latency(self, conn: Connection, uid: int, n: int) -> float | None:
        return repo.median_latency(conn, uid, None, count=n)

    # -- export / import / reset -----------------------------------------------------------

    def export_user(self, user: str) -> dict[str, Any]:
        """Everything recorded for one profile as JSON-able data (see quizapp.store.transfer)."""
        with self.store.session() as s:
            return export_user_data(s, repo.user_id(s, user))

    def import_data(self, data: dict[str, Any], *, as_user: str | None = None) -> ImportSummary:
        """Import an export. Into a new profile it round-trips exactly; into an existing one it
        merges: attempts already present are skipped, a card is replaced only by a newer one."""
        if as_user is not None:
            as_user = _clean_name(as_user)
        with self.store.session() as s:
            return import_user_data(s, data, as_user=as_user)

    def reset(self, user: str, *, question_id: str | None = None, topic: str | None = None) -> int:
        """Forget the scheduling state (FSRS cards) of one question, one topic, or everything:
        those questions become new again. The attempt log is history and is kept. Returns the
        number of cards reset."""
        with self.store.session() as s:
            uid = repo.user_id(s, user)
            stmt = delete(ReviewCard).where(ReviewCard.user_id == uid)
            if question_id is not None:
                stmt = stmt.where(ReviewCard.question_id == question_id)
            if topic is not None:
                ids = select(QuestionSeen.id).where(QuestionSeen.topic == topic)
                stmt = stmt.where(ReviewCard.question_id.in_(ids))
            return repo.rowcount(s.execute(stmt))

    def count_cards(
        self, user: str, *, question_id: str | None = None, topic: str | None = None
    ) -> int:
        """How many cards `reset` with the same arguments would reset (for confirmations)."""
        with self.store.session() as s:
            uid = repo.user_id(s, user)
            stmt = select(func.count()).select_from(ReviewCard).where(ReviewCard.user_id == uid)
            if question_id is not None:
                stmt = stmt.where(ReviewCard.question_id == question_id)
            if topic is not None:
                ids = select(QuestionSeen.id).where(QuestionSeen.topic == topic)
                stmt = stmt.where(ReviewCard.question_id.in_(ids))
            return int(s.execute(stmt).scalar_one())
