"""Hostile bank files (issue 11): each is a clear problem with its file (and line where one
exists), never a crash, a hang or an echo of the file's contents. The corpus files for these
live in broken/ (nested-*-deep, alias-bomb, not-a-mapping-long-text); the ones that cannot be
committed (a symlink to /etc/passwd, a file over the size limit) are made here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from quizapp.bank import load_bank, load_file
from quizapp.bank.loader import EXCERPT, MAX_FILE_BYTES
from quizapp.bank.yamlnodes import MAX_DEPTH, parse
from quizapp.cli import cli

BROKEN = Path(__file__).parent / "broken"
GOOD = """\
format: 1
topic: t
questions:
  - id: t.good
    kind: shape
    setup: x = torch.zeros(2, 3)
    prompt: Shape of x?
    answer: x.shape
"""


def bank_with(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    return folder


def test_a_symlink_out_of_the_bank_is_refused_unread(tmp_path: Path) -> None:
    folder = bank_with(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT " * 50)
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    (folder / "secret.yaml").symlink_to(secret)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.yaml").write_text(GOOD.replace("t.good", "t.outside"))
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    bank = load_bank([folder])
    assert "t.good" in bank.questions and "t.outside" not in bank.questions
    refused = {p.file.name for p in bank.problems if "link to a file outside" in p.message}
    assert {"passwd.yaml", "secret.yaml"} <= refused
    text = "\n".join(str(p) for p in bank.problems)
    assert "root:" not in text and "TOP-SECRET" not in text


def test_a_symlink_inside_the_bank_still_loads(tmp_path: Path) -> None:
    folder = bank_with(tmp_path)
    (folder / "sub").mkdir()
    (folder / "sub" / "real.yaml").write_text(GOOD.replace("t.good", "t.real"))
    (folder / "alias.yaml").symlink_to(folder / "sub" / "real.yaml")
    bank = load_bank([folder])
    assert {"t.good", "t.real"} <= set(bank.questions)
    assert not [p for p in bank.problems if "link" in p.message]


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(GOOD + "# " + "x" * MAX_FILE_BYTES + "\n")
    _, problems = load_file(big)
    assert [p.message for p in problems] == [
        f"the file is larger than {MAX_FILE_BYTES // 1024} KiB; a question file is far smaller "
        "(split it into several files)"
    ]


def test_a_huge_scalar_file_is_quoted_short(tmp_path: Path) -> None:
    path = BROKEN / "not-a-mapping-long-text.yaml"
    _, problems = load_file(path)
    (problem,) = problems
    assert len(problem.message) < 400
    assert "root:x:0:0" in problem.message and len(path.read_text()) > 2000
    assert EXCERPT < 100


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 999, 1100, 50_000])
def test_deep_nesting_is_a_problem_not_a_recursion_error(tmp_path: Path, depth: int) -> None:
    for text in (
        "a: " + "[" * depth + "]" * depth + "\n",
        "a: " + "{k: " * depth + "1" + "}" * depth + "\n",
        "".join("  " * i + "- \n" for i in range(min(depth, 3000))),
    ):
        path = tmp_path / "deep.yaml"
        path.write_text(text)
        _, problems = load_file(path)
        assert problems, text[:40]
        assert all("Traceback" not in p.message for p in problems)
        if "[" in text:
            assert any("nested more than" in p.message for p in problems), problems


def test_an_alias_bomb_is_refused_quickly() -> None:
    import time

    t0 = time.monotonic()
    _, problems = load_file(BROKEN / "alias-bomb.yaml")
    assert any("expands to more than" in p.message for p in problems)
    assert time.monotonic() - t0 < 10  # it ran 36 s, then died at 4 GB


def test_anchors_and_merges_of_real_files_still_work() -> None:
    located = parse("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n")
    assert located is not None
    assert located.data["item"] == {"x": 1, "y": 3}
    assert located.data["list"] == [{"x": 1, "y": 2}] * 2


@pytest.mark.parametrize("command", [["list"], ["validate", "--seeds", "1"]])
def test_cli_reports_hostile_banks_with_exit_2_not_a_crash(
    tmp_path: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name in ("alias-bomb.yaml", "nested-1100-deep.yaml", "not-a-mapping-long-text.yaml"):
        (folder / name).write_bytes((BROKEN / name).read_bytes())
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    monkeypatch.setenv("QUIZAPP_DB", str(tmp_path / "db.sqlite3"))
    result = CliRunner().invoke(cli, [*command, "--bank", str(folder)], catch_exceptions=False)
    assert result.exit_code in (1, 2), result.output
    assert "crash" not in result.output.lower() and "Traceback" not in result.output
    assert "nologin" not in result.output  # neither /etc/passwd nor the long file echoed
    assert len(result.output) < 5000
    assert os.path.exists("/etc/passwd")
