"""Each file in broken/ states the problem it must produce (`# expect:`) and where (`# line:`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quizapp.bank import Bank, Problem, load_bank, load_file

BROKEN = Path(__file__).parent / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))


def header(path: Path) -> tuple[str, int | None]:
    text = path.read_bytes().decode("latin-1")
    expect = re.search(r"^# expect: (.+)$", text, re.MULTILINE)
    line = re.search(r"^# line: (\d+|none)$", text, re.MULTILINE)
    assert expect, f"{path.name} has no '# expect:' header"
    number = int(line.group(1)) if line and line.group(1) != "none" else None
    return expect.group(1).strip(), number


@pytest.fixture(scope="module")
def corpus_bank() -> Bank:
    return load_bank([BROKEN])


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_broken_file_reports_its_problem(path: Path, corpus_bank: Bank) -> None:
    expect, line = header(path)
    mine = [p for p in corpus_bank.problems if p.file == path]
    matching = [p for p in mine if expect in p.message]
    assert matching, f"no problem containing {expect!r}; got:\n" + "\n".join(map(str, mine))
    if line is not None:
        assert line in [p.line for p in matching], "\n".join(map(str, matching))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_problem_text_names_file_and_line(path: Path, corpus_bank: Bank) -> None:
    for problem in (p for p in corpus_bank.problems if p.file == path):
        assert isinstance(problem, Problem)
        assert str(problem).startswith(f"{path}:" if problem.line else str(path))
        assert "Traceback" not in problem.message


@pytest.mark.parametrize("path", [p for p in FILES if "across" not in p.stem], ids=lambda p: p.stem)
def test_single_file_is_refused_alone(path: Path) -> None:
    """Every file is broken on its own (the cross-file duplicate needs both files)."""
    _, problems = load_file(path)
    expect, _ = header(path)
    assert any(expect in p.message for p in problems)


def test_broken_questions_are_left_out_but_others_load(corpus_bank: Bank) -> None:
    # duplicate-id-across-b.yaml holds one good question next to a duplicate.
    assert "broken.across-b-only" in corpus_bank.questions
    assert corpus_bank.get("broken.across").source_file == BROKEN / "duplicate-id-across-a.yaml"


def test_cross_file_duplicate_names_both_places(corpus_bank: Bank) -> None:
    [dup] = [p for p in corpus_bank.problems if "duplicate id 'broken.across'" in p.message]
    first_line = corpus_bank.get("broken.across").source_line
    _, second_line = header(BROKEN / "duplicate-id-across-b.yaml")
    assert dup.file == BROKEN / "duplicate-id-across-b.yaml"
    assert dup.line == second_line
    assert f"duplicate-id-across-a.yaml:{first_line}" in dup.message
