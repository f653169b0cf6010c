"""The app with the real QuizService: fixture bank, temporary SQLite, the real runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import TextArea

from .helpers import text_of, until
from .real_round import FIXTURE_BANK, full_round

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


async def test_scratchpad_runs_a_real_snippet(tmp_path: Path) -> None:
    from quizapp.config import Settings
    from quizapp.service import QuizService
    from quizapp.tui.app import create_app
    from quizapp.tui.screens.scratchpad import ScratchpadScreen

    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'quiz.sqlite3'}", bank_dirs=(FIXTURE_BANK,), device="cpu"
    )
    service = QuizService.create(settings)
    service.add_user("tester")
    app = create_app(service, user="tester")
    snippet = (
        "lin = nn.Linear(3, 2)\n"
        "out = lin(torch.ones(4, 3)).relu().sum()\n"
        "out.backward()\n"
        "print(tuple(lin.weight.grad.shape))\n"
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.ready and app.user == "tester", timeout=60)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ScratchpadScreen))
        screen = app.screen
        assert isinstance(screen, ScratchpadScreen)
        screen.query_one("#sp-code", TextArea).text = snippet
        await pilot.press("ctrl+r")
        await until(pilot, lambda: not screen.running, timeout=60)
        assert text_of(app, "#sp-output") == "(2, 3)"
        trace = text_of(app, "#sp-trace")
        assert "lin(" in trace and "Linear" in trace and "(4, 3)" in trace and "(4, 2)" in trace
        graph = text_of(app, "#sp-graph")
        assert "SumBackward0" in graph and "AccumulateGrad → lin.weight" in graph
        # a snippet that loops for ever ends at the time limit, as a message
        screen.query_one("#sp-code", TextArea).text = "while True:\n    pass\n"
        await pilot.press("ctrl+r")
        await until(pilot, lambda: not screen.running, timeout=30)
        assert "time limit" in text_of(app, "#sp-error")
        assert "Stopped after" in text_of(app, "#sp-help")
