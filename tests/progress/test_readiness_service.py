"""Readiness through the progress service: settings persisted, the profile's scheduler, the plan
followed by the queue, the forecast equal to the cards' retrievability, parameters that
reschedule."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS
from progress_helpers import make_question, result
from readiness_helpers import make_bank, practise

from quizapp import fitting
from quizapp.progress import ProgressService
from quizapp.readiness import interview_moment, make_scheduler, retrievability
from quizapp.store import UnknownUser


def test_interview_date_and_target_are_kept_per_profile(service: ProgressService) -> None:
    service.add_user("ann")
    service.add_user("bob")
    settings = service.readiness_settings("ann")
    assert (settings.interview_date, settings.target_retention, settings.parameters) == (
        None,
        0.9,
        None,
    )
    day = service.today() + timedelta(days=40)
    service.set_interview("ann", day)
    service.set_target_retention("ann", 0.85)
    assert service.readiness_settings("ann").interview_date == day
    assert service.readiness_settings("ann").target_retention == 0.85
    assert service.readiness_settings("bob").interview_date is None
    service.set_interview("ann", None)
    assert service.readiness_settings("ann").interview_date is None
    with pytest.raises(ValueError, match="target retention"):
        service.set_target_retention("ann", 1.0)
    with pytest.raises(UnknownUser):
        service.set_interview("nobody", day)


def test_export_and_import_carry_the_readiness_settings(service: ProgressService) -> None:
    service.add_user("ann")
    day = service.today() + timedelta(days=9)
    service.set_interview("ann", day)
    service.set_target_retention("ann", 0.8)
    data = service.export_user("ann")
    service.import_data(data, as_user="copy")
    assert service.readiness_settings("copy").interview_date == day
    assert service.readiness_settings("copy").target_retention == 0.8


def test_no_interview_means_no_readiness(service: ProgressService) -> None:
    service.add_user("ann")
    assert service.readiness("ann", questions=make_bank(5)) is None
    assert service.readiness_plan("ann", questions=make_bank(5)) is None
    assert service.trusted_stats("ann", questions=make_bank(5)).to_json()["readiness"] is None


def test_readiness_matches_the_cards_retrievability(service: ProgressService, clock: Any) -> None:
    service.add_user("ann")
    bank = make_bank(30)
    practise(service, clock, "ann", bank[:20], days=12)
    day = service.today() + timedelta(days=25)
    service.set_interview("ann", day)
    ready = service.readiness("ann", questions=bank)
    assert ready is not None
    scheduler = make_scheduler(fuzz=False)
    moment = interview_moment(day, service.tz)
    from quizapp.store import repository as repo

    with service.store.read() as conn:
        memories = service._memories(conn, repo.user_id(conn, "ann"))
    expected_day = sum(retrievability(scheduler, m, moment) for m in memories) / len(bank)
    expected_now = sum(retrievability(scheduler, m, clock.now) for m in memories) / len(bank)
    assert ready.on_the_day == pytest.approx(expected_day)
    assert ready.today == pytest.approx(expected_now)
    assert ready.seen == 20 and ready.questions == 30
    assert ready.plan.unseen == 10
    assert ready.at_pace > ready.on_the_day
    # Focus topics narrow what readiness counts.
    service.update_settings("ann", focus_topics=["shapes"])
    focused = service.readiness("ann", questions=bank)
    assert focused is not None
    assert [t.topic for t in focused.by_topic] == ["shapes"]


def test_learn_follows_the_plan_pace(service: ProgressService) -> None:
    service.add_user("ann")
    service.set_new_per_day("ann", 2)
    bank = make_bank(60)
    assert len(service.next_questions("ann", questions=bank, mode="learn", limit=50)) == 2
    # 60 unseen, 11 days left: new questions until 2 days before, i.e. ceil(60 / 10) = 6 a day.
    service.set_interview("ann", service.today() + timedelta(days=11))
    plan = service.readiness_plan("ann", questions=bank)
    assert plan is not None
    assert (plan.needed_per_day, plan.new_today) == (6, 6)
    assert len(service.next_questions("ann", questions=bank, mode="learn", limit=50)) == 6
    # What a round planner applies: the plan's pace (and cut due dates, none yet).
    follow = service.interview_adjustments("ann", questions=bank)
    assert (follow.new_per_day, follow.due) == (6, {})
    service.set_interview("ann", None)
    assert service.interview_adjustments("ann", questions=bank).new_per_day is None


def test_home_new_figure_is_what_learn_would_serve(service: ProgressService) -> None:
    """Stats.new_left_today (home's "N new to learn") agrees with the Learn round: the plan's
    pace with an interview, and never more than the questions left."""
    service.add_user("ann")
    service.set_new_per_day("ann", 2)
    bank = make_bank(60)

    def learn() -> int:
        return len(service.next_questions("ann", questions=bank, mode="learn", limit=50))

    assert service.stats("ann", questions=bank).new_left_today == learn() == 2
    service.set_interview("ann", service.today() + timedelta(days=11))
    shown = service.stats("ann", questions=bank)
    assert (shown.new_left_today, shown.new_per_day) == (learn(), 6)
    service.set_interview("ann", None)
    service.set_new_per_day("ann", 20)
    small = bank[:3]  # fewer questions left than the day allows
    assert service.stats("ann", questions=bank, playable=small).new_left_today == 3
    for q in small:
        service.record_attempt("ann", q, result(q), answer="x", latency_s=5, hints_used=0)
    assert service.stats("ann", questions=bank, playable=small).new_left_today == 0
    assert len(service.next_questions("ann", questions=small, mode="learn", limit=50)) == 0


def test_a_review_that_would_fall_after_the_day_is_cut_to_land_before_it(
    service: ProgressService, clock: Any
) -> None:
    q = make_question("shapes.q")
    start = clock.now

    def history(user: str) -> datetime:
        clock.now = start
        for _ in range(4):  # learning, then good reviews a day apart: a long next interval
            record = service.record_attempt(
                user, q, result(q), answer="x", latency_s=30, hints_used=0
            )
            clock.advance(days=1)
        assert record is not None
        return record.due_at

    service.add_user("ann")
    free_due = history("ann")
    last = clock.now - timedelta(days=1)
    assert free_due - last > timedelta(days=8)
    # Bob answers the same way, with an interview 6 days after his last answer and a high
    # target: the scheduler's date (past the interview) is pulled in before the day.
    service.add_user("bob")
    day = (last + timedelta(days=6)).date()
    service.set_interview("bob", day)
    service.set_target_retention("bob", 0.97)
    cut_due = history("bob")
    moment = interview_moment(day, service.tz)
    assert cut_due < moment < free_due
    assert cut_due > last
    # A target already met on the day cuts nothing.
    service.add_user("cyd")
    service.set_interview("cyd", day)
    service.set_target_retention("cyd", 0.6)
    assert history("cyd") == free_due


def test_fitted_parameters_drive_the_scheduler_and_reschedule_cards(
    service: ProgressService, clock: Any
) -> None:
    service.add_user("ann")
    bank = make_bank(12)
    practise(service, clock, "ann", bank, days=6)
    before = {
        c.question_id: c.due_at
        for c in service.next_questions("ann", questions=bank, mode="drill", limit=50)
    }
    params = list(DEFAULT_PARAMETERS)
    params[2] = params[2] * 4  # a much longer first interval after Good
    params[3] = params[3] * 4
    moved = service.set_fsrs_parameters("ann", params)
    assert moved > 0
    assert service.readiness_settings("ann").parameters == pytest.approx(tuple(params))
    after = {
        c.question_id: c.due_at
        for c in service.next_questions("ann", questions=bank, mode="drill", limit=50)
    }
    assert after != before
    # Back to the defaults: the same replay, so the original dates come back.
    service.set_fsrs_parameters("ann", None)
    again = {
        c.question_id: c.due_at
        for c in service.next_questions("ann", questions=bank, mode="drill", limit=50)
    }
    assert again == before
    with pytest.raises(ValueError, match="outside"):
        service.set_fsrs_parameters("ann", [1e9] * len(DEFAULT_PARAMETERS))


def test_damaged_stored_parameters_fall_back_to_the_defaults(service: ProgressService) -> None:
    service.add_user("ann")
    from sqlalchemy import update

    from quizapp.store.models import User

    with service.store.session() as s:
        s.execute(update(User).values(fsrs_parameters=json.dumps([1, 2, 3])))
    assert service.readiness_settings("ann").parameters is None
    q = make_question("q")
    assert service.record_attempt("ann", q, result(q), answer="x", latency_s=1, hints_used=0)


def test_trusted_stats_report_retention_memory_and_the_fit_distance(
    service: ProgressService, clock: Any
) -> None:
    service.add_user("ann")
    bank = make_bank(15)
    practise(service, clock, "ann", bank, days=20)
    service.set_interview("ann", service.today() + timedelta(days=10))
    trusted = service.trusted_stats("ann", questions=bank)
    data = trusted.to_json()
    assert set(data) == {"readiness", "retention", "memory", "optimizer"}
    assert set(data["retention"]) == {"7", "30", "365"}
    month = data["retention"]["30"]
    assert month["young"]["reviews"] > 0
    assert 0 <= month["young"]["right"] <= month["young"]["reviews"]
    assert sum(b["stability"] for b in data["memory"]) == 15
    histories = service.review_histories("ann")
    train, _test = fitting.split(histories)
    assert data["optimizer"]["reviews"] == fitting.countable_reviews(train)
    assert data["optimizer"]["needed"] == max(fitting.MIN_REVIEWS - data["optimizer"]["reviews"], 0)
    assert data["readiness"]["interview_date"] == (service.today() + timedelta(days=10)).isoformat()
    json.dumps(data)  # JSON-able throughout
