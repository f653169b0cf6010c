"""The round's rules as plain data: order, the mock clock, the summary, topic spreading."""

from __future__ import annotations

from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.tui.practice import Item, Round, format_seconds, spread_topics


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def result(qid: str, status: GradeStatus, score: float | None = None) -> GradeResult:
    return GradeResult(qid, 1, status, "x", score=score)


def test_round_moves_through_its_items_and_sums_up() -> None:
    clock = Clock()
    items = [Item("a.1", 1), Item("b.1", 2), Item("a.2", 3)]
    rnd = Round("alice", "mock", items, time_limit_s=300, clock=clock)
    assert rnd.current == items[0] and rnd.position == "1/3" and not rnd.hints_allowed
    rnd.add("a", result("a.1", GradeStatus.CORRECT), seconds=20, hints_used=0)
    clock.now += 20
    assert rnd.advance() == items[1]
    rnd.add("b", result("b.1", GradeStatus.INCORRECT), seconds=40, hints_used=0)
    clock.now += 40
    assert rnd.remaining_s() == 240
    summary = rnd.summary()
    assert summary.score == 1 and summary.answered == 2 and summary.asked == 3
    assert summary.per_topic == {"a": (1.0, 1), "b": (0.0, 1)}
    assert summary.to_review == ["b.1", "a.2"]  # wrong first, then unanswered
    assert summary.times == [("a.1", 20), ("b.1", 40)]
    assert not summary.out_of_time


def test_mock_clock_runs_out() -> None:
    clock = Clock()
    rnd = Round("alice", "mock", [Item("a.1", 1), Item("a.2", 2)], time_limit_s=60, clock=clock)
    clock.now += 61
    assert rnd.out_of_time and rnd.finished and rnd.remaining_s() == 0
    assert rnd.advance() is None
    assert rnd.summary().out_of_time


def test_recall_scores_count_as_fractions() -> None:
    rnd = Round("alice", "learn", [Item("r.1", 1)])
    rnd.add("modes", result("r.1", GradeStatus.CORRECT, score=2 / 3), seconds=5, hints_used=1)
    assert rnd.summary().score == 2 / 3
    assert rnd.hints_allowed and rnd.remaining_s() is None


def test_spread_topics_takes_topics_in_turn() -> None:
    items = [Item(q, 1) for q in ("a.1", "a.2", "a.3", "b.1", "b.2", "c.1")]
    picked = spread_topics(items, lambda q: q.split(".")[0], 4)
    assert [i.question_id for i in picked] == ["a.1", "b.1", "c.1", "a.2"]
    assert len(spread_topics(items[:2], lambda q: "a", 5)) == 2


def test_format_seconds() -> None:
    assert format_seconds(0) == "0:00"
    assert format_seconds(75.4) == "1:15"
    assert format_seconds(-3) == "0:00"
