"""The readiness core: the forecast is FSRS's own retrievability, the plan's rules hold, true
retention and the memory distribution count what they say."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quizapp.readiness import (
    LoggedAnswer,
    Memory,
    ReviewKind,
    effective_due,
    forecast,
    forgetting_curve,
    interview_moment,
    make_plan,
    make_scheduler,
    memory_distribution,
    needed_new_per_day,
    retrievability,
    start_of_day,
    true_retention,
)

NOW = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


def memory(
    qid: str,
    *,
    topic: str = "shapes",
    stability: float = 5.0,
    reviewed_days_ago: float = 1.0,
    due_in_days: float = 4.0,
    first_day: date | None = None,
) -> Memory:
    return Memory(
        question_id=qid,
        topic=topic,
        state=int(State.Review),
        step=None,
        stability=stability,
        difficulty=5.0,
        due=NOW + timedelta(days=due_in_days),
        last_review=NOW - timedelta(days=reviewed_days_ago),
        first_day=first_day or TODAY - timedelta(days=10),
    )


@given(
    stability=st.floats(0.01, 3000),
    elapsed=st.integers(0, 5000),
    decay=st.floats(0.1, 0.8),
)
def test_forgetting_curve_is_fsrs_own_retrievability(
    stability: float, elapsed: int, decay: float
) -> None:
    params = list(DEFAULT_PARAMETERS)
    params[20] = decay
    scheduler = Scheduler(parameters=params)
    last = NOW - timedelta(days=elapsed, hours=3)
    card = Card(state=State.Review, stability=stability, difficulty=5.0, last_review=last, due=NOW)
    expected = scheduler.get_card_retrievability(card, current_datetime=NOW)
    assert forgetting_curve(scheduler, (NOW - last).days, stability) == pytest.approx(expected)


def test_interview_moment_is_midday_local_on_the_day() -> None:
    assert interview_moment(date(2027, 1, 15), UTC) == datetime(2027, 1, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("unseen", "days_left", "expected"),
    [
        (0, 30, 0),
        (100, 0, 100),  # the day itself: everything now (cramming is all that is left)
        (100, 1, 100),
        (100, 2, 100),  # only today is left for new questions
        (100, 3, 50),  # today and tomorrow; the day before the interview is for reviews
        (100, 11, 10),
        (7, 60, 1),
    ],
)
def test_new_questions_a_day_needed(unseen: int, days_left: int, expected: int) -> None:
    assert needed_new_per_day(unseen, days_left) == expected


@given(unseen=st.integers(0, 2000), days_left=st.integers(0, 400))
def test_at_the_needed_pace_every_question_is_new_two_days_before_the_day(
    unseen: int, days_left: int
) -> None:
    pace = needed_new_per_day(unseen, days_left)
    learning_days = max(days_left - 1, 1)
    assert pace * learning_days >= unseen
    # ... and no faster than needed.
    if pace > 1 and days_left >= 3:
        assert (pace - 1) * learning_days < unseen


def test_plan_takes_the_larger_of_the_needed_pace_and_the_profile_setting() -> None:
    slow = make_plan(
        today=TODAY,
        interview_day=TODAY + timedelta(days=11),
        unseen=100,
        new_today_done=0,
        profile_new_per_day=5,
        reviews_today=7,
    )
    assert (slow.needed_per_day, slow.new_per_day, slow.new_today) == (10, 10, 10)
    assert slow.line() == "today: 10 new, 7 reviews"
    assert slow.learn_until == TODAY + timedelta(days=9)
    eager = make_plan(
        today=TODAY,
        interview_day=TODAY + timedelta(days=11),
        unseen=100,
        new_today_done=4,
        profile_new_per_day=20,
        reviews_today=0,
    )
    # The needed pace counts today's new ones too, so it is stable through the day.
    assert (eager.needed_per_day, eager.new_per_day, eager.new_today) == (11, 20, 16)
    over = make_plan(
        today=TODAY,
        interview_day=TODAY - timedelta(days=1),
        unseen=10,
        new_today_done=0,
        profile_new_per_day=20,
        reviews_today=3,
    )
    assert (over.new_per_day, over.new_today) == (0, 0)


def test_a_card_forgotten_before_the_day_is_due_k_days_before_it() -> None:
    scheduler = make_scheduler(fuzz=False)
    interview = interview_moment(TODAY + timedelta(days=30), UTC)
    # Due in 50 days: its retrievability on day 30 would be below 0.9.
    m = memory("q", stability=20.0, reviewed_days_ago=0.5, due_in_days=50)
    assert retrievability(scheduler, m, interview) < 0.9
    due = effective_due(scheduler, m, interview=interview, target=0.9, tz=UTC, now=NOW)
    assert due < m.due
    assert due < interview
    # A card already fine on the day, or no interview, keeps its date.
    safe = memory("q", stability=400.0, due_in_days=300)
    kept = effective_due(scheduler, safe, interview=interview, target=0.9, tz=UTC, now=NOW)
    assert kept == safe.due
    assert effective_due(scheduler, m, interview=None, target=0.9, tz=UTC, now=NOW) == m.due
    past = interview_moment(TODAY - timedelta(days=1), UTC)
    assert effective_due(scheduler, m, interview=past, target=0.9, tz=UTC, now=NOW) == m.due


@settings(max_examples=200, deadline=None)
@given(
    stability=st.floats(0.2, 200),
    days_to_interview=st.integers(2, 120),
    due_in=st.floats(0.5, 400),
    target=st.floats(0.7, 0.97),
    rating=st.sampled_from([Rating.Hard, Rating.Good, Rating.Easy]),
)
# Found by CI in a fresh clone: the one-review-a-day floor decides, and one Hard answer leaves the
# card at 0.93 on the day.
@example(stability=0.25, days_to_interview=2, due_in=1.0, target=0.9375, rating=Rating.Hard)
# Found by hypothesis on a developer machine: stability 1 falls below 0.97 within the day, so the
# rule's whole-day interval (at least 1) reviews it 1.5 days before the interview's noon, and
# one Hard answer leaves it at 0.957 there.
@example(stability=1.0, days_to_interview=3, due_in=2.0, target=0.96875, rating=Rating.Hard)
def test_a_right_answer_at_the_cut_due_date_keeps_the_card_at_target_on_the_day(
    stability: float, days_to_interview: int, due_in: float, target: float, rating: Rating
) -> None:
    """The rule's promise: review when it says, answer right, and the card's retrievability on
    the day is at least the target (a successful review never lowers stability)."""
    scheduler = make_scheduler(fuzz=False)
    interview = interview_moment(TODAY + timedelta(days=days_to_interview), UTC)
    m = memory("q", stability=stability, reviewed_days_ago=0.2, due_in_days=due_in)
    due = effective_due(scheduler, m, interview=interview, target=target, tz=UTC, now=NOW)
    assert due <= m.due
    if due >= interview:
        assert retrievability(scheduler, m, interview) >= target - 1e-9
        return
    if due == m.due:
        return  # the scheduler's own review comes first; the rule applies again after it
    card, _ = scheduler.review_card(m.to_card(), rating, review_datetime=max(due, NOW))
    after = Memory(
        "q",
        "t",
        int(card.state),
        card.step,
        card.stability,
        card.difficulty,
        card.due,
        card.last_review,
    )
    assert m.last_review is not None
    if due == m.last_review + timedelta(days=1) or _days_at(scheduler, stability, target) < 1:
        # At most one review a day: a card this short-lived (stability 0.25 with the interview
        # two days off; or one that drops below the target within a day, whose interval the
        # rule rounds up to one whole day) may not reach the target on the day from one review.
        # The promise is then that the rule brings it back again before the interview.
        if retrievability(scheduler, after, interview) < target - 1e-9:
            again = effective_due(
                scheduler, after, interview=interview, target=target, tz=UTC, now=max(due, NOW)
            )
            assert again < interview
        return
    assert retrievability(scheduler, after, interview) >= target - 1e-9


def _days_at(scheduler: Scheduler, stability: float, target: float) -> float:
    """Days until retrievability falls to `target` (FSRS's forgetting curve, unrounded)."""
    decay = -scheduler.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    return float(stability / factor * (target ** (1 / decay) - 1))


def test_forecast_on_the_day_is_the_cards_retrievability_and_unseen_count_as_zero() -> None:
    scheduler = make_scheduler(fuzz=False)
    day = TODAY + timedelta(days=20)
    memories = [
        memory("a1", topic="autograd", stability=3.0, reviewed_days_ago=2),
        memory("a2", topic="autograd", stability=40.0, reviewed_days_ago=5),
        memory("s1", topic="shapes", stability=9.0, reviewed_days_ago=1, first_day=TODAY),
    ]
    focus = [
        ("a1", "autograd"),
        ("a2", "autograd"),
        ("a3", "autograd"),
        ("s1", "shapes"),
        ("s2", "shapes"),
    ]
    ready = forecast(
        scheduler=scheduler,
        memories=memories,
        focus=focus,
        now=NOW,
        tz=UTC,
        interview_day=day,
        target=0.9,
        profile_new_per_day=2,
    )
    moment = interview_moment(day, UTC)
    r_day = {m.question_id: retrievability(scheduler, m, moment) for m in memories}
    r_now = {m.question_id: retrievability(scheduler, m, NOW) for m in memories}
    assert ready.on_the_day == pytest.approx(sum(r_day.values()) / 5)
    assert ready.today == pytest.approx(sum(r_now.values()) / 5)
    autograd = next(t for t in ready.by_topic if t.topic == "autograd")
    assert autograd.on_the_day == pytest.approx((r_day["a1"] + r_day["a2"]) / 3)
    assert (autograd.questions, autograd.seen) == (3, 2)
    assert ready.below_target == sum(1 for r in r_day.values() if r < 0.9)
    # Following the plan beats stopping now, and the curve ends on the forecast for the day.
    assert ready.at_pace > ready.on_the_day
    assert ready.curve[0].day == TODAY and ready.curve[-1].day == day
    assert ready.curve[-1].share == pytest.approx(ready.at_pace)
    assert 0.0 <= min(p.share for p in ready.curve) <= max(p.share for p in ready.curve) <= 1.0
    # One new question was taken today (s1), the pace is max(ceil(3 + 1 / 19), 2) = 2.
    assert (ready.plan.unseen, ready.plan.new_per_day, ready.plan.new_today) == (2, 2, 1)
    assert ready.headline().startswith(f"ready {ready.today:.0%} today, ")
    assert ready.countdown().startswith("20 days to the interview")
    data = ready.to_json()
    assert data["interview_date"] == day.isoformat()
    assert {"today", "on_the_day", "at_pace", "by_topic", "curve", "plan"} <= set(data)


def test_the_projection_is_deterministic() -> None:
    scheduler = make_scheduler(fuzz=False)
    args = {
        "scheduler": scheduler,
        "memories": [memory("a", stability=2.0)],
        "focus": [("a", "shapes"), ("b", "shapes")],
        "now": NOW,
        "tz": UTC,
        "interview_day": TODAY + timedelta(days=9),
        "target": 0.9,
        "profile_new_per_day": 1,
    }
    assert forecast(**args) == forecast(**args)  # type: ignore[arg-type]


def answer(qid: str, day: date, correct: bool, topic: str = "shapes") -> LoggedAnswer:
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    return LoggedAnswer(qid, topic, at, day, correct)


def test_true_retention_counts_reviews_a_day_apart_and_splits_mature_from_young() -> None:
    log = [
        answer("q", TODAY - timedelta(days=60), True),
        answer("q", TODAY - timedelta(days=29), True),  # mature (gap 31): in the 30 and 365 days
        answer("q", TODAY - timedelta(days=3), False),  # mature (gap 26): in every window
        answer("q", TODAY - timedelta(days=3), True),  # same day: not a review
        answer("r", TODAY - timedelta(days=5), True, topic="modes"),
        answer("r", TODAY - timedelta(days=1), True, topic="modes"),  # young review (gap 4)
    ]
    week, month, year = true_retention(log, TODAY)
    assert (week.days, month.days, year.days) == (7, 30, 365)
    assert (week.mature.reviews, week.mature.right) == (1, 0)
    assert (week.young.reviews, week.young.right) == (1, 1)
    assert (month.mature.reviews, month.mature.right) == (2, 1)
    assert month.mature.retention == 0.5
    assert month.by_topic["modes"][ReviewKind.YOUNG.value].retention == 1.0
    assert year.mature.reviews == 2
    assert true_retention([], TODAY)[0].mature.retention is None


def test_memory_distribution_buckets_stability_and_interval() -> None:
    cards = [
        memory("a", stability=0.5, reviewed_days_ago=0, due_in_days=0.5),
        memory("b", stability=10.0, reviewed_days_ago=0, due_in_days=10),
        memory("c", stability=100.0, reviewed_days_ago=0, due_in_days=120),
        Memory("d", "t", int(State.Learning), 0, None, None, NOW, None),
    ]
    buckets = memory_distribution(cards)
    assert [b.stability for b in buckets] == [1, 0, 0, 1, 0, 1]
    assert [b.interval for b in buckets] == [1, 0, 0, 1, 0, 1]
    assert sum(b.stability for b in buckets) == 3  # the never-reviewed card has no stability


def test_start_of_day_and_moment_order() -> None:
    day = date(2027, 3, 1)
    assert start_of_day(day, UTC) < interview_moment(day, UTC)
    assert math.isclose((interview_moment(day, UTC) - start_of_day(day, UTC)).seconds, 12 * 3600)


@pytest.mark.parametrize(
    ("text", "expected"), [("2027-01-15", date(2027, 1, 15)), ("  ", None), ("", None)]
)
def test_interview_dates_as_typed(text: str, expected: date | None) -> None:
    from quizapp.readiness import parse_interview_date

    assert parse_interview_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("0.9", 0.9), ("90%", 0.9), ("95", 0.95), (" 0.5 ", 0.5)]
)
def test_target_retention_as_typed(text: str, expected: float) -> None:
    from quizapp.readiness import parse_target_retention

    assert parse_target_retention(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["15/01/2027", "tomorrow", "2027-13-01"])
def test_bad_interview_dates_say_how_to_write_one(text: str) -> None:
    from quizapp.readiness import parse_interview_date

    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_interview_date(text)


@pytest.mark.parametrize("text", ["1", "100%", "0.2", "nan", "abc", "-0.9"])
def test_bad_targets_say_what_is_allowed(text: str) -> None:
    from quizapp.readiness import parse_target_retention

    with pytest.raises(ValueError, match=r"target retention|not a number"):
        parse_target_retention(text)
