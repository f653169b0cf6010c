"""A practice session owns its round: submissions, recording, rating, clocks, the summary."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from practice_helpers import question

from quizapp.bank.models import Question
from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.practice import PastRound, PracticeSession
from quizapp.practice.modes import PracticeMode, Reason
from quizapp.practice.planner import Plan, PlannedItem


@dataclass
class Record:
    id: int
    rating: int
    due_at: Any = None


@dataclass
class Backend:
    """Grades `right` as correct and anything else as wrong; keeps what was recorded."""

    questions: dict[str, Question]
    recorded: list[tuple[str, str]] = field(default_factory=list)
    rerated: list[tuple[int, int]] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    graded: int = 0
    prepared: int = 0
    past: list[PastRound] = field(default_factory=list)

    def question(self, question_id: str) -> Question:
        return self.questions[question_id]

    def prepare(
        self, question_id: str, seed: int, *, cancel: threading.Event | None = None
    ) -> None:
        self.prepared += 1

    def grade(
        self,
        question_id: str,
        seed: int,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        cancel: threading.Event | None = None,
    ) -> GradeResult:
        self.graded += 1
        ok = "right" in answer
        return GradeResult(
            question_id,
            seed,
            GradeStatus.CORRECT if ok else GradeStatus.INCORRECT,
            answer,
            expected_display="(1, 2)",
            feedback="" if ok else "AssertionError: not yet",
        )

    def record(self, user: str, question_id: str, result: GradeResult, **kw: Any) -> Record:
        self.recorded.append((question_id, result.status.value))
        return Record(len(self.recorded), 1 if not result.correct else 3)

    def rerate(self, attempt_id: int, rating: int) -> Record:
        self.rerated.append((attempt_id, rating))
        return Record(attempt_id, rating)

    def start_session(self, user: str, mode: str, topic: str | None = None) -> int:
        return 7

    def end_session(self, session_id: int) -> None:
        self.ended.append(session_id)

    def mock_history(self, user: str) -> Sequence[PastRound]:
        return self.past


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _plan(mode: PracticeMode, qs: list[Question], limit: float | None = None) -> Plan:
    items = [
        PlannedItem(
            q.id,
            q.topic,
            q.kind.value,
            q.difficulty.value,
            Reason.NEW,
            1,
            seconds=300.0 if limit and q.kind.value == "code" else 120.0 if limit else None,
        )
        for q in qs
    ]
    return Plan(mode, items, time_limit_s=limit)


def test_code_can_be_run_failed_fixed_and_passed_and_only_the_first_submit_is_recorded() -> None:
    code = question("c1", kind="code")
    backend = Backend({"c1": code})
    session = PracticeSession.open(backend, "ann", _plan(PracticeMode.LEARN, [code]))
    # Run records nothing, as often as you like.
    assert session.run("x = 1  # wrong").status is GradeStatus.INCORRECT
    assert session.run("x = 'right'").correct and backend.recorded == []
    # Invalid answers are never counted and never graded.
    for bad in ("", "   \n", code.starter, "def f(:\n    pass", "while True:\npass"):
        sub = session.submit(bad)
        assert sub.result.status is GradeStatus.INVALID and not sub.counted
    assert "IndentationError on line 2" in session.submit("while True:\npass").result.feedback
    assert "starter" in session.submit(code.starter).result.feedback
    assert backend.graded == 2 and backend.recorded == []
    # A failed submission is recorded (what the scheduler sees); the fix is graded, not recorded.
    first = session.submit("x = 0")
    assert first.counted and first.first and first.recorded is not None and first.tries == 1
    fixed = session.submit("x = 'right'")
    assert fixed.result.correct and not fixed.first and fixed.recorded is None and fixed.tries == 2
    assert backend.recorded == [("c1", "incorrect")]
    review = session.finish().items[0]
    assert review.tries == 2 and review.passed_later and not review.correct
    assert backend.ended == [7]
    session.finish()
    assert backend.ended == [7]  # closed once


def test_prepare_lets_the_backend_run_ahead_for_the_current_question() -> None:
    code = question("c1", kind="code")
    backend = Backend({"c1": code})
    session = PracticeSession.open(backend, "ann", _plan(PracticeMode.LEARN, [code]))
    session.prepare()
    assert backend.prepared == 1 and backend.graded == 0 and backend.recorded == []


def test_rating_override_goes_through_the_backend() -> None:
    q = question("s1")
    backend = Backend({"s1": q})
    session = PracticeSession.open(backend, "ann", _plan(PracticeMode.LEARN, [q]))
    with pytest.raises(ValueError, match="nothing recorded"):
        session.rerate(4)
    session.submit("right")
    assert session.rerate(2).rating == 2 and backend.rerated == [(1, 2)]


def test_a_mock_that_runs_out_with_nothing_answered_still_has_a_summary() -> None:
    qs = [question("a", "shapes"), question("b", "hooks", kind="code")]
    backend = Backend(
        {q.id: q for q in qs}, past=[PastRound(1, None, 5, 3), PastRound(7, None, 1, 1)]
    )  # type: ignore[arg-type]
    clock = Clock()
    session = PracticeSession.open(
        backend, "ann", _plan(PracticeMode.MOCK, qs, limit=420.0), clock=clock
    )
    assert session.item_remaining_s() == 120.0 and session.remaining_s() == 420.0
    clock.t += 130
    assert session.item_remaining_s() == -10.0  # over this question's time, still shown
    clock.t += 400
    assert session.out_of_time and session.advance() is None
    summary = session.finish()
    assert summary.asked == 2 and summary.answered == 0 and summary.out_of_time
    assert [i.answered for i in summary.items] == [False, False]
    assert summary.to_review == summary.items
    assert summary.trend is not None and summary.trend.previous == [0.6]  # its own session left out


def test_a_mock_summary_reviews_each_answer_against_the_truth_and_shows_the_trend() -> None:
    qs = [question("a", "shapes"), question("b", "hooks")]
    backend = Backend({q.id: q for q in qs}, past=[PastRound(1, None, 5, 2)])  # type: ignore[arg-type]
    session = PracticeSession.open(backend, "ann", _plan(PracticeMode.MOCK, qs, limit=240.0))
    session.submit("right")
    assert session.advance() is not None
    session.submit("wrong")
    assert session.advance() is None
    summary = session.finish()
    a, b = summary.items
    assert a.correct and a.truth == "(1, 2)" and a.given == "right"
    assert not b.correct and b.feedback.startswith("AssertionError")
    assert summary.per_topic == {"hooks": (0.0, 1), "shapes": (1.0, 1)}
    assert summary.trend is not None and summary.trend.current == 0.5
    assert "↑ 50% this time, 40% last time" in summary.trend.describe()
