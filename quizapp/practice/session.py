"""A practice session: one round the user is in. It owns the round's items, where the user is,
every submission (graded by the service, the first counted one recorded through it), the
rating override, the clocks of a mock, finishing (the store's session is closed once) and the
summary. No Textual: the TUI shows a session and tells it what the user did.

Methods marked BLOCKING grade or write; a UI calls them from a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quizapp.grading.types import GradeResult
from quizapp.practice.answers import precheck
from quizapp.practice.backend import PracticeBackend
from quizapp.practice.modes import PracticeMode
from quizapp.practice.summary import ItemReview, RoundSummary, Trend, truth_of

if TYPE_CHECKING:
    from quizapp.practice.planner import Plan, PlannedItem


class Cancelled(Exception):
    """The user cancelled the check; nothing was recorded."""


@dataclass(frozen=True)
class Submission:
    """What one submit did."""

    result: GradeResult
    counted: bool  # a real attempt (False: invalid, or the question itself failed)
    recorded: Any | None = None  # the AttemptRecord when this submission was recorded
    first: bool = False  # the round's first counted submission of this item
    tries: int = 0


@dataclass
class _ItemState:
    first: GradeResult | None = None  # what the scheduler saw
    last: GradeResult | None = None
    record: Any | None = None
    given: str = ""
    tries: int = 0
    seconds: float = 0.0
    hints: int = 0


@dataclass
class PracticeSession:
    """See the module docstring. Build with `PracticeSession.open(backend, user, plan)`."""

    backend: PracticeBackend
    user: str
    plan: Plan
    session_id: int | None = None
    clock: Callable[[], float] = time.monotonic
    index: int = 0
    started_at: float = 0.0
    item_started_at: float = 0.0
    finished: bool = False
    # What the user wrote per question (code and output answers), shared by the service across
    # rounds, so leaving a question or trying again never loses it.
    drafts: dict[str, str] = field(default_factory=dict)
    _states: dict[int, _ItemState] = field(default_factory=dict)
    _summary: RoundSummary | None = None

    def __post_init__(self) -> None:
        self.started_at = self.item_started_at = self.clock()

    @classmethod
    def open(cls, backend: PracticeBackend, user: str, plan: Plan, **kw: Any) -> PracticeSession:
        """BLOCKING: starts the store's practice session for the round."""
        sid = backend.start_session(user, plan.mode.session_kind, plan.topic)
        return cls(backend, user, plan, session_id=sid, **kw)

    # -- where the user is -------------------------------------------------------------------
    @property
    def mode(self) -> PracticeMode:
        return self.plan.mode

    @property
    def items(self) -> list[PlannedItem]:
        return self.plan.items

    @property
    def is_mock(self) -> bool:
        return self.mode.is_mock

    @property
    def hints_allowed(self) -> bool:
        return not self.is_mock

    @property
    def current(self) -> PlannedItem | None:
        return self.items[self.index] if self.index < len(self.items) else None

    @property
    def position(self) -> str:
        return f"{min(self.index + 1, len(self.items))}/{len(self.items)}"

    @property
    def has_next(self) -> bool:
        return self.index + 1 < len(self.items)

    @property
    def label(self) -> str:
        return f"{self.mode.label} {self.position}"

    def remaining_s(self) -> float | None:
        """A mock's whole clock (the sum of the per-question ones)."""
        if self.plan.time_limit_s is None:
            return None
        return max(0.0, self.plan.time_limit_s - (self.clock() - self.started_at))

    def item_remaining_s(self) -> float | None:
        """A mock's clock for the current question (2 minutes, code 5); may run negative: the
        question is then over its time (shown, and noted in the summary)."""
        item = self.current
        if item is None or item.seconds is None:
            return None
        return item.seconds - (self.clock() - self.item_started_at)

    @property
    def out_of_time(self) -> bool:
        remaining = self.remaining_s()
        return remaining is not None and remaining <= 0

    def state(self, index: int | None = None) -> _ItemState:
        return self._states.setdefault(self.index if index is None else index, _ItemState())

    @property
    def answered_current(self) -> bool:
        return self.state().first is not None

    def draft(self, question_id: str) -> str | None:
        return self.drafts.get(question_id)

    def keep_draft(self, question_id: str, text: str) -> None:
        self.drafts[question_id] = text

    # -- what the user does -----------------------------------------------------------------
    def prepare(self, *, cancel: threading.Event | None = None) -> None:
        """BLOCKING: lets the backend run ahead what a wrong answer to the current question
        would need (its diagnosis), while the user is still writing the answer."""
        item = self._item()
        self.backend.prepare(item.question_id, item.seed, cancel=cancel)

    def run(self, answer: str, *, cancel: threading.Event | None = None) -> GradeResult:
        """BLOCKING: runs a code answer and its check and says what happened; records nothing
        (code questions: Run, as often as you like)."""
        item = self._item()
        early = self._precheck(item, answer)
        if early is not None:
            return early
        result = self.backend.grade(item.question_id, item.seed, answer, cancel=cancel)
        if cancel is not None and cancel.is_set():
            raise Cancelled
        return result

    def submit(
        self,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        hints_used: int = 0,
        cancel: threading.Event | None = None,
    ) -> Submission:
        """BLOCKING: grades the answer; the round's first counted submission of this question is
        recorded (what the scheduler sees); later ones (code, after a failure) are graded only.
        Invalid answers (empty, unparseable, the unchanged starter) are never counted."""
        item = self._item()
        early = self._precheck(item, answer)
        if early is not None:
            return Submission(early, counted=False, tries=self.state().tries)
        seconds = self.clock() - self.item_started_at
        result = self.backend.grade(
            item.question_id, item.seed, answer, ticked=ticked, cancel=cancel
        )
        if cancel is not None and cancel.is_set():
            raise Cancelled
        st = self.state()
        if not result.counts:
            return Submission(result, counted=False, tries=st.tries)
        st.tries += 1
        first = st.first is None
        record = None
        if first:
            record = self.backend.record(
                self.user,
                item.question_id,
                result,
                answer=answer,
                latency_s=seconds,
                hints_used=hints_used,
                session_id=self.session_id,
            )
            st.first, st.record, st.seconds, st.hints = result, record, seconds, hints_used
        st.last, st.given = result, answer
        return Submission(result, counted=True, recorded=record, first=first, tries=st.tries)

    def rerate(self, rating: int) -> Any:
        """BLOCKING: overrides the rating the current question's recorded answer earned
        (1 Again, 2 Hard, 3 Good, 4 Easy) before moving on; returns the corrected record."""
        st = self.state()
        if st.record is None:
            raise ValueError("nothing recorded for this question yet")
        st.record = self.backend.rerate(st.record.id, rating)
        return st.record

    def advance(self) -> PlannedItem | None:
        """The next question, or None when the round is over (all asked, or out of time)."""
        self.index += 1
        self.item_started_at = self.clock()
        if self.out_of_time:
            return None
        return self.current

    def finish(self) -> RoundSummary:
        """Ends the round (the store's session is closed once, whatever calls this) and
        returns its summary. BLOCKING (one short write; a mock's trend is one read)."""
        if self._summary is not None:
            return self._summary
        self.finished = True
        if self.session_id is not None:
            self.backend.end_session(self.session_id)
        self._summary = self.summary()
        return self._summary

    def close_quietly(self) -> None:
        """Ends the store's session without building a summary (quitting the app)."""
        if not self.finished and self.session_id is not None:
            self.finished = True
            self.backend.end_session(self.session_id)

    # -- the summary ------------------------------------------------------------------------
    def summary(self) -> RoundSummary:
        reviews = [self._review(i, item) for i, item in enumerate(self.items)]
        trend = None
        if self.is_mock:
            answered = [r for r in reviews if r.answered]
            current = sum(r.score for r in answered) / len(answered) if answered else 0.0
            past = [
                p.accuracy
                for p in self.backend.mock_history(self.user)
                if p.session_id != self.session_id
            ]
            trend = Trend(previous=past, current=current)
        return RoundSummary(
            mode=self.mode,
            items=reviews,
            elapsed_s=self.clock() - self.started_at,
            out_of_time=self.out_of_time,
            trend=trend,
        )

    def _review(self, index: int, item: PlannedItem) -> ItemReview:
        st = self._states.get(index, _ItemState())
        result = st.first
        try:
            title = self.backend.question(item.question_id).display_title
        except Exception:  # the bank was reloaded without it: the id says enough
            title = item.question_id
        if result is None:
            return ItemReview(
                item.question_id,
                title,
                item.topic,
                item.kind,
                item.difficulty,
                item.seed,
                answered=False,
                score=0.0,
                seconds=0.0,
                allowed_s=item.seconds,
            )
        score = result.score if result.score is not None else (1.0 if result.correct else 0.0)
        return ItemReview(
            item.question_id,
            title,
            item.topic,
            item.kind,
            item.difficulty,
            item.seed,
            answered=True,
            score=score,
            seconds=st.seconds,
            allowed_s=item.seconds,
            given=(result.given_display or result.given).strip(),
            truth=truth_of(result, item.kind),
            feedback=result.feedback,
            status=result.status,
            tries=st.tries,
            passed_later=not result.correct and bool(st.last and st.last.correct),
        )

    # -- helpers ----------------------------------------------------------------------------
    def _item(self) -> PlannedItem:
        item = self.current
        if item is None:
            raise ValueError("the round is over")
        return item

    def _precheck(self, item: PlannedItem, answer: str) -> GradeResult | None:
        starter = ""
        if item.kind == "code":
            try:
                starter = self.backend.question(item.question_id).starter
            except Exception:
                starter = ""
        return precheck(item.kind, item.question_id, item.seed, answer, starter)
