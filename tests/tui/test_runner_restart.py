"""A failed runner: the status line says why and names the key that restarts it (issue 11)."""

from __future__ import annotations

from quizapp.service import RunnerStatus
from quizapp.tui.app import create_app

from .fakes import FakeService
from .helpers import started, until


class RestartableFake(FakeService):
    def __init__(self) -> None:
        super().__init__(runner="failed")
        self.restarts = 0

    def restart_runner(self) -> None:
        self.restarts += 1
        self._runner_target = self._runner_phase = "ready"


async def test_restart_key_brings_a_failed_runner_back() -> None:
    fake = RestartableFake()
    app = create_app(fake)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(pilot)
        assert "runner failed: torch is not installed" in app.sub_title
        assert "F5 restarts it" in app.sub_title
        await pilot.press("f5")
        await until(pilot, lambda: "ready on cpu" in app.sub_title)
        assert fake.restarts == 1


def test_status_says_when_files_are_not_sandboxed() -> None:
    ready = RunnerStatus("ready", device="cpu", files_isolated=False)
    assert ready.label() == "ready on cpu · files NOT sandboxed"
    assert RunnerStatus("ready", device="cpu", files_isolated=True).label() == "ready on cpu"
