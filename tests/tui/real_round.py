"""A full practice round in the real app with the real service: fixture bank, a temporary SQLite
file, the real runner. Used by test_real_service.py in-process and, as a script, in a fresh
process to check that the UI process never imports torch.

    python tests/tui/real_round.py DB_PATH   # prints one JSON object
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

FIXTURE_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "bank"


async def full_round(db_path: Path) -> dict[str, Any]:
    from quizapp.config import Settings
    from quizapp.service import QuizService
    from quizapp.tui.app import create_app
    from quizapp.tui.screens.home import HomeScreen
    from quizapp.tui.screens.question import QuestionScreen
    from quizapp.tui.screens.result import ResultScreen

    settings = Settings(db_url=f"sqlite:///{db_path}", bank_dirs=(FIXTURE_BANK,), device="cpu")
    service = QuizService.create(settings)
    service.add_user("tester")
    app = create_app(service, user="tester")
    verdicts: list[str] = []
    loop = asyncio.get_running_loop()

    async def until(pilot: Any, condition: Any, timeout: float = 60.0) -> None:
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() > deadline:
                said = [str(w.content) for w in app.screen.query("#q-feedback")]
                status = service.runner_status().label()
                raise AssertionError(f"timed out on {app.screen!r}: {said} runner: {status}")
            await pilot.pause(0.05)

    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.ready and app.user == "tester")
        await until(pilot, lambda: service.runner_status().phase != "starting")
        app.start_round("drill", "shapes")
        await until(pilot, lambda: isinstance(app.screen, QuestionScreen))
        while isinstance(app.screen, QuestionScreen):
            screen = app.screen
            shown = screen.shown
            if shown.question.id == "fixture.linear-shape":
                answer = "(16, 64)"
            else:  # fixture.matmul-shape: (b, n, 3) from this variant's params
                answer = f"({shown.params['b']}, {shown.params['n']}, 3)"
            await pilot.pause()  # the answer box takes focus on mount
            await pilot.press(*answer, "enter")
            await until(pilot, lambda s=screen: app.screen is not s)
            result_screen = app.screen
            assert isinstance(result_screen, ResultScreen), app.screen
            verdicts.append(result_screen.result.status.value)
            await pilot.pause()
            await pilot.press("n")
            await until(pilot, lambda r=result_screen: app.screen is not r)
            await pilot.pause()
        assert isinstance(app.screen, HomeScreen), app.screen
        await app.workers.wait_for_complete()
        stats = service.stats("tester")
        runner = service.runner_status().label()
    return {
        "verdicts": verdicts,
        "attempts": stats.totals.attempts,
        "correct": stats.totals.correct,
        "runner": runner,
        "torch_imported": "torch" in sys.modules,
    }


if __name__ == "__main__":
    outcome = asyncio.run(full_round(Path(sys.argv[1])))
    print(json.dumps(outcome))
