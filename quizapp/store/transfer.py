"""Export and import of one profile's progress as JSON-able data.

Format "quizapp-progress", version 1: the profile, the questions it touched, its FSRS cards, its
practice sessions and its full attempt log. Exporting, importing into an empty database and
exporting again gives the same document, byte for byte once dumped with sorted keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from quizapp.store.errors import StoreError
from quizapp.store.models import Attempt, PracticeSession, QuestionSeen, ReviewCard, User
from quizapp.store.repository import rebuild_daily_totals

FORMAT = "quizapp-progress"
VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserDoc(_Model):
    name: str = Field(min_length=1, max_length=64)
    created_at: AwareDatetime
    new_per_day: int = Field(ge=0)
    # Practice settings (revision 0005); optional so that older exports stay valid.
    focus_topics: str | None = None
    theme: str | None = Field(default=None, max_length=64)
    # Readiness (revision 0006); optional so that older exports stay valid.
    interview_date: date | None = None
    target_retention: float = Field(default=0.9, gt=0, lt=1)
    fsrs_parameters: str | None = None
    fsrs_fitted_at: AwareDatetime | None = None


class QuestionDoc(_Model):
    id: str = Field(min_length=1, max_length=128)
    topic: str
    kind: str
    content_hash: str
    first_seen_at: AwareDatetime
    flagged_changed: bool = False
    changed_at: AwareDatetime | None = None


class CardDoc(_Model):
    question_id: str
    card_id: int
    state: int = Field(ge=1, le=3)
    step: int | None
    stability: float | None
    difficulty: float | None
    due: AwareDatetime
    last_review: AwareDatetime | None
    reps: int = Field(ge=0)
    lapses: int = Field(ge=0)
    correct_count: int = Field(ge=0)
    leech: bool
    content_hash: str
    first_day: date
    created_at: AwareDatetime


class SessionDoc(_Model):
    key: int
    mode: str
    topic: str | None
    started_at: AwareDatetime
    ended_at: AwareDatetime | None
    attempts: int
    correct: int


class AttemptDoc(_Model):
    question_id: str
    session: int | None = None  # a SessionDoc key
    topic: str
    kind: str
    content_hash: str
    seed: int
    answer: str
    status: str
    correct: bool
    score: float | None
    rating: int = Field(ge=1, le=4)
    latency_s: float = Field(ge=0)
    hints_used: int = Field(ge=0)
    device: str
    torch_version: str
    answered_at: AwareDatetime
    answered_day: date
    # Since migration 0004 (optional: older exports import unchanged).
    misconception: str | None = Field(default=None, max_length=64)
    misconception_source: Literal["authored", "automatic"] | None = None


class ExportDoc(_Model):
    format: Literal["quizapp-progress"]
    version: Literal[1]
    user: UserDoc
    questions: list[QuestionDoc]
    cards: list[CardDoc]
    sessions: list[SessionDoc]
    attempts: list[AttemptDoc]


@dataclass(frozen=True)
class ImportSummary:
    user: str
    created_user: bool
    attempts_added: int
    attempts_skipped: int
    cards_added: int
    cards_updated: int
    sessions_added: int
    questions_added: int


def _columns(row: Any, names: list[str]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


def _fields(model: type[BaseModel], *drop: str) -> list[str]:
    return [n for n in model.model_fields if n not in drop]


def export_user_data(session: Session, uid: int) -> dict[str, Any]:
    user = session.get(User, uid)
    assert user is not None
    sessions = (
        session.execute(
            select(PracticeSession)
            .where(PracticeSession.user_id == uid)
            .order_by(PracticeSession.started_at, PracticeSession.id)
        )
        .scalars()
        .all()
    )
    keys = {row.id: i for i, row in enumerate(sessions)}
    attempts = (
        session.execute(
            select(Attempt).where(Attempt.user_id == uid).order_by(Attempt.answered_at, Attempt.id)
        )
        .scalars()
        .all()
    )
    cards = (
        session.execute(
            select(ReviewCard).where(ReviewCard.user_id == uid).order_by(ReviewCard.question_id)
        )
        .scalars()
        .all()
    )
    qids = {a.question_id for a in attempts} | {c.question_id for c in cards}
    questions = (
        session.execute(
            select(QuestionSeen).where(QuestionSeen.id.in_(sorted(qids))).order_by(QuestionSeen.id)
        )
        .scalars()
        .all()
        if qids
        else []
    )
    doc = ExportDoc(
        format=FORMAT,
        version=VERSION,
        user=UserDoc(**_columns(user, _fields(UserDoc))),
        questions=[QuestionDoc(**_columns(q, _fields(QuestionDoc))) for q in questions],
        cards=[CardDoc(**_columns(c, _fields(CardDoc))) for c in cards],
        sessions=[
            SessionDoc(key=keys[r.id], **_columns(r, _fields(SessionDoc, "key"))) for r in sessions
        ],
        attempts=[
            AttemptDoc(
                session=keys.get(a.session_id) if a.session_id is not None else None,
                **_columns(a, _fields(AttemptDoc, "session")),
            )
            for a in attempts
        ],
    )
    return doc.model_dump(mode="json")


def parse_export(data: Any) -> ExportDoc:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(
            "not a quizapp progress export (expected a JSON object with "
            f'"format": "{FORMAT}"); export one with `quizapp export`'
        )
    if data.get("version") != VERSION:
        raise StoreError(
            f"unsupported export version {data.get('version')!r} (this quizapp reads version "
            f"{VERSION}); upgrade quizapp"
        )
    try:
        return ExportDoc.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5]
        )
        raise StoreError(f"the export is damaged: {problems}") from None


def import_user_data(session: Session, data: Any, *, as_user: str | None = None) -> ImportSummary:
    doc = parse_export(data)
    name = as_user or doc.user.name
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    created = user is None
    if user is None:
        user = User(**{**doc.user.model_dump(), "name": name})
        session.add(user)
        session.flush()
    uid = user.id

    known = (
        set(
            session.execute(
                select(QuestionSeen.id).where(QuestionSeen.id.in_([q.id for q in doc.questions]))
            ).scalars()
        )
        if doc.questions
        else set()
    )
    referenced = {a.question_id for a in doc.attempts} | {c.question_id for c in doc.cards}
    missing = referenced - known - {q.id for q in doc.questions}
    if missing:
        raise StoreError(f"the export is damaged: unknown questions {sorted(missing)[:5]}")
    new_questions = [q.model_dump() for q in doc.questions if q.id not in known]
    if new_questions:
        session.execute(insert(QuestionSeen), new_questions)

    existing_sessions = {
        (r.started_at, r.mode): r.id
        for r in session.execute(
            select(PracticeSession).where(PracticeSession.user_id == uid)
        ).scalars()
    }
    session_ids: dict[int, int] = {}
    sessions_added = 0
    for sd in doc.sessions:
        found = existing_sessions.get((sd.started_at, sd.mode))
        if found is None:
            new_session = PracticeSession(user_id=uid, **sd.model_dump(exclude={"key"}))
            session.add(new_session)
            session.flush()
            found = new_session.id
            sessions_added += 1
        session_ids[sd.key] = found

    seen_attempts = {
        (qid, at, seed)
        for qid, at, seed in session.execute(
            select(Attempt.question_id, Attempt.answered_at, Attempt.seed).where(
                Attempt.user_id == uid
            )
        )
    }
    rows: list[dict[str, Any]] = []
    for ad in doc.attempts:
        identity = (ad.question_id, ad.answered_at, ad.seed)
        if identity in seen_attempts:
            continue
        seen_attempts.add(identity)
        row = ad.model_dump(exclude={"session"})
        row["user_id"] = uid
        row["session_id"] = session_ids.get(ad.session) if ad.session is not None else None
        rows.append(row)
    if rows:
        session.execute(insert(Attempt), rows)
        rebuild_daily_totals(session, uid)

    cards = {
        c.question_id: c
        for c in session.execute(select(ReviewCard).where(ReviewCard.user_id == uid)).scalars()
    }
    added = updated = 0
    for cd in doc.cards:
        current = cards.get(cd.question_id)
        values = cd.model_dump()
        if current is None:
            session.add(ReviewCard(user_id=uid, **values))
            added += 1
        elif (cd.last_review or cd.created_at) > (current.last_review or current.created_at):
            for key, value in values.items():
                setattr(current, key, value)
            updated += 1
    session.flush()
    return ImportSummary(
        user=name,
        created_user=created,
        attempts_added=len(rows),
        attempts_skipped=len(doc.attempts) - len(rows),
        cards_added=added,
        cards_updated=updated,
        sessions_added=sessions_added,
        questions_added=len(new_questions),
    )
