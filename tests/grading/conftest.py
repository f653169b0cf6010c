"""A real runner (zygote started once for the module) and the fixture bank."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizapp.bank import Bank, load_bank
from quizapp.runner.protocol import RunRequest, RunResult

FIXTURE_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "bank"


@pytest.fixture(scope="session")
def fixture_bank() -> Bank:
    bank = load_bank([FIXTURE_BANK])
    assert not bank.problems, bank.problems
    return bank


@pytest.fixture(scope="session")
def runner() -> Iterator[object]:
    from quizapp.runner import Runner

    real = Runner()
    real.start()
    yield real
    real.close()


class CountingRunner:
    """Passes runs to the real runner and remembers each request (to see what ran)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.requests: list[RunRequest] = []
        self._lock = threading.Lock()

    @property
    def state(self) -> object:
        return getattr(self.inner, "state", None)

    def run(self, request: RunRequest, *, cancel: threading.Event | None = None) -> RunResult:
        with self._lock:
            self.requests.append(request)
        result: RunResult = self.inner.run(request, cancel=cancel)  # type: ignore[attr-defined]
        return result


@pytest.fixture
def counting(runner: object) -> CountingRunner:
    return CountingRunner(runner)
