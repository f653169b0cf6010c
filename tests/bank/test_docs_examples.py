"""The examples in docs/question-format.md are valid questions (the live run is `validate`'s)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quizapp.bank import Kind, load_bank, load_file

DOC = Path(__file__).parents[2] / "docs" / "question-format.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)
# Complete files; the first block in the guide is a sketch with "..." in place of questions.
FILES = [b for b in BLOCKS if b.startswith("format: 1") and "\n    ...\n" not in b]


@pytest.mark.parametrize("text", FILES, ids=lambda t: re.search(r"id: (\S+)", t)[1])  # type: ignore[index]
def test_example_file_loads_without_problems(tmp_path: Path, text: str) -> None:
    path = tmp_path / "example.yaml"
    path.write_text(text)
    questions, problems = load_file(path)
    assert problems == [], "\n".join(map(str, problems))
    assert questions


def test_one_worked_example_per_kind(tmp_path: Path) -> None:
    for index, text in enumerate(FILES):
        (tmp_path / f"ex{index}.yaml").write_text(text)
    bank = load_bank([tmp_path])
    assert bank.problems == []
    assert {q.kind for q in bank.questions.values()} == set(Kind)


def test_every_field_is_documented() -> None:
    from quizapp.bank.messages import QUESTION_FIELDS

    text = DOC.read_text()
    for field in QUESTION_FIELDS:
        assert f"`{field}`" in text, f"field {field!r} is not in the authors' guide"
