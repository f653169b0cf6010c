"""Bank lookups, filters and the coverage summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizapp.bank import Bank, Difficulty, Kind, Question, UnknownQuestion, coverage, load_bank
from quizapp.bank.summary import CoverageRow, totals

BANK_YAML = """
format: 1
topic: autograd
questions:
  - id: autograd.leaf
    kind: choice
    difficulty: easy
    tags: [leaf]
    setup: y = torch.ones(2, requires_grad=True) * 2
    prompt: Is y a leaf tensor?
    options: ["yes", "no"]
    answer: "'yes' if y.is_leaf else 'no'"
  - id: autograd.grad-of-sum
    kind: value
    tags: [backward]
    setup: |
      x = torch.ones(3, requires_grad=True)
      x.sum().backward()
    prompt: What is x.grad after x.sum().backward()?
    answer: x.grad
  - id: autograd.why-zero-grad
    kind: recall
    difficulty: hard
    prompt: Why call optimizer.zero_grad()?
    key_points: [gradients accumulate]
    model_answer: backward() adds into .grad.
  - id: shapes.linear
    topic: shapes
    kind: shape
    tags: [linear, backward]
    setup: out = nn.Linear(8, 4)(torch.zeros(16, 8))
    prompt: Shape of out?
    answer: out.shape
"""


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    (tmp_path / "a.yaml").write_text(BANK_YAML)
    loaded = load_bank([tmp_path])
    assert loaded.problems == []
    return loaded


def test_get_and_unknown(bank: Bank) -> None:
    assert bank.get("autograd.leaf").kind is Kind.CHOICE
    with pytest.raises(UnknownQuestion) as info:
        bank.get("autograd.leef")
    assert isinstance(info.value, KeyError)
    assert str(info.value).startswith(
        "no question with id 'autograd.leef' (did you mean 'autograd.leaf'"
    )
    assert info.value.suggestions[0] == "autograd.leaf"
    with pytest.raises(KeyError, match=r"no question with id 'zzz'$"):
        bank.get("zzz")
    assert "autograd.leaf" in bank and len(bank) == 4


def test_topics_in_bank_order(bank: Bank) -> None:
    assert bank.topics() == ["autograd", "shapes"]


def test_filter(bank: Bank) -> None:
    def ids(questions: list[Question]) -> list[str]:
        return [q.id for q in questions]

    assert ids(bank.filter()) == list(bank.questions)
    assert ids(bank.filter(topic="shapes")) == ["shapes.linear"]
    assert ids(bank.filter(kind="value")) == ["autograd.grad-of-sum"]
    assert ids(bank.filter(kind=Kind.RECALL)) == ["autograd.why-zero-grad"]
    assert ids(bank.filter(difficulty=Difficulty.MEDIUM)) == [
        "autograd.grad-of-sum",
        "shapes.linear",
    ]
    assert ids(bank.filter(difficulty="easy")) == ["autograd.leaf"]
    assert ids(bank.filter(tag="backward")) == ["autograd.grad-of-sum", "shapes.linear"]
    assert ids(bank.filter(text="LEAF")) == ["autograd.leaf"]
    assert ids(bank.filter(text="zero_grad")) == ["autograd.why-zero-grad"]
    assert ids(bank.filter(topic="autograd", tag="backward")) == ["autograd.grad-of-sum"]
    assert bank.filter(topic="nope") == []


def test_coverage(bank: Bank) -> None:
    rows = coverage(bank)
    assert rows == [
        CoverageRow("autograd", Kind.VALUE, Difficulty.MEDIUM, 1),
        CoverageRow("autograd", Kind.CHOICE, Difficulty.EASY, 1),
        CoverageRow("autograd", Kind.RECALL, Difficulty.HARD, 1),
        CoverageRow("shapes", Kind.SHAPE, Difficulty.MEDIUM, 1),
    ]
    topic, kind, difficulty, count = rows[0]
    assert (topic, kind, difficulty, count) == ("autograd", "value", "medium", 1)
    assert sum(r.count for r in rows) == len(bank)
    assert totals(bank, "topic") == {"autograd": 3, "shapes": 1}
    assert totals(bank, "kind")["value"] == 1
    with pytest.raises(ValueError, match="cannot total by"):
        totals(bank, "colour")


def test_empty_bank_coverage(tmp_path: Path) -> None:
    bank = load_bank([tmp_path])
    assert coverage(bank) == []
    assert bank.topics() == []
