"""The progress service: profiles, recording, the queue, statistics, export/import, reset."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from progress_helpers import make_question, result
from sqlalchemy import select

from quizapp.bank.models import Misconception
from quizapp.grading.types import GradeStatus, MisconceptionMatch, MisconceptionSource
from quizapp.progress import ProgressService
from quizapp.scheduling import LEECH_LAPSES, Rating, State
from quizapp.stats import ACTIVITY_DAYS, FORECAST_DAYS
from quizapp.store import StoreError, UnknownUser, UserExists, open_store
from quizapp.store.models import Attempt, QuestionSeen

SHAPES = [make_question(f"shapes.q{i}", "shapes") for i in range(4)]
GRADS = [make_question(f"autograd.q{i}", "autograd", kind="value") for i in range(3)]
BANK = SHAPES + GRADS


def record(
    service: ProgressService,
    q,
    status=GradeStatus.CORRECT,
    *,
    user="ann",
    latency=30.0,
    hints=0,
    **kw,
):  # type: ignore[no-untyped-def]
    return service.record_attempt(
        user, q, result(q, status, **kw), answer="(1, 2)", latency_s=latency, hints_used=hints
    )


def _attempts(service: ProgressService) -> list[Attempt]:
    with service.store.session() as s:
        return list(s.execute(select(Attempt).order_by(Attempt.id)).scalars())


# -- profiles -------------------------------------------------------------------------------------


def test_profiles_can_be_added_listed_renamed_and_removed(service: ProgressService) -> None:
    assert service.list_users() == []
    service.add_user("ann")
    service.add_user("  bob ")
    assert [u.name for u in service.list_users()] == ["ann", "bob"]
    with pytest.raises(UserExists, match="'ann' already exists"):
        service.add_user("ann")
    with pytest.raises(ValueError, match="empty"):
        service.add_user("   ")
    record(service, SHAPES[0], user="bob")
    service.rename_user("bob", "rob")
    info = service.get_user("rob")
    assert info.attempts == 1 and info.last_active == date(2026, 3, 10)
    with pytest.raises(UserExists):
        service.rename_user("rob", "ann")
    assert service.remove_user("rob") == 1
    assert [u.name for u in service.list_users()] == ["ann"]
    assert _attempts(service) == []


def test_unknown_user_message_names_the_profiles(service: ProgressService) -> None:
    service.add_user("ann")
    service.add_user("bob")
    with pytest.raises(
        UnknownUser, match=r"no profile named 'zed' \(existing profiles: ann, bob\)"
    ):
        service.get_user("zed")
    with pytest.raises(StoreError, match=r"several profiles exist \(ann, bob\).*--user"):
        service.resolve_user(None)
    assert service.resolve_user("bob") == "bob"


def test_the_only_profile_is_the_default(service: ProgressService) -> None:
    with pytest.raises(StoreError, match="no profiles yet"):
        service.resolve_user(None)
    service.add_user("ann")
    assert service.resolve_user(None) == "ann"


# -- recording ------------------------------------------------------------------------------------


def test_record_attempt_logs_everything_and_updates_the_card(
    service: ProgressService, clock
) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    session_id = service.start_session("ann", "review", "shapes")
    q = SHAPES[0]
    r = result(q, seed=4242, device="cuda", torch_version="2.13.0+cu128")
    rec = service.record_attempt(
        "ann", q, r, answer="(1,2)", latency_s=3.5, hints_used=0, session_id=session_id
    )
    assert rec is not None
    assert rec.was_new and rec.correct and rec.rating == Rating.Easy and rec.reps == 1
    assert rec.due_at > clock.now
    service.end_session(session_id)
    (row,) = _attempts(service)
    assert (row.seed, row.answer, row.status, row.correct, row.rating) == (
        4242,
        "(1,2)",
        "correct",
        True,
        int(Rating.Easy),
    )
    assert (row.device, row.torch_version, row.latency_s, row.hints_used) == (
        "cuda",
        "2.13.0+cu128",
        3.5,
        0,
    )
    assert row.answered_at == clock.now and row.answered_at.tzinfo is UTC
    assert row.answered_day == date(2026, 3, 10)
    assert row.session_id == session_id and row.topic == "shapes" and row.kind == "shape"
    clock.advance(minutes=5)
    again = record(service, q, GradeStatus.INCORRECT)
    assert (
        again is not None and again.rating == Rating.Again and again.reps == 2 and not again.was_new
    )


@pytest.mark.parametrize(
    "status", [GradeStatus.INVALID, GradeStatus.ERROR], ids=["unparseable", "question-failed"]
)
def test_results_that_do_not_count_are_not_recorded(
    service: ProgressService, status: GradeStatus
) -> None:
    service.add_user("ann")
    assert record(service, SHAPES[0], status) is None
    assert _attempts(service) == []
    assert service.stats("ann").totals.questions_seen == 0


def test_result_for_another_question_is_refused(service: ProgressService) -> None:
    service.add_user("ann")
    with pytest.raises(ValueError, match=r"not 'shapes\.q1'"):
        service.record_attempt(
            "ann", SHAPES[1], result(SHAPES[0]), answer="x", latency_s=1, hints_used=0
        )


def test_recording_for_an_unknown_user_fails_clearly(service: ProgressService) -> None:
    with pytest.raises(UnknownUser):
        record(service, SHAPES[0], user="ghost")


def test_an_edited_question_keeps_its_progress_and_is_flagged(service: ProgressService) -> None:
    service.add_user("ann")
    record(service, SHAPES[0])
    edited = make_question(SHAPES[0].id, "shapes", prompt="a clearer prompt")
    assert edited.content_hash() != SHAPES[0].content_hash()
    stats = service.stats("ann", questions=[edited])
    assert stats.changed == [edited.id] and stats.totals.questions_seen == 1
    queue = service.next_questions("ann", questions=[edited], mode="drill")
    assert queue[0].changed
    rec = record(service, edited)
    assert rec is not None and rec.reps == 2  # same card
    with service.store.session() as s:
        seen = s.get(QuestionSeen, edited.id)
        assert (
            seen is not None and seen.flagged_changed and seen.content_hash == edited.content_hash()
        )
    assert service.stats("ann", questions=[edited]).changed == []


def test_leech_flag_after_many_lapses(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    q = SHAPES[0]
    rec = record(service, q, latency=1.0)  # Easy: graduates to Review
    assert rec is not None and rec.state == State.Review
    for _ in range(LEECH_LAPSES):
        clock.now = rec.due_at
        rec = record(service, q, GradeStatus.INCORRECT)
        assert rec is not None
        while rec.state != State.Review:
            clock.now = rec.due_at
            rec = record(service, q)
            assert rec is not None
    assert rec.lapses == LEECH_LAPSES and rec.leech
    stats = service.stats("ann", questions=BANK)
    assert stats.leeches == 1 and stats.weakest[0].leech


# -- queue ----------------------------------------------------------------------------------------


def test_queue_respects_the_daily_new_limit(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann", new_per_day=2)
    first = service.next_questions("ann", questions=BANK, mode="mixed")
    # New questions come in curriculum order: topics interleave (quizapp.practice.curriculum).
    assert [(i.question_id, i.reason) for i in first] == [
        ("shapes.q0", "new"),
        ("autograd.q0", "new"),
    ]
    for item in first:
        record(service, next(q for q in BANK if q.id == item.question_id))
    assert service.next_questions("ann", questions=BANK, mode="learn") == []
    clock.advance(days=1)
    tomorrow = service.next_questions("ann", questions=BANK, mode="learn")
    assert [i.question_id for i in tomorrow] == ["shapes.q1", "autograd.q1"]
    in_topic = service.next_questions("ann", questions=BANK, mode="learn", topic="autograd")
    assert [i.question_id for i in in_topic] == ["autograd.q1", "autograd.q2"]


def test_a_wrong_answer_comes_back_soon(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    record(service, SHAPES[0], GradeStatus.INCORRECT)
    record(service, SHAPES[1], latency=1.0)  # Easy: next due in days
    clock.advance(minutes=30)
    due = service.next_questions("ann", questions=BANK, mode="review")
    assert [(i.question_id, i.reason) for i in due] == [("shapes.q0", "due")]


# -- statistics -----------------------------------------------------------------------------------


def test_stats_totals_topics_streaks_activity_forecast(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    start = clock.now
    # Days 0, 1, 2 (a 3-day run), then a gap, then days 5 and 6 (today).
    for day in (0, 1, 2, 5, 6):
        clock.now = start + timedelta(days=day)
        record(service, SHAPES[day % 4], latency=10.0)
        record(service, GRADS[0], GradeStatus.INCORRECT, latency=20.0)
    stats = service.stats("ann", questions=BANK)
    assert stats.today == date(2026, 3, 16)
    assert stats.totals.attempts == 10 and stats.totals.correct == 5
    assert stats.totals.accuracy == 0.5 and stats.totals.time_spent_s == 150.0
    assert stats.totals.questions_seen == 4
    assert (stats.current_streak, stats.longest_streak) == (2, 3)
    assert len(stats.activity) == ACTIVITY_DAYS and stats.activity[-1].day == stats.today
    assert stats.activity[-1].attempts == 2 and stats.activity[-3].attempts == 0
    assert sum(d.attempts for d in stats.activity) == 10
    topics = {t.topic: t for t in stats.topics}
    assert (topics["shapes"].questions, topics["shapes"].seen, topics["shapes"].accuracy) == (
        4,
        3,
        1.0,
    )
    assert (topics["autograd"].attempts, topics["autograd"].accuracy) == (5, 0.0)
    assert len(stats.due_forecast) == FORECAST_DAYS and stats.due_forecast[0].day == stats.today
    assert sum(d.due for d in stats.due_forecast) <= 4
    assert stats.due_today == stats.due_forecast[0].due >= 1  # autograd.q0 keeps failing
    assert stats.weakest[0].question_id == "autograd.q0" and stats.weakest[0].accuracy == 0.0
    assert stats.weakest[0].median_latency_s == 20.0
    assert stats.median_latency_s == 15.0
    assert stats.new_today == 0 and stats.new_per_day == 20
    json.dumps(stats.to_json())  # plain data all the way down


def test_current_streak_stands_until_a_day_is_missed(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    record(service, SHAPES[0])
    clock.advance(days=1)
    assert service.stats("ann").current_streak == 1  # yesterday counts until today ends
    clock.advance(days=1)
    assert service.stats("ann").current_streak == 0


def test_mastery_is_the_share_of_mature_review_cards(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    q = SHAPES[0]
    rec = record(service, q, latency=1.0)
    while rec is not None and rec.due_at - clock.now < timedelta(days=21):
        clock.now = rec.due_at
        rec = record(service, q, latency=1.0)
    shapes = next(t for t in service.stats("ann", questions=BANK).topics if t.topic == "shapes")
    assert shapes.mastered == 1 and shapes.mastery == 0.25


def test_stats_without_a_bank_use_recorded_topics(service: ProgressService) -> None:
    service.add_user("ann")
    record(service, SHAPES[0])
    record(service, GRADS[1])
    stats = service.stats("ann")
    assert [(t.topic, t.questions, t.seen) for t in stats.topics] == [
        ("autograd", 1, 1),
        ("shapes", 1, 1),
    ]


def test_empty_profile_has_empty_stats(service: ProgressService) -> None:
    service.add_user("ann")
    stats = service.stats("ann", questions=BANK)
    assert stats.totals.attempts == 0 and stats.totals.accuracy is None
    assert stats.median_latency_s is None and stats.weakest == []
    assert (stats.current_streak, stats.longest_streak) == (0, 0)


def test_study_day_is_the_local_date(tmp_path: Path) -> None:
    la = ZoneInfo("America/Los_Angeles")
    moment = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 22:00 on the 9th in Los Angeles
    svc = ProgressService(open_store(str(tmp_path / "tz.sqlite3")), clock=lambda: moment, tz=la)
    svc.add_user("ann")
    rec = record(svc, SHAPES[0])
    assert rec is not None and rec.answered_day == date(2026, 3, 9)
    assert svc.stats("ann").activity[-1].day == date(2026, 3, 9)
    svc.close()


# -- export / import / reset ----------------------------------------------------------------------


def _fill(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    sid = service.start_session("ann", "drill", "shapes")
    for i in range(12):
        clock.advance(hours=7)
        q = BANK[i % len(BANK)]
        service.record_attempt(
            "ann",
            q,
            result(q, GradeStatus.CORRECT if i % 3 else GradeStatus.INCORRECT, seed=i * 7919),
            answer=f"answer {i} ünïcode",
            latency_s=0.1 + i / 3,
            hints_used=i % 2,
            session_id=sid if i < 6 else None,
        )
    service.end_session(sid)


def test_export_import_round_trips_exactly(service: ProgressService, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _fill(service, clock)
    exported = service.export_user("ann")
    text = json.dumps(exported, sort_keys=True)
    other = ProgressService(open_store(str(tmp_path / "other.sqlite3")), clock=clock, tz=UTC)
    summary = other.import_data(json.loads(text))
    assert summary.created_user and summary.attempts_added == 12 and summary.sessions_added == 1
    assert json.dumps(other.export_user("ann"), sort_keys=True) == text
    assert other.stats("ann", questions=BANK) == service.stats("ann", questions=BANK)
    # Importing again merges: nothing is duplicated.
    again = other.import_data(json.loads(text))
    assert not again.created_user and again.attempts_added == 0 and again.attempts_skipped == 12
    assert json.dumps(other.export_user("ann"), sort_keys=True) == text
    other.close()


def test_import_as_another_profile(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    _fill(service, clock)
    data = service.export_user("ann")
    summary = service.import_data(data, as_user="ann2")
    assert summary.user == "ann2" and summary.created_user
    copy = service.export_user("ann2")
    copy["user"]["name"] = "ann"
    assert copy == data


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="something"), "not a quizapp progress export"),
        (lambda d: d.update(version=99), "unsupported export version 99"),
        (lambda d: d["attempts"][0].update(rating=7), r"damaged: attempts\.0\.rating"),
        (lambda d: d["attempts"][0].update(answered_at="2026-01-01T00:00:00"), "damaged"),
        (lambda d: d.update(questions=[]), "damaged: unknown questions"),
    ],
)
def test_damaged_exports_are_refused_and_change_nothing(
    service: ProgressService, clock, mutate, message
) -> None:  # type: ignore[no-untyped-def]
    _fill(service, clock)
    data = service.export_user("ann")
    service.remove_user("ann")
    mutate(data)
    with pytest.raises(StoreError, match=message):
        service.import_data(data)
    assert service.list_users() == []


def test_reset_forgets_schedules_but_keeps_the_log(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    _fill(service, clock)
    before = service.stats("ann", questions=BANK)
    assert service.reset("ann", question_id="shapes.q0") == 1
    assert service.count_cards("ann", topic="autograd") == 3
    assert service.reset("ann", topic="autograd") == 3
    after = service.stats("ann", questions=BANK)
    assert after.totals.attempts == before.totals.attempts
    assert after.totals.questions_seen == before.totals.questions_seen - 4
    new = service.next_questions("ann", questions=BANK, mode="learn", limit=10)
    assert {"shapes.q0", "autograd.q0"} <= {i.question_id for i in new}
    assert service.reset("ann") == 3
    assert service.stats("ann").totals.questions_seen == 0


def _daily_totals_match_the_log(service: ProgressService, user: str) -> None:
    from quizapp.store import repository as repo

    with service.store.read() as conn:
        uid = repo.user_id(conn, user)
        kept = sorted(
            (repo.as_date(d), t, n, c, round(s, 9))
            for d, t, n, c, s in conn.execute(repo.daily_topic_totals(uid))
        )
        from_log = sorted(
            (repo.as_date(d), t, n, c, round(s, 9))
            for d, t, n, c, s in conn.execute(repo.daily_totals_from_log(uid))
        )
    assert kept == from_log and kept


def test_daily_totals_stay_equal_to_the_log(
    service: ProgressService, clock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _fill(service, clock)
    _daily_totals_match_the_log(service, "ann")
    data = service.export_user("ann")
    other = ProgressService(open_store(str(tmp_path / "o.sqlite3")), clock=clock, tz=UTC)
    other.import_data(data)
    _daily_totals_match_the_log(other, "ann")
    other.close()
    service.remove_user("ann")
    with service.store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM daily_totals").scalar() == 0


def test_an_unknown_session_id_does_not_cost_the_answer(service: ProgressService) -> None:
    service.add_user("ann")
    service.add_user("bob")
    bobs = service.start_session("bob", "learn")
    for sid in (bobs, 987654):
        rec = service.record_attempt(
            "ann",
            SHAPES[0],
            result(SHAPES[0]),
            answer="x",
            latency_s=1,
            hints_used=0,
            session_id=sid,
        )
        assert rec is not None
    assert [a.session_id for a in _attempts(service)] == [None, None]


# -- misconceptions ------------------------------------------------------------------------------

LINEAR = make_question(
    "shapes.linear",
    misconceptions=(
        Misconception(name="transposed-weight", summary="Takes W to be (in, out)", answer="1"),
    ),
)
TRANSPOSED = MisconceptionMatch("transposed-weight", "s", MisconceptionSource.AUTHORED)
SCALED = MisconceptionMatch("scaled", "Off by a factor of 2", MisconceptionSource.AUTOMATIC)


def test_a_diagnosed_wrong_answer_keeps_its_misconception(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    record(service, LINEAR, GradeStatus.INCORRECT, misconception=TRANSPOSED)
    record(service, LINEAR, GradeStatus.INCORRECT)
    rows = _attempts(service)
    assert [(a.misconception, a.misconception_source) for a in rows] == [
        ("transposed-weight", "authored"),
        (None, None),
    ]


def test_stats_list_recurring_misconceptions(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    service.add_user("bob")
    record(service, LINEAR, GradeStatus.INCORRECT, misconception=TRANSPOSED)
    clock.advance(days=1)
    record(service, GRADS[0], GradeStatus.INCORRECT, misconception=SCALED)
    clock.advance(days=1)
    record(service, LINEAR, GradeStatus.INCORRECT, misconception=TRANSPOSED)
    record(service, GRADS[1], GradeStatus.INCORRECT, misconception=SCALED)
    record(service, GRADS[1], GradeStatus.INCORRECT, misconception=SCALED)
    record(service, GRADS[1], GradeStatus.INCORRECT, misconception=SCALED, user="bob")
    stats = service.stats("ann", questions=[*BANK, LINEAR])
    listed = [(m.name, m.source, m.count, m.questions) for m in stats.misconceptions]
    assert listed == [
        ("scaled", "automatic", 3, ["autograd.q0", "autograd.q1"]),
        ("transposed-weight", "authored", 2, ["shapes.linear"]),
    ]
    assert stats.misconceptions[1].summary == "Takes W to be (in, out)"  # from the bank
    assert stats.misconceptions[0].summary.startswith("Off by a constant factor")
    assert stats.misconceptions[0].last_seen == clock.now
    data = stats.to_json()["misconceptions"]
    assert data[0]["name"] == "scaled" and data[0]["last_seen"] == clock.now.isoformat()
    json.dumps(data)


def test_stats_name_questions_by_title_not_id(service: ProgressService, clock) -> None:  # type: ignore[no-untyped-def]
    # Ids are author handles that often name the trap (`fix-td-target-detach`): what the stats
    # screen lists is the bank's title, and the id only for a question the bank no longer has.
    titled = make_question(
        "shapes.linear-transposed-weight",
        title="A Linear layer's weight",
        misconceptions=LINEAR.misconceptions,
    )
    gone = make_question("shapes.removed-since")
    service.add_user("ann")
    record(service, titled, GradeStatus.INCORRECT, misconception=TRANSPOSED)
    record(service, gone, GradeStatus.INCORRECT)
    stats = service.stats("ann", questions=[*BANK, titled])
    assert [(w.question_id, w.title) for w in stats.weakest] == [
        ("shapes.linear-transposed-weight", "A Linear layer's weight"),
        ("shapes.removed-since", "shapes.removed-since"),
    ]
    assert stats.misconceptions[0].titles == ["A Linear layer's weight"]
    assert stats.misconceptions[0].questions == ["shapes.linear-transposed-weight"]


def test_misconceptions_survive_export_and_import(
    service: ProgressService, clock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    service.add_user("ann")
    record(service, LINEAR, GradeStatus.INCORRECT, misconception=TRANSPOSED)
    exported = service.export_user("ann")
    assert exported["attempts"][0]["misconception"] == "transposed-weight"
    assert exported["attempts"][0]["misconception_source"] == "authored"
    other = ProgressService(open_store(str(tmp_path / "other.sqlite3")), clock=clock, tz=UTC)
    other.import_data(exported)
    assert other.export_user("ann") == exported
    # an export from before 0004 has no such fields, and imports as undiagnosed
    for attempt in exported["attempts"]:
        del attempt["misconception"], attempt["misconception_source"]
    third = ProgressService(open_store(str(tmp_path / "third.sqlite3")), clock=clock, tz=UTC)
    third.import_data(exported)
    assert third.stats("ann").misconceptions == []
    other.close()
    third.close()


def test_settings_are_kept_per_profile(service: ProgressService) -> None:
    service.add_user("ann")
    service.add_user("bob")
    assert service.settings("ann").new_per_day == 20
    assert service.settings("ann").focus_topics == () and service.settings("ann").theme is None
    after = service.update_settings(
        "ann", new_per_day=7, focus_topics=["shapes", " modes ", "shapes", ""], theme="nord"
    )
    assert after.new_per_day == 7
    assert after.focus_topics == ("shapes", "modes")  # cleaned, duplicates dropped, order kept
    assert after.theme == "nord"
    assert service.settings("bob") == service.settings("bob").__class__()  # untouched
    # None leaves a setting as it is; [] clears the focus; clear_theme the theme.
    assert service.update_settings("ann", new_per_day=3).focus_topics == ("shapes", "modes")
    cleared = service.update_settings("ann", focus_topics=[], clear_theme=True)
    assert cleared.focus_topics == () and cleared.theme is None and cleared.new_per_day == 3
    assert service.get_user("ann").settings == cleared


def test_settings_refuse_what_the_store_cannot_keep(service: ProgressService) -> None:
    service.add_user("ann")
    with pytest.raises(ValueError, match="negative"):
        service.update_settings("ann", new_per_day=-1)
    with pytest.raises(ValueError, match="commas"):
        service.update_settings("ann", focus_topics=["a,b"])
    with pytest.raises(ValueError, match="theme"):
        service.update_settings("ann", theme="x" * 65)
    with pytest.raises(UnknownUser):
        service.update_settings("nobody", new_per_day=3)
    assert service.settings("ann").new_per_day == 20  # nothing half-written
