"""`quizapp users|stats|export|import|reset`: output, confirmations, and clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizapp.bank.models import Question
from quizapp.cli import cli
from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.progress import ProgressService
from quizapp.store import open_store


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("QUIZAPP_DB", raising=False)
    monkeypatch.setenv("QUIZAPP_BANK", str(tmp_path / "no-bank"))  # stats fall back to the log
    return str(tmp_path / "cli.sqlite3")


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def _practise(db: str, user: str = "ann", n: int = 6) -> None:
    service = ProgressService(open_store(db))
    if user not in [u.name for u in service.list_users()]:
        service.add_user(user)
    for i in range(n):
        q = Question(id=f"shapes.q{i % 3}", kind="shape", topic="shapes", prompt="p", answer="(1,)")
        status = GradeStatus.CORRECT if i % 2 else GradeStatus.INCORRECT
        r = GradeResult(question_id=q.id, seed=i, status=status, given="(1,)")
        service.record_attempt(user, q, r, answer="(1,)", latency_s=2.0 + i, hints_used=0)
    service.close()


def test_users_add_list_rename_remove(db: str) -> None:
    assert run("users", "--db", db) == (
        0,
        "No profiles yet. Create one with: quizapp users add NAME\n",
    )
    assert run("users", "add", "ann", "--db", db)[0] == 0
    assert run("--db", db, "users", "add", "bob")[0] == 0  # --db before the command works too
    code, out = run("users", "--db", db)
    assert code == 0 and "ann" in out and "bob" in out
    code, out = run("users", "--db", db, "add", "ann")
    assert code == 2 and "'ann' already exists" in out
    assert run("users", "rename", "bob", "rob", "--db", db)[0] == 0
    code, out = run("users", "remove", "rob", "--db", db, input="n\n")
    assert code == 1 and "Aborted" in out
    assert run("users", "remove", "rob", "--yes", "--db", db) == (
        0,
        "Removed profile 'rob' (0 attempt(s) deleted).\n",
    )
    code, out = run("users", "--json", "--db", db)
    assert [u["name"] for u in json.loads(out)] == ["ann"]


def test_stats_json_and_rich(db: str) -> None:
    _practise(db)
    code, out = run("stats", "--json", "--db", db)
    assert code == 0
    data = json.loads(out)
    assert data["user"] == "ann" and data["totals"]["attempts"] == 6
    assert len(data["activity"]) == 365 and data["topics"][0]["topic"] == "shapes"
    code, out = run("stats", "--db", db)
    assert code == 0
    assert "6 attempts, 50% right" in out and "Mon" in out and "■" in out and "Weakest" in out


def test_user_must_be_named_when_there_are_several(db: str) -> None:
    _practise(db, "ann", 1)
    _practise(db, "bob", 1)
    code, out = run("stats", "--db", db)
    assert code == 2 and "several profiles exist (ann, bob)" in out and "--user" in out
    assert run("stats", "--user", "bob", "--json", "--db", db)[0] == 0
    code, out = run("stats", "--user", "zed", "--db", db)
    assert code == 2 and "no profile named 'zed'" in out


def test_export_then_import_round_trips(db: str, tmp_path: Path) -> None:
    _practise(db)
    out_file = tmp_path / "ann.json"
    assert run("export", "--user", "ann", "-o", str(out_file), "--db", db)[0] == 0
    code, stdout = run("export", "--db", db)
    assert code == 0 and json.loads(stdout) == json.loads(out_file.read_text())
    other = str(tmp_path / "other.sqlite3")
    code, out = run("import", str(out_file), "--db", other)
    assert code == 0 and "Created profile 'ann': 6 attempt(s) added" in out
    code, again = run("export", "--db", other)
    assert again == stdout
    code, out = run("import", str(out_file), "--db", other)
    assert code == 0 and "0 attempt(s) added, 6 already present" in out


def test_import_refuses_bad_files(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, out = run("import", str(bad), "--db", db)
    assert code == 2 and "is not JSON" in out
    bad.write_text('{"hello": 1}')
    code, out = run("import", str(bad), "--db", db)
    assert code == 2 and "not a quizapp progress export" in out


def test_reset_asks_then_resets(db: str) -> None:
    _practise(db)
    code, out = run("reset", "--topic", "shapes", "--db", db, input="n\n")
    assert code == 1
    code, out = run("reset", "--question", "shapes.q0", "--db", db, input="y\n")
    assert code == 0 and "Reset 1 card(s)" in out
    code, out = run("reset", "--yes", "--db", db)
    assert code == 0 and "Reset 2 card(s)" in out
    code, out = run("reset", "--yes", "--db", db)
    assert code == 0 and "Nothing to reset" in out
    code, out = run("reset", "--question", "a", "--topic", "b", "--db", db)
    assert code == 2


def test_bad_db_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "thesis.sqlite3"
    garbage.write_bytes(b"my thesis" * 100)
    code, out = run("users", "--db", str(garbage))
    assert code == 2 and "not a SQLite database" in out and "Traceback" not in out
    assert garbage.read_bytes() == b"my thesis" * 100
    code, out = run("stats", "--db", "mysql://x/y")
    assert code == 2 and "unsupported database 'mysql'" in out


def test_progress_commands_do_not_import_torch(db: str) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from quizapp.cli import cli; "
        f"r = CliRunner().invoke(cli, ['stats', '--json', '--db', {db!r}]); "
        "print('torch' in sys.modules, r.exit_code)"
    )
    _practise(db, n=1)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "0"]


def test_utc_now_is_used(db: str) -> None:
    _practise(db, n=1)
    _, out = run("users", "--json", "--db", db)
    created = datetime.fromisoformat(json.loads(out)[0]["created_at"])
    assert created.tzinfo is not None and abs(datetime.now(UTC) - created).total_seconds() < 600


def test_stats_list_recurring_misconceptions(db: str) -> None:
    from quizapp.grading.types import MisconceptionMatch, MisconceptionSource

    service = ProgressService(open_store(db))
    service.add_user("ann")
    q = Question(id="shapes.lin", kind="shape", topic="shapes", prompt="p", answer="(1,)")
    flipped = MisconceptionMatch("transposed", "s", MisconceptionSource.AUTOMATIC)
    for seed in range(2):
        r = GradeResult(
            question_id=q.id,
            seed=seed,
            status=GradeStatus.INCORRECT,
            given="(2, 1)",
            misconception=flipped,
        )
        service.record_attempt("ann", q, r, answer="(2, 1)", latency_s=3.0, hints_used=0)
    service.close()
    code, out = run("stats", "--json", "--db", db)
    assert code == 0
    listed = json.loads(out)["misconceptions"]
    assert [(m["name"], m["source"], m["count"], m["questions"]) for m in listed] == [
        ("transposed", "automatic", 2, ["shapes.lin"])
    ]
    assert listed[0]["summary"].startswith("The right sizes in the wrong order")
    code, out = run("stats", "--db", db)
    assert code == 0 and "Misconceptions" in out and "transposed" in out


def test_users_set_persists_settings_per_profile(db: str) -> None:
    run("users", "add", "ann", "--db", db)
    run("users", "add", "bob", "--db", db)
    code, out = run("users", "set", "ann", "--db", db)
    assert code == 0 and "20 new per day; focus: none (the whole bank); theme: default" in out
    code, out = run("users", "set", "ann", "--new-per-day", "5", "--theme", "nord", "--db", db)
    assert code == 0 and "Saved 'ann': 5 new per day" in out and "theme: nord" in out
    # Kept in the database, per profile.
    service = ProgressService(open_store(db))
    assert service.settings("ann").new_per_day == 5
    assert service.settings("ann").theme == "nord"
    assert service.settings("bob").new_per_day == 20 and service.settings("bob").theme is None
    service.close()
    code, out = run("users", "set", "ann", "--theme", "", "--db", db)
    assert code == 0 and "theme: default" in out and "5 new per day" in out
    code, out = run("users", "--json", "--db", db)
    assert json.loads(out)[0]["new_per_day"] == 5 and json.loads(out)[0]["theme"] is None


def test_users_set_reports_mistakes_in_words(db: str) -> None:
    run("users", "add", "ann", "--db", db)
    code, out = run("users", "set", "nobody", "--new-per-day", "3", "--db", db)
    assert code == 2 and "nobody" in out and "ann" in out
    code, out = run("users", "set", "ann", "--new-per-day", "-1", "--db", db)
    assert code == 2 and "new-per-day" in out
    code, out = run("users", "set", "ann", "--new-per-day", "5000", "--db", db)
    assert code == 2 and "new-per-day" in out


def test_users_set_focus_checks_topics_against_the_bank(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUIZAPP_BANK", str(Path(__file__).parents[1] / "fixtures" / "bank"))
    run("users", "add", "ann", "--db", db)
    code, out = run("users", "set", "ann", "--focus", "shapes,nonsense", "--db", db)
    assert code == 2 and "unknown topic nonsense" in out and "shapes" in out
    code, out = run("users", "set", "ann", "--focus", "shapes", "--db", db)
    assert code == 0 and "focus: shapes" in out
    code, out = run("users", "set", "ann", "--focus", "", "--db", db)
    assert code == 0 and "focus: none" in out


# -- readiness (issue 13) ---------------------------------------------------------------------


def _history(db: str, user: str = "ann", *, days: int = 20, n: int = 12) -> None:
    """A few hundred answers over `days` days, through the real service with a moving clock."""
    import random

    clock = {"now": datetime(2026, 11, 1, 9, tzinfo=UTC)}
    service = ProgressService(open_store(db), clock=lambda: clock["now"], tz=UTC, fuzz=False)
    if user not in [u.name for u in service.list_users()]:
        service.add_user(user)
    rng = random.Random(3)
    bank = [
        Question(id=f"t{i % 3}.q{i}", kind="shape", topic=f"t{i % 3}", prompt="p", answer="(1,)")
        for i in range(n)
    ]
    by_id = {q.id: q for q in bank}
    for day in range(days):
        clock["now"] = datetime(2026, 11, 1, 9, tzinfo=UTC) + timedelta(days=day)
        for item in service.next_questions(user, questions=bank, mode="mixed", limit=100):
            q = by_id[item.question_id]
            status = GradeStatus.CORRECT if rng.random() < 0.85 else GradeStatus.INCORRECT
            r = GradeResult(question_id=q.id, seed=1, status=status, given="(1,)")
            service.record_attempt(user, q, r, answer="(1,)", latency_s=30.0, hints_used=0)
            clock["now"] += timedelta(minutes=1)
    service.close()


def test_users_set_interview_and_retention(db: str) -> None:
    run("users", "add", "ann", "--db", db)
    code, out = run(
        "users", "set", "ann", "--interview", "2027-01-15", "--retention", "0.85", "--db", db
    )
    assert code == 0, out
    assert "interview: 2027-01-15; target retention: 85%" in out
    code, out = run("users", "set", "ann", "--db", db)
    assert "interview: 2027-01-15" in out
    code, out = run("users", "set", "ann", "--interview", "", "--db", db)
    assert "interview: none" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--interview", "15/01/2027"), "YYYY-MM-DD"),
        (("--retention", "1.0"), "0.5<=x<1"),
        (("--retention", "0.2"), "0.5<=x<1"),
    ],
)
def test_users_set_readiness_mistakes_are_messages(
    db: str, args: tuple[str, ...], message: str
) -> None:
    run("users", "add", "ann", "--db", db)
    code, out = run("users", "set", "ann", *args, "--db", db)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_stats_json_has_a_readiness_object_matching_the_cards(db: str) -> None:
    from fsrs import Scheduler

    from quizapp.readiness import Memory, interview_moment

    _history(db)
    assert run("stats", "--json", "--db", db)[1].count('"readiness": null') == 1
    run("users", "set", "ann", "--interview", "2027-01-15", "--db", db)
    code, out = run("stats", "--json", "--db", db)
    assert code == 0
    data = json.loads(out)
    ready = data["readiness"]
    assert ready["interview_date"] == "2027-01-15"
    assert {"today", "on_the_day", "by_topic", "at_pace", "curve", "plan"} <= set(ready)
    # on_the_day is FSRS's retrievability of each card at 12:00 local on the day (no bank here:
    # the questions answered are the focus).
    service = ProgressService(open_store(db))
    from quizapp.store import repository as repo

    with service.store.read() as conn:
        memories: list[Memory] = service._memories(conn, repo.user_id(conn, "ann"))
    service.close()
    moment = interview_moment(datetime(2027, 1, 15).date(), None)
    scheduler = Scheduler()
    expected = sum(
        scheduler.get_card_retrievability(m.to_card(), current_datetime=moment) for m in memories
    ) / len(memories)
    assert ready["on_the_day"] == pytest.approx(expected, abs=1e-6)
    assert {t["topic"] for t in ready["by_topic"]} == {"t0", "t1", "t2"}
    assert set(data["retention"]) == {"7", "30", "365"}
    assert data["optimizer"]["needed"] > 0
    code, text = run("stats", "--db", db)
    assert "to the interview" in text and "Plan: today:" in text and "True retention" in text


def test_optimize_below_the_minimum_says_how_many_more(db: str) -> None:
    _history(db, days=6, n=6)
    code, out = run("optimize", "--user", "ann", "--db", db)
    assert code == 2
    assert "more" in out and "512" in out
    assert "Traceback" not in out


# -- renamed questions (`aliases`) --------------------------------------------------------------


def _renaming_bank(tmp_path: Path) -> Path:
    """A bank in which shapes.q0 was renamed shapes.first (its old id kept as an alias)."""
    folder = tmp_path / "renamed-bank"
    folder.mkdir()
    (folder / "shapes.yaml").write_text(
        "format: 1\n"
        "topic: shapes\n"
        "questions:\n"
        "  - id: shapes.first\n"
        "    aliases: [shapes.q0]\n"
        "    kind: shape\n"
        "    setup: 'x = torch.zeros(1)'\n"
        "    prompt: What is the shape of `x`?\n"
        "    answer: x.shape\n",
        encoding="utf-8",
    )
    return folder


def _ids(export: dict[str, object]) -> set[str]:
    attempts = export["attempts"]
    assert isinstance(attempts, list)
    return {a["question_id"] for a in attempts}


def test_progress_commands_move_renamed_questions_progress_first(db: str, tmp_path: Path) -> None:
    """stats, export and reset load the bank as the app does, so an old id never shows."""
    _practise(db)  # attempts on shapes.q0, q1, q2
    old_export = tmp_path / "before-rename.json"
    assert run("export", "-o", str(old_export), "--db", db)[0] == 0
    assert "shapes.q0" in _ids(json.loads(old_export.read_text()))

    bank = str(_renaming_bank(tmp_path))
    code, out = run("stats", "--json", "--db", db, "--bank", bank)
    assert code == 0
    data = json.loads(out)
    weakest = {w["question_id"] for w in data["weakest"]}
    assert "shapes.q0" not in weakest and data["totals"]["attempts"] == 6
    code, out = run("export", "--db", db, "--bank", bank)
    assert code == 0 and _ids(json.loads(out)) == {"shapes.first", "shapes.q1", "shapes.q2"}

    # reset by the old id reaches the renamed question's card
    code, out = run("reset", "--question", "shapes.q0", "--yes", "--db", db, "--bank", bank)
    assert code == 0 and "Reset 1 card(s) of 'ann' (question 'shapes.first')" in out

    # an export made before the rename is imported under the new id
    other = str(tmp_path / "other.sqlite3")
    code, out = run("import", str(old_export), "--db", other, "--bank", bank)
    assert code == 0 and "6 attempt(s) added" in out
    code, out = run("export", "--db", other, "--bank", bank)
    assert _ids(json.loads(out)) == {"shapes.first", "shapes.q1", "shapes.q2"}


def test_progress_commands_work_when_the_bank_does_not_load(db: str, tmp_path: Path) -> None:
    _practise(db)
    broken = tmp_path / "broken-bank"
    broken.mkdir()
    (broken / "bad.yaml").write_text("questions: [: nope", encoding="utf-8")
    code, out = run("export", "--db", db, "--bank", str(broken))
    assert code == 0 and "shapes.q0" in _ids(json.loads(out))
