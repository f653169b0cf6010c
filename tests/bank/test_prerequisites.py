"""`after: [ids]`: unknown ids and cycles are bank-level problems with file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

from quizapp.bank import load_bank

BANK = """
format: 1
topic: shapes
questions:
  - id: shapes.a
    kind: shape
    prompt: p
    setup: x = 1
    answer: (1,)
    after: [shapes.c]
  - id: shapes.b
    kind: shape
    prompt: p
    answer: (1,)
    after: [shapes.a, shapes.bb]
  - id: shapes.c
    kind: shape
    prompt: p
    answer: (1,)
    after: [shapes.b, shapes.c]
  - id: shapes.d
    kind: shape
    prompt: p
    answer: (1,)
    after: [shapes.a]
"""


def test_unknown_ids_self_references_and_cycles_are_reported(tmp_path: Path) -> None:
    (tmp_path / "shapes.yaml").write_text(textwrap.dedent(BANK))
    bank = load_bank([tmp_path])
    assert set(bank.questions) == {"shapes.a", "shapes.b", "shapes.c", "shapes.d"}  # still playable
    messages = {(p.question_id, p.field, p.message) for p in bank.problems}
    assert all(p.file == tmp_path / "shapes.yaml" and p.line for p in bank.problems)
    unknown = [m for q, f, m in messages if q == "shapes.b" and "not in the bank" in m]
    assert unknown == [
        "'after' names 'shapes.bb', which is not in the bank (did you mean 'shapes.b'?)"
    ]
    assert any(q == "shapes.c" and "itself" in m for q, _f, m in messages)
    cycles = [m for _q, _f, m in messages if "cycle" in m]
    assert cycles == [
        "'after' prerequisites form a cycle: shapes.a -> shapes.c -> shapes.b -> shapes.a "
        "(each comes after the next); remove one of these ids"
    ]
    assert {f for _q, f, _m in messages} == {"after"}


def test_a_bank_without_after_has_no_such_problems(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "format: 1\ntopic: s\nquestions:\n  - {id: s.a, kind: shape, prompt: p, answer: '(1,)'}\n"
    )
    assert load_bank([tmp_path]).problems == []
