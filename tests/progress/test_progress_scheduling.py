"""Outcome -> FSRS rating, lapses and leeches, and the queue."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from progress_helpers import make_question, result

from quizapp.grading.types import GradeStatus
from quizapp.scheduling import (
    LEECH_LAPSES,
    QUICK_SECONDS,
    CardState,
    Rating,
    State,
    draw_seed,
    make_scheduler,
    rating_for,
    review,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "hints", "latency", "expected"),
    [
        (GradeStatus.INCORRECT, 0, 1.0, Rating.Again),
        (GradeStatus.TIMEOUT, 0, 1.0, Rating.Again),
        (GradeStatus.CORRECT, 1, 1.0, Rating.Hard),
        (GradeStatus.CORRECT, 0, QUICK_SECONDS["shape"], Rating.Easy),
        (GradeStatus.CORRECT, 0, QUICK_SECONDS["shape"] + 0.1, Rating.Good),
    ],
)
def test_rating_follows_the_outcome(
    status: GradeStatus, hints: int, latency: float, expected: Rating
) -> None:
    q = make_question("q1")
    assert (
        rating_for(result(q, status), kind="shape", latency_s=latency, hints_used=hints) == expected
    )


def test_user_fault_error_is_again() -> None:
    q = make_question("q1", kind="code")
    r = result(q, GradeStatus.ERROR, extra={"user_fault": True})
    assert r.counts
    assert rating_for(r, kind="code", latency_s=5, hints_used=0) == Rating.Again


def test_quick_threshold_depends_on_the_kind() -> None:
    q = make_question("q1")
    r = result(q)
    assert rating_for(r, kind="code", latency_s=40, hints_used=0) == Rating.Easy
    assert rating_for(r, kind="choice", latency_s=40, hints_used=0) == Rating.Good


@pytest.mark.parametrize(
    ("score", "hints", "expected"),
    [
        (0.2, 0, Rating.Again),
        (0.6, 0, Rating.Hard),
        (0.9, 1, Rating.Hard),
        (1.0, 0, Rating.Easy),
    ],
)
def test_recall_rating_follows_the_self_grade(score: float, hints: int, expected: Rating) -> None:
    q = make_question("r1", kind="recall")
    status = GradeStatus.CORRECT if score >= 0.5 else GradeStatus.INCORRECT
    r = result(q, status, score=score)
    assert rating_for(r, kind="recall", latency_s=10, hints_used=hints) == expected


def test_lapses_count_agains_after_graduation_and_make_a_leech() -> None:
    scheduler = make_scheduler(fuzz=False)
    card = CardState.new(1, NOW)
    now = NOW
    card = review(scheduler, card, Rating.Easy, now, None)
    assert card.state == State.Review and card.lapses == 0
    for i in range(LEECH_LAPSES):
        now = card.due
        card = review(scheduler, card, Rating.Again, now, None)
        assert card.lapses == i + 1
        assert card.leech == (i + 1 >= LEECH_LAPSES)
        # Relearn it so the next Again is a lapse again.
        while card.state != State.Review:
            now = max(card.due, now)
            card = review(scheduler, card, Rating.Good, now, None)
    assert card.reps > LEECH_LAPSES
    # Again while still learning is not a lapse.
    fresh = review(scheduler, CardState.new(2, NOW), Rating.Again, NOW, None)
    assert fresh.lapses == 0


def test_cards_survive_datetimes_in_utc_only() -> None:
    scheduler = make_scheduler()
    card = review(scheduler, CardState.new(1, NOW), Rating.Good, NOW, 1500)
    assert card.due.tzinfo is UTC and card.last_review == NOW


def test_seeds_are_drawn_fresh() -> None:
    rng = random.Random(3)
    seeds = {draw_seed(rng) for _ in range(100)}
    assert len(seeds) == 100
    assert all(0 <= s < 2**31 for s in seeds)
