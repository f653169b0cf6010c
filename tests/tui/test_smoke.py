from __future__ import annotations

from quizapp.tui.app import QuizApp
from quizapp.tui.screens.home import HomeScreen


async def test_home_shows(app: QuizApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.user == "alice"
        assert "ready on cpu" in app.sub_title
