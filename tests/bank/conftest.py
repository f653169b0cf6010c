from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from quizapp.bank import Problem, Question, load_file


@pytest.fixture
def load_text(tmp_path: Path) -> Callable[[str], tuple[list[Question], list[Problem]]]:
    """Write YAML (dedented) to a file and load it."""
    counter = iter(range(1000))

    def load(text: str) -> tuple[list[Question], list[Problem]]:
        path = tmp_path / f"q{next(counter)}.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return load_file(path)

    return load
