from __future__ import annotations

import pytest

from quizapp.tui.app import QuizApp, create_app

from .fakes import FakeService


@pytest.fixture
def fake() -> FakeService:
    return FakeService()


@pytest.fixture
def app(fake: FakeService) -> QuizApp:
    return create_app(fake)
