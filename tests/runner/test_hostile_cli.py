"""The issue's attacks through the real command line (`check`, `validate`), as a user would run
them: afterwards the progress database and its profile are intact, no process of the run is
alive 2 s later, nothing appeared outside the run's folder, and a normal answer is graded right.
Every bad input is a clear message with exit 1 or 2, never a crash report (exit 70)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from procs import NAME_SELF, new_marker, none_alive

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "tests" / "fixtures" / "bank"
RIGHT = "def relu(t):\n    return t.clamp(min=0)\n"


def quizapp(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quizapp", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )


def hostile_code(marker: str, tag: str) -> str:
    """Everything at once: find the database through /proc and delete it, leave a process
    behind (double fork + setsid), write outside the run's folder, kill the zygote."""
    return (
        textwrap.dedent(
            f"""
            import os, signal, time
            for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
                try:
                    words = open(f'/proc/{{pid}}/cmdline', 'rb').read().split(b'\\0')
                except OSError:
                    continue
                for w in words:
                    if w.endswith(b'.sqlite3'):
                        for suffix in (b'', b'-wal', b'-shm'):
                            try:
                                os.remove(w + suffix)
                            except OSError:
                                pass
            for target in ('/tmp/{tag}', os.path.expanduser('~/{tag}')):
                try:
                    open(target, 'w').write('x')
                except OSError:
                    pass
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
            """
        )
        + textwrap.indent(NAME_SELF.format(marker=marker), "        ")
        + "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(0.2)\n"
        "try:\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n"
        "except OSError:\n"
        "    pass\n"
        "def relu(t):\n"
        "    return t\n"
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = dict(os.environ)
    e.pop("QUIZAPP_DB", None)
    e["QUIZAPP_BANK"] = str(BANK)
    return e


def profile_is_intact(db: Path, env: dict[str, str]) -> None:
    assert db.exists(), "the database is gone"
    users = quizapp("users", "--db", str(db), env=env)
    assert users.returncode == 0 and "bob" in users.stdout, users.stdout + users.stderr
    stats = quizapp("stats", "--user", "bob", "--db", str(db), env=env)
    assert stats.returncode == 0, stats.stdout + stats.stderr
    assert "no profile" not in stats.stdout


def test_check_with_a_hostile_answer(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "quizapp.sqlite3"
    assert quizapp("users", "add", "bob", "--db", str(db), env=env).returncode == 0
    marker, tag = new_marker(), uuid.uuid4().hex
    answer = tmp_path / "answer.py"
    answer.write_text(hostile_code(marker, tag))
    args = ("check", "fixture.write-relu", f"@{answer}", "--user", "bob", "--db", str(db))
    hostile = quizapp(*args, env=env)
    assert hostile.returncode in (1, 2), hostile.stdout + hostile.stderr  # wrong, not a crash
    assert "crash" not in (hostile.stdout + hostile.stderr).lower()
    assert none_alive(marker, within=2.0), "a process of the run outlived `quizapp check`"
    assert not os.path.exists(f"/tmp/{tag}") and not (Path.home() / tag).exists()
    profile_is_intact(db, env)
    answer.write_text(RIGHT)
    honest = quizapp(*args, env=env)
    assert honest.returncode == 0, honest.stdout + honest.stderr


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("fixture.scaled-mean", "9" * 310),  # a float question: was an OverflowError
        ("fixture.square-grad", "[" + ", ".join(["1"] * 40_000) + "]"),  # 120 KB
        ("fixture.write-relu", "@big"),  # a 5 MB code answer
    ],
    ids=["310-digits", "long-list", "5-MB-code"],
)
def test_absurd_answers_are_invalid_not_a_crash(
    tmp_path: Path, env: dict[str, str], question: str, answer: str
) -> None:
    if answer == "@big":
        big = tmp_path / "big.py"
        big.write_text("x = [" + "1, " * 1_700_000 + "]\n")
        answer = f"@{big}"
    db = str(tmp_path / "db.sqlite3")
    result = quizapp("check", question, answer, "--db", db, env=env)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "crash" not in out.lower() and len(out) < 2000


def test_validate_with_a_hostile_bank(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "quizapp.sqlite3"
    assert quizapp("users", "add", "bob", "--db", str(db), env=env).returncode == 0
    marker, tag = new_marker(), uuid.uuid4().hex
    setup = hostile_code(marker, tag) + "import os\nfor s in ('', '-wal'):\n    try:\n"
    setup += f"        os.remove({str(db)!r} + s)\n    except OSError:\n        pass\n"
    setup += "x = torch.zeros(2, 3)\n"
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "hostile.yaml").write_text(
        "format: 1\ntopic: hostile\nquestions:\n  - id: hostile.setup\n    kind: shape\n"
        "    prompt: Shape of x?\n    answer: x.shape\n    setup: |\n"
        + textwrap.indent(setup, "      ")
    )
    result = quizapp("validate", str(bank), "--seeds", "2", env={**env, "QUIZAPP_DB": str(db)})
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "crash" not in (result.stdout + result.stderr).lower()
    assert none_alive(marker, within=2.0), "a process of a bank's setup outlived `validate`"
    assert not os.path.exists(f"/tmp/{tag}")
    profile_is_intact(db, env)
