"""The app with the real QuizService: fixture bank, temporary SQLite, the real runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .real_round import full_round

pytestmark = pytest.mark.slow


async def test_full_practice_round_with_the_real_service(tmp_path: Path) -> None:
    outcome = await full_round(tmp_path / "quiz.sqlite3")
    assert outcome["verdicts"] == ["correct", "correct"]
    assert outcome["attempts"] == 2 and outcome["correct"] == 2  # committed to the database
    assert outcome["runner"] == "ready on cpu"


def test_ui_process_never_imports_torch(tmp_path: Path) -> None:
    script = Path(__file__).with_name("real_round.py")
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "quiz.sqlite3")],
        capture_output=True,
        check=False,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["verdicts"] == ["correct", "correct"]  # a full round really ran
    assert outcome["torch_imported"] is False
