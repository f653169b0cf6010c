"""Comparison per kind on plain data (the runner's value encoding), and display helpers."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.bank.models import Tolerance
from quizapp.grading.compare import (
    TruthTypeError,
    compare_choice,
    compare_output,
    compare_shape,
    compare_value,
    display_array,
    display_encoded,
    display_shape,
    normalise_output,
    truth_array,
    truth_choice,
    truth_shape,
)
from quizapp.grading.parse import parse_value


def tensor(values: object, shape: list[int], dtype: str = "float32") -> dict[str, object]:
    return {
        "__tensor__": {
            "shape": shape,
            "dtype": dtype,
            "requires_grad": False,
            "values": values,
            "summary": "tensor(...)",
            "device": "cpu",
        }
    }


# -- shape ------------------------------------------------------------------------------------


def test_truth_shape_accepts_size_tuple_list() -> None:
    assert truth_shape({"__size__": [16, 64]}) == (16, 64)
    assert truth_shape({"__tuple__": [3]}) == (3,)
    assert truth_shape({"__list__": []}) == ()


@pytest.mark.parametrize(
    ("encoded", "needle"),
    [
        (tensor([1.0], [1]), "did you mean `.shape`"),
        (3, "an int"),
        ({"__list__": [1.5, 2]}, "not all whole numbers"),
        ({"__tuple__": [True, 2]}, "not all whole numbers"),
        ("16x64", "a str"),
    ],
)
def test_truth_shape_refuses_other_types(encoded: object, needle: str) -> None:
    with pytest.raises(TruthTypeError, match=needle):
        truth_shape(encoded)


def test_compare_shape() -> None:
    assert compare_shape((16, 64), (16, 64)).correct
    wrong_rank = compare_shape((16,), (16, 64))
    assert not wrong_rank.correct and "1 dimension" in wrong_rank.feedback
    swapped = compare_shape((64, 16), (16, 64))
    assert not swapped.correct and "wrong order" in swapped.feedback
    off = compare_shape((16, 32), (16, 64))
    assert not off.correct and "dimension 1" in off.feedback


def test_display_shape() -> None:
    assert display_shape((16, 64)) == "(16, 64)"
    assert display_shape((3,)) == "(3,)"
    assert display_shape(()) == "()"


# -- value ------------------------------------------------------------------------------------


def check(answer: str, encoded: object, tolerance: Tolerance | None = None) -> tuple[bool, str]:
    result = compare_value(parse_value(answer), truth_array(encoded), tolerance)
    return result.correct, result.feedback


def test_floats_within_default_tolerance() -> None:
    truth = tensor([0.25, 0.5], [2])
    assert check("[0.25, 0.5]", truth)[0]
    assert check("tensor([0.25001, 0.5])", truth)[0]
    ok, feedback = check("[0.25, 0.25]", truth)
    assert not ok
    assert feedback == "element [1] is 0.25, expected 0.5"


def test_question_tolerance_is_used() -> None:
    truth = tensor([1.0], [1])
    assert not check("1.01", truth)[0]
    assert check("1.01", truth, Tolerance(rtol=0.05, atol=0.0))[0]


def test_shape_mismatch_feedback() -> None:
    ok, feedback = check("[1, 2, 3]", tensor([1.0, 2.0], [2]))
    assert not ok
    assert feedback == "your value has shape (3,) but the answer has shape (2,)"


def test_mismatch_index_in_2d_and_count() -> None:
    truth = tensor([[1.0, 2.0], [3.0, 4.0]], [2, 2])
    ok, feedback = check("[[1, 2], [3, 5]]", truth)
    assert not ok and feedback.startswith("element [1, 1] is 5, expected 4.0")
    ok, feedback = check("[[0, 2], [3, 5]]", truth)
    assert "(2 of 4 elements differ)" in feedback


def test_ints_and_bools_are_exact() -> None:
    ints = tensor([1, 2], [2], "int64")
    assert check("[1, 2]", ints)[0]
    assert check("[1.0, 2.0]", ints)[0]
    assert not check("[1, 2.00001]", ints)[0]
    bools = tensor([True, False], [2], "bool")
    assert check("tensor([True, False])", bools)[0]
    ok, feedback = check("[1, 0]", bools)
    assert not ok and "True or False" in feedback
    assert not check("[True, True]", bools)[0]
    assert not check("True", 1)[0]  # a bool is not the int 1


def test_one_element_answers_match_one_element_truths() -> None:
    for truth in (tensor(3.5, []), tensor([3.5], [1]), tensor([[3.5]], [1, 1]), 3.5):
        for answer in ("3.5", "[3.5]", "tensor(3.5000)", "tensor([3.5])"):
            assert check(answer, truth)[0], (answer, truth)
    ok, feedback = check("3.0", tensor(3.5, []))
    assert not ok and feedback == "your value is 3.0, expected 3.5"


def test_nan_equals_nan_and_infinities() -> None:
    truth = tensor([math.nan, math.inf, -math.inf], [3])
    assert check("tensor([nan, inf, -inf])", truth)[0]
    assert not check("[0, inf, -inf]", truth)[0]
    assert not check("[nan, -inf, -inf]", truth)[0]
    assert not check("nan", 1.0)[0]


def test_plain_python_truths() -> None:
    assert check("[[1, 2], [3, 4]]", {"__list__": [{"__list__": [1, 2]}, {"__tuple__": [3, 4]}]})[0]
    assert check("True", True)[0]
    assert check("7", 7)[0]
    assert check("[1.5, 2]", {"__list__": [tensor(1.5, []), 2]})[0]


@pytest.mark.parametrize(
    ("encoded", "needle"),
    [
        ("hello", "a str"),
        (None, "None"),
        ({"__dict__": {"a": 1}}, "a dict"),
        ({"__repr__": "Linear()", "type": "Linear"}, "a Linear"),
        (tensor(None, [1000, 1000]), "too large"),
        (tensor([1.0], [1], "complex64"), "complex64"),
        ({"__list__": [{"__list__": [1, 2]}, {"__list__": [3]}]}, "different lengths"),
    ],
)
def test_value_truth_of_wrong_type(encoded: object, needle: str) -> None:
    with pytest.raises(TruthTypeError, match=needle):
        truth_array(encoded)


def test_display_values() -> None:
    assert display_array(truth_array(tensor([0.25, 0.5], [2]))) == "tensor([0.25, 0.5])"
    assert display_array(truth_array(tensor([[1.0, 2.0]], [1, 2]))) == "tensor([[1.0, 2.0]])"
    assert display_array(truth_array(True)) == "True"
    assert display_array(truth_array(tensor([1, 2], [2], "int64"))) == "tensor([1, 2])"
    assert display_encoded({"__size__": [2, 3]}) == "torch.Size([2, 3])"
    assert display_encoded({"__tuple__": [1]}) == "(1,)"
    assert display_encoded("text") == "text"


# -- choice -----------------------------------------------------------------------------------


def test_choice_truth_and_compare() -> None:
    options = ["a tensor", "None"]
    assert truth_choice("None", options) == "None"
    with pytest.raises(TruthTypeError, match="not among the options"):
        truth_choice("nothing", options)
    with pytest.raises(TruthTypeError, match="an int"):
        truth_choice(1, options)
    assert compare_choice(1, options, "None").correct
    wrong = compare_choice(0, options, "None")
    assert not wrong.correct and wrong.feedback == "you chose A) a tensor"


# -- output -----------------------------------------------------------------------------------


def test_output_ignores_trailing_spaces_and_blank_lines() -> None:
    truth = "tensor([1., 2.])\nTrue\n"
    assert compare_output("tensor([1., 2.])   \nTrue\n\n\n", truth).correct
    assert compare_output("tensor([1., 2.])\r\nTrue", truth).correct
    assert normalise_output("a  \n\n") == "a"


def test_output_mismatch_names_the_line() -> None:
    truth = "a\nb\nc\n"
    result = compare_output("a\nB\nc", truth)
    assert not result.correct and result.feedback == "line 2 is 'B', expected 'b'"
    assert "2 line(s) given; the output has 3" in compare_output("a\nb", truth).feedback
    assert not compare_output("  a\nb\nc", truth).correct  # leading spaces do count


def _nested(shape: list[int], elements: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    if not shape:
        return elements
    return st.lists(_nested(shape[1:], elements), min_size=shape[0], max_size=shape[0])


_DTYPES = {
    "float32": st.floats(allow_nan=True, allow_infinity=True, width=32),
    "int64": st.integers(-(2**40), 2**40),
    "bool": st.booleans(),
}


@given(
    st.sampled_from(sorted(_DTYPES)).flatmap(
        lambda dtype: st.lists(st.integers(1, 3), max_size=3).flatmap(
            lambda shape: st.tuples(st.just(dtype), st.just(shape), _nested(shape, _DTYPES[dtype]))
        )
    )
)
def test_a_displayed_truth_reads_back_as_correct(case: tuple[str, list[int], Any]) -> None:
    """What the user is shown as the answer, typed back, is always graded correct."""
    dtype, shape, values = case
    truth = truth_array(tensor(values, shape, dtype))
    shown = display_array(truth)
    assert compare_value(parse_value(shown), truth).correct, shown
