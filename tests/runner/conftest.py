"""One runner per test module keeps the suite fast (a zygote costs ~2 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quizapp.runner import Runner, RunRequest, RunResult, Step


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    r = Runner(device="cpu")
    r.wait_ready(120)
    yield r
    r.close()


def run_code(
    runner: Runner, code: str, evaluate: str | None = None, *, label: str = "user", **kw: Any
) -> RunResult:
    return runner.run(RunRequest(steps=(Step(code, label),), evaluate=evaluate, **kw))


def tensor_of(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict) and "__tensor__" in value, value
    info: dict[str, Any] = value["__tensor__"]
    return info
