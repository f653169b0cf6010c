from __future__ import annotations

import pytest

from quizapp.bank.models import Kind
from quizapp.grading.answers import read_answer
from quizapp.grading.parse import AnswerParseError


def test_read_answer_per_kind() -> None:
    assert read_answer(Kind.SHAPE, "16x64").display == "(16, 64)"
    assert read_answer(Kind.SHAPE, "torch.Size([3])").parsed == (3,)
    assert read_answer(Kind.VALUE, "tensor([1., 2.5])").display == "tensor([1.0, 2.5])"
    assert read_answer(Kind.VALUE, "[True, false]").display == "[True, False]"
    choice = read_answer(Kind.CHOICE, "b", ["yes", "no"])
    assert choice.parsed == 1 and choice.display == "B) no"
    assert read_answer(Kind.OUTPUT, "hello  \n").display == "hello"
    assert read_answer(Kind.CODE, "x = 1\n").parsed == "x = 1\n"


def test_read_answer_errors() -> None:
    with pytest.raises(AnswerParseError, match="as a shape"):
        read_answer(Kind.SHAPE, "16 by 64")
    with pytest.raises(AnswerParseError, match="as a value"):
        read_answer(Kind.VALUE, "x.grad")
    with pytest.raises(AnswerParseError, match="no option C"):
        read_answer(Kind.CHOICE, "c", ["yes", "no"])
