"""One runner per test module keeps the suite fast (a zygote costs ~2 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pytest

from quizapp.runner import Runner, RunRequest, RunResult, Step


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    r = Runner(device="cpu")
    r.wait_ready(120)
    yield r
    r.close()


class CodeRun(Protocol):
    def __call__(
        self, code: str, evaluate: str | None = None, *, label: str = "user", **kw: Any
    ) -> RunResult: ...


@pytest.fixture
def run(runner: Runner) -> CodeRun:
    """`run(code, evaluate=None, label="user", **request fields)` on the module's runner."""

    def run_code(
        code: str, evaluate: str | None = None, *, label: str = "user", **kw: Any
    ) -> RunResult:
        return runner.run(RunRequest(steps=(Step(code, label),), evaluate=evaluate, **kw))

    return run_code
