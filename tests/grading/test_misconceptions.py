"""The automatic misconceptions, one by one, on plain data (no runner): what each matches and
what it must not match. The reruns (wrong-mode, grad-mode) run live in
test_misconceptions_live.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from quizapp.bank.models import Kind, Question
from quizapp.grading.compare import truth_array
from quizapp.grading.misconceptions import (
    SIZES_KEY,
    Automatic,
    WrongAnswer,
    authored_key,
    diagnose,
    diagnose_code,
    grading_alternatives,
    uses_grad_modes,
    uses_mode_switches,
)
from quizapp.grading.parse import parse_shape, parse_value
from quizapp.grading.types import MatchBasis, MisconceptionSource
from quizapp.runner.alternatives import Outcome, Patch
from quizapp.runner.protocol import RunError


def question(kind: Kind, **fields: Any) -> Question:
    base: dict[str, Any] = {"id": "t.q", "kind": kind, "topic": "t", "prompt": "?"}
    base.setdefault("setup", "x = torch.ones(2, 3)")
    base.update(fields)
    if kind in (Kind.SHAPE, Kind.VALUE, Kind.CHOICE):
        base.setdefault("answer", "x")
    return Question.model_validate(base)


def no_runs() -> Mapping[str, Outcome]:
    raise AssertionError("this misconception must not need a run")


def shape_name(given: str, truth: tuple[int, ...], **fields: Any) -> str | None:
    q = question(Kind.SHAPE, **fields)
    match = diagnose(WrongAnswer(q, None, parse_shape(given), given, truth), lambda: {})
    return match.name if match else None


@pytest.mark.parametrize(
    ("given", "truth", "name"),
    [
        ("(64, 16)", (16, 64), "transposed"),
        ("(3, 1, 2)", (1, 2, 3), "transposed"),
        ("(64,)", (16, 64), "missing-batch-dim"),
        ("()", (5,), "missing-batch-dim"),
        ("(1, 16, 64)", (16, 64), "extra-dim"),
        ("(16, 1, 64)", (16, 64), "extra-dim"),
        ("(16, 64, 1)", (16, 64), "extra-dim"),
        ("(16, 65)", (16, 64), None),
        ("(2, 16, 64)", (16, 64), None),  # an extra dimension that is not size 1
        ("(64, 64)", (16, 64), None),
    ],
)
def test_shape_misconceptions(given: str, truth: tuple[int, ...], name: str | None) -> None:
    assert shape_name(given, truth) == name


def test_automatic_misconceptions_can_be_turned_off() -> None:
    assert shape_name("(64, 16)", (16, 64), automatic_misconceptions=False) is None


def value_match(given: str, truth: Any, sizes: tuple[int, ...] = (), **fields: Any) -> Any:
    q = question(Kind.VALUE, **fields)
    outcomes = {SIZES_KEY: Outcome(SIZES_KEY, True, sizes=sizes)}
    array = truth_array(truth)
    return diagnose(WrongAnswer(q, None, parse_value(given), given, array), lambda: outcomes)


def tensor(values: list[float]) -> dict[str, Any]:
    return {"__tensor__": {"shape": [len(values)], "dtype": "float32", "values": values}}


@pytest.mark.parametrize(
    ("given", "truth", "sizes", "name", "factor"),
    [
        ("-2.5", 2.5, (), "sign-flipped", None),
        ("[-1, 2]", tensor([1.0, -2.0]), (), "sign-flipped", None),
        ("5.0", 2.5, (), "scaled", "2"),
        ("1.25", 2.5, (), "scaled", "1/2"),
        ("[3, 6]", tensor([1.0, 2.0]), (3, 7), "scaled", "3"),
        ("[0.125, 0.25]", tensor([1.0, 2.0]), (8,), "scaled", "1/8"),
        ("7.5", 2.5, (), None, None),  # 3x, but no tensor has a dimension of 3
        ("7.5", 2.5, (3,), "scaled", "3"),
        ("1.0", 0.0, (4,), None, None),  # zero: nothing scales or flips to anything else
    ],
)
def test_value_misconceptions(
    given: str, truth: Any, sizes: tuple[int, ...], name: str | None, factor: str | None
) -> None:
    match = value_match(given, truth, sizes)
    assert (match.name if match else None) == name
    if match is not None:
        assert match.source is MisconceptionSource.AUTOMATIC and match.explanation
    if factor is not None:
        assert match is not None and match.summary == f"Off by a factor of {factor}"


def test_bools_are_never_scaled_or_flipped() -> None:
    assert value_match("False", True) is None


def test_scaled_needs_the_run_only_past_two_and_a_half() -> None:
    q = question(Kind.VALUE)
    array = truth_array(2.5)
    match = diagnose(WrongAnswer(q, None, parse_value("5"), "5", array), no_runs)
    assert match is not None and match.name == "scaled"


def test_authored_misconceptions_are_tried_first() -> None:
    q = question(
        Kind.SHAPE,
        misconceptions=[{"name": "mine", "summary": "my belief", "answer": "(64, 16)"}],
    )
    outcome = Outcome("authored:mine", True, value={"__tuple__": [64, 16]})
    wrong = WrongAnswer(q, None, (64, 16), "(64, 16)", (16, 64))
    match = diagnose(wrong, lambda: {"authored:mine": outcome})
    assert match is not None and (match.name, match.source) == (
        "mine",
        MisconceptionSource.AUTHORED,
    )
    # the answer is what the belief computes: the belief is named as the likely cause
    assert (match.basis, match.label) == (MatchBasis.ANSWER, "Likely misconception")


def test_a_failed_authored_misconception_matches_nothing() -> None:
    q = question(Kind.SHAPE, misconceptions=[{"name": "m", "summary": "s", "answer": "y"}])
    failed = Outcome("authored:m", False)
    wrong = WrongAnswer(q, None, (7,), "(7,)", (16, 64))
    assert diagnose(wrong, lambda: {"authored:m": failed}) is None


def test_choice_and_output_reruns_match_by_the_kinds_comparison() -> None:
    q = question(
        Kind.CHOICE,
        setup="m = nn.Dropout()\nm.eval()",
        options=("train", "eval"),
        answer="'train' if m.training else 'eval'",
    )
    rerun = Outcome("automatic:wrong-mode", True, value="train")
    wrong = WrongAnswer(q, ("eval", "train"), 1, "b", "eval")
    match = diagnose(wrong, lambda: {"automatic:wrong-mode": rerun})
    assert match is not None and match.name == Automatic.WRONG_MODE.value
    printing = (
        "with torch.no_grad():\n    print((torch.ones(1, requires_grad=True) * 2).requires_grad)"
    )
    out = question(Kind.OUTPUT, setup=printing)
    printed = Outcome("automatic:grad-mode", True, stdout="True\n")
    wrong_out = WrongAnswer(out, None, "True", "True", "False\n")
    match = diagnose(wrong_out, lambda: {"automatic:grad-mode": printed})
    assert match is not None and match.name == Automatic.GRAD_MODE.value


def test_reruns_are_planned_only_where_the_code_switches_modes() -> None:
    plain = question(Kind.VALUE)
    assert not uses_mode_switches(plain) and not uses_grad_modes(plain)
    assert [a.key for a in grading_alternatives(plain)] == [SIZES_KEY]
    # an authored misconception on the same setup brings the sizes along: no extra setup run
    authored = question(Kind.VALUE, misconceptions=[{"name": "m", "summary": "s", "answer": "1"}])
    planned = grading_alternatives(authored)
    assert [(a.key, a.sizes) for a in planned] == [("authored:m", True)]
    setup = (
        "net = nn.Linear(2, 2).eval()\nwith torch.inference_mode():\n    y = net(torch.ones(1, 2))"
    )
    moded = question(Kind.SHAPE, setup=setup, answer="y.shape")
    patches = {a.key: a.patch for a in grading_alternatives(moded)}
    assert patches == {
        "automatic:wrong-mode": Patch.WRONG_MODE,
        "automatic:grad-mode": Patch.GRAD_MODE,
    }
    off = question(Kind.SHAPE, setup="m = nn.Linear(2, 2).eval()", automatic_misconceptions=False)
    assert grading_alternatives(off) == ()
    assert grading_alternatives(question(Kind.CODE, check="assert True", solution="x = 1")) == ()


# -- code misconceptions: matched by how the check fails ----------------------------------------


def _code_question() -> Question:
    return Question.model_validate(
        {
            "id": "t.code",
            "kind": "code",
            "topic": "t",
            "prompt": "?",
            "solution": "def f(x):\n    return x",
            "check": "assert f(1) == 1",
            "misconceptions": [
                {"name": "a", "summary": "A", "code": "def f(x):\n    return 2"},
                {"name": "b", "summary": "B", "code": "def f(x):\n    return 3"},
                {"name": "c", "summary": "C", "code": "def f(x):\n    raise KeyError(x)"},
                {"name": "d", "summary": "D", "answer": "1"},
            ],
        }
    )


def _failed(key: str, message: str, kind: str = "AssertionError", step: str = "check") -> Outcome:
    error = RunError(type=kind, message=message, step=step)
    return Outcome(authored_key(key), False, error=error)


OUTCOMES = {
    authored_key("a"): _failed("a", "f(1) is 2, expected 1 (off by 1)"),
    authored_key("b"): _failed("b", "f(1) is 3, expected 1 (off by 2)"),
    authored_key("c"): _failed("c", "1", kind="KeyError", step="your code"),
}


@pytest.mark.parametrize(
    ("message", "kind", "step", "named"),
    [
        ("f(1) is 2, expected 1 (off by 1)", "AssertionError", "check", "a"),  # to the letter
        ("f(1) is 3, expected 1 (off by 2)  ", "AssertionError", "check", "b"),
        ("f(1) is 7, expected 1 (off by 6)", "AssertionError", "check", None),  # a and b alike
        # "c" alone fails this way: a symptom many mistakes share, not its fingerprint
        ("1", "KeyError", "your code", None),
        ("1", "ValueError", "your code", None),  # another error type
        ("f(1) is 2, expected 1 (off by 1)", "AssertionError", "setup", None),  # not the user's
    ],
)
def test_a_code_failure_names_the_one_misconception_that_fails_alike(
    message: str, kind: str, step: str, named: str | None
) -> None:
    error = RunError(type=kind, message=message, step=step)
    match = diagnose_code(_code_question(), error, OUTCOMES)
    assert (match.name if match else None) == named
    if match is not None:  # the failure matched, not the belief: it is worded that way
        assert match.basis is MatchBasis.FAILURE
        assert match.label == "Fails like a known mistake"


def test_the_same_assertion_with_other_numbers_is_another_mistake() -> None:
    """Only one misconception fails on values here, but an answer whose values are off by
    another amount made another mistake: naming "a" would be a wrong diagnosis."""
    outcomes = {
        authored_key("a"): _failed("a", "values differ (max abs difference 0.5)"),
        authored_key("b"): _failed("b", "values differ (max abs difference 0.75)"),
        authored_key("c"): _failed("c", "x was changed in place"),
    }
    error = RunError(type="AssertionError", message="values differ (max abs difference 1.25)")
    error = dataclasses.replace(error, step="check")
    assert diagnose_code(_code_question(), error, outcomes) is None
    same = dataclasses.replace(error, message="values differ  (max abs difference 0.5)\n")
    match = diagnose_code(_code_question(), same, outcomes)  # spacing aside, the same words
    assert match is not None and match.name == "a" and match.summary == "A"
    # a misconception whose run passed (validate reports it) or is missing never matches
    passed = {authored_key("a"): Outcome(authored_key("a"), True)}
    assert diagnose_code(_code_question(), same, passed) is None


def test_a_message_only_one_misconception_fails_with_is_a_symptom_not_a_diagnosis() -> None:
    """ "The body never changed" has many causes (a no_grad forward, zero_grad before step, an
    optimizer without the body): the one misconception that fails this way is not named."""
    outcomes = {
        authored_key("a"): _failed("a", "the body's weights never changed"),
        authored_key("b"): _failed("b", "values differ (max abs difference 0.75)"),
    }
    error = RunError(type="AssertionError", message="the body's weights never changed")
    assert (
        diagnose_code(_code_question(), dataclasses.replace(error, step="check"), outcomes) is None
    )
