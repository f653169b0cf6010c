from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quizapp.progress import ProgressService
from quizapp.store import open_store


class Clock:
    """A settable UTC clock."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> Iterator[ProgressService]:
    svc = ProgressService(open_store(str(tmp_path / "p.sqlite3")), clock=clock, tz=UTC, fuzz=False)
    yield svc
    svc.close()
