"""`aliases: [old ids]`: a renamed question names the ids it had, so progress follows it; an
alias that is a live id, or one two questions claim, is a bank-level problem at its field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from quizapp.bank import load_bank
from quizapp.bank.bank import UnknownQuestion

BANK = """
format: 1
topic: shapes
questions:
  - id: shapes.neutral
    kind: shape
    prompt: p
    answer: (1,)
    aliases: [shapes.gives-it-away]
  - id: shapes.b
    kind: shape
    prompt: p
    answer: (1,)
    aliases: [shapes.b, shapes.neutral]
  - id: shapes.c
    kind: shape
    prompt: p
    answer: (1,)
    aliases: [shapes.gives-it-away]
"""


def test_alias_problems_are_reported_at_the_field(tmp_path: Path) -> None:
    (tmp_path / "shapes.yaml").write_text(textwrap.dedent(BANK))
    bank = load_bank([tmp_path])
    assert set(bank.questions) == {"shapes.neutral", "shapes.b", "shapes.c"}  # still playable
    found = sorted((p.question_id, p.message) for p in bank.problems)
    assert found == [
        (
            "shapes.b",
            "'aliases' names 'shapes.neutral', which is another question's id: an "
            "alias is an id no question has any more",
        ),
        ("shapes.b", "'aliases' names the question's own id; remove it"),
        (
            "shapes.c",
            "'aliases' names 'shapes.gives-it-away', which 'shapes.neutral' names "
            "too: an old id can pass its progress to one question only",
        ),
    ]
    assert {p.field for p in bank.problems} == {"aliases"}
    assert all(p.file == tmp_path / "shapes.yaml" and p.line for p in bank.problems)
    assert bank.aliases == {"shapes.gives-it-away": "shapes.neutral"}


def test_an_old_id_still_finds_its_question(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "format: 1\ntopic: s\nquestions:\n"
        "  - {id: s.new, kind: shape, prompt: p, answer: '(1,)', aliases: [s.old]}\n"
    )
    bank = load_bank([tmp_path])
    assert bank.problems == []
    assert bank.get("s.old").id == "s.new"  # `quizapp check s.old ...` as before the rename
    assert "s.old" not in bank  # but it is not a question of its own
    with pytest.raises(UnknownQuestion):
        bank.get("s.neither")


def test_aliases_do_not_change_what_the_question_asks(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "format: 1\ntopic: s\nquestions:\n  - {id: s.a, kind: shape, prompt: p, answer: '(1,)'}\n"
    )
    plain = load_bank([tmp_path]).get("s.a")
    aliased = plain.model_copy(update={"aliases": ("s.before",)})
    # a digest that moved would flag the question as edited in every profile that answered it
    assert aliased.content_hash() == plain.content_hash()
