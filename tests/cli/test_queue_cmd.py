"""`quizapp queue`: the round the app would serve, printed, nothing recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizapp.cli import cli
from quizapp.progress import ProgressService
from quizapp.store import open_store

BANK = Path(__file__).parents[2] / "questions"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("QUIZAPP_DB", raising=False)
    monkeypatch.setenv("QUIZAPP_BANK", str(BANK))
    path = str(tmp_path / "q.sqlite3")
    service = ProgressService(open_store(path))
    service.add_user("ann")
    service.close()
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_json_round_has_the_items_a_fresh_profile_would_learn(db: str) -> None:
    code, out = run("queue", "--db", db, "--mode", "learn", "--json")
    assert code == 0
    doc = json.loads(out)
    items = doc["items"]
    assert doc["mode"] == "learn" and len(items) == 10
    assert {"id", "topic", "kind", "difficulty", "reason", "seed"} <= set(items[0])
    assert len({i["topic"] for i in items}) >= 4 and len({i["kind"] for i in items}) >= 3
    assert all(i["difficulty"] != "hard" and i["reason"] == "new" for i in items)
    # Nothing recorded: the same questions again (fresh seeds), and no sessions or attempts.
    again = json.loads(run("queue", "--db", db, "--mode", "learn", "--json")[1])["items"]
    assert [i["id"] for i in again] == [i["id"] for i in items]
    service = ProgressService(open_store(db))
    assert service.get_user("ann").attempts == 0
    service.close()


def test_mock_rounds_are_mixed_even_with_the_allowance_spent(db: str) -> None:
    assert run("users", "set", "ann", "--new-per-day", "0", "--db", db)[0] == 0
    code, out = run("queue", "--db", db, "--mode", "learn")
    assert code == 0 and "daily limit of new questions is 0" in out.replace("\n", " ")
    doc = json.loads(run("queue", "--db", db, "--mode", "mock", "--size", "10", "--json")[1])
    items = doc["items"]
    assert len(items) == 10 and any(i["kind"] == "code" for i in items)
    assert len({i["topic"] for i in items}) == 5 and len({i["kind"] for i in items}) >= 3
    assert doc["time_limit_s"] == sum(i["seconds"] for i in items)


def test_table_output_and_mistakes(db: str) -> None:
    code, out = run("queue", "--db", db, "--mode", "drill", "--topic", "hooks", "--size", "3")
    assert code == 0 and "Drill one topic for ann · hooks" in out and "Nothing was recorded" in out
    code, out = run("queue", "--db", db, "--topic", "nonsense")
    assert code == 2 and "unknown topic 'nonsense'" in out and "shapes" in out
    code, out = run("queue", "--db", db, "--user", "bob")
    assert code == 2 and "bob" in out
