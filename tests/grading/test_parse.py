"""Answer parsing: every accepted spelling, round trips, and only AnswerParseError on junk."""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.grading.parse import (
    AnswerParseError,
    parse_choice,
    parse_shape,
    parse_value,
)

# -- shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(16, 64)",
        "16, 64",
        "16x64",
        "16 x 64",
        "16X64",
        "16×64",
        "[16, 64]",
        "torch.Size([16, 64])",
        "Size([16,64])",
        "  torch.Size([16, 64])  ",
        "`(16, 64)`",
        "(16, 64,)",
    ],
)
def test_shape_spellings(text: str) -> None:
    assert parse_shape(text) == (16, 64)


@pytest.mark.parametrize("text", ["()", "[]", "torch.Size([])", "Size([])", "torch.Size(())"])
def test_scalar_shape(text: str) -> None:
    assert parse_shape(text) == ()


@pytest.mark.parametrize("text", ["16", "(16,)", "[16]", "torch.Size([16])", "16,"])
def test_one_dim_shape(text: str) -> None:
    assert parse_shape(text) == (16,)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("16 by 64", "16x64"),
        ("-1, 4", "whole number"),
        ("1.5", "whole number"),
        ("(16, 64", "')'"),
        ("", "empty"),
        ("Size(16, 64", "')'"),
        ("abc", "not a dimension"),
    ],
)
def test_bad_shapes_say_what_was_expected(text: str, needle: str) -> None:
    with pytest.raises(AnswerParseError) as info:
        parse_shape(text)
    assert needle in str(info.value)
    assert "shape" in str(info.value)


def test_shape_error_quotes_the_answer() -> None:
    with pytest.raises(AnswerParseError, match="couldn't read '16 by 64' as a shape"):
        parse_shape("16 by 64")


dims_strategy = st.lists(st.integers(min_value=0, max_value=10**6), min_size=0, max_size=6)


def _spellings(dims: list[int]) -> list[str]:
    inner = ", ".join(map(str, dims))
    out = [f"[{inner}]", f"torch.Size([{inner}])", f"Size([{','.join(map(str, dims))}])"]
    out.append(f"({inner},)" if len(dims) == 1 else f"({inner})")
    if dims:
        out += [
            inner,
            "x".join(map(str, dims)),
            " x ".join(map(str, dims)),
            "×".join(map(str, dims)),
        ]
    return out


@given(dims_strategy)
def test_shape_round_trips_through_every_spelling(dims: list[int]) -> None:
    for text in _spellings(dims):
        assert parse_shape(text) == tuple(dims), text


@settings(max_examples=300)
@given(st.text())
def test_shape_junk_raises_only_parse_errors(text: str) -> None:
    try:
        result = parse_shape(text)
    except AnswerParseError:
        return
    assert all(isinstance(d, int) and d >= 0 for d in result)


# -- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("1", 1),
        ("-7", -7),
        ("1e-3", 1e-3),
        ("-0.5", -0.5),
        (".5", 0.5),
        ("3.", 3.0),
        ("True", True),
        ("false", False),
        ("TRUE", True),
        ("[1, 2, 3]", [1, 2, 3]),
        ("1, 2, 3", [1, 2, 3]),
        ("(1, 2)", [1, 2]),
        ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
        ("tensor([0.25, 0.5])", [0.25, 0.5]),
        ("torch.tensor([1, 2], dtype=torch.float32)", [1, 2]),
        ("tensor([2., 4.], requires_grad=True)", [2.0, 4.0]),
        ("tensor([0.5000], grad_fn=<MulBackward0>)", [0.5]),
        ("tensor([[1., 2.],\n        [3., 4.]])", [[1.0, 2.0], [3.0, 4.0]]),
        ("tensor(3.5000)", 3.5),
        ("tensor(3.5000, grad_fn=<SumBackward0>)", 3.5),
        ("tensor([1.0000e-03, 2.0000e+00])", [1e-3, 2.0]),
        ("tensor([True, False])", [True, False]),
        ("tensor([1, 2], device='cuda:0')", [1, 2]),
        ("Parameter containing:\ntensor([1., 2.], requires_grad=True)", [1.0, 2.0]),
        ("[]", []),
    ],
)
def test_value_spellings(text: str, data: object) -> None:
    parsed = parse_value(text)
    assert parsed.data == data
    assert type(parsed.data) is type(data)


def test_nan_and_inf() -> None:
    assert math.isnan(parse_value("nan").data)  # type: ignore[arg-type]
    assert parse_value("inf").data == math.inf
    assert parse_value("-inf").data == -math.inf
    flat = parse_value("tensor([nan, -inf, inf])").flat()
    assert math.isnan(flat[0]) and flat[1:] == [-math.inf, math.inf]


def test_shapes_of_values() -> None:
    assert parse_value("3").shape == ()
    assert parse_value("[[1, 2, 3], [4, 5, 6]]").shape == (2, 3)
    assert parse_value("tensor([[[1]]])").shape == (1, 1, 1)
    assert parse_value("tensor([1])").is_tensor
    assert not parse_value("[1]").is_tensor


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[1, [2]]", "different lengths"),
        ("[[1, 2], [3]]", "different lengths"),
        ("foo", "'foo' is not a number"),
        ("tensor([1., ..., 3.])", "left values out"),
        ("[1, 2", "']'"),
        ("1 2", "unexpected"),
        ("", "empty"),
        ("__import__('os').system('echo hi')", "not a number"),
        ("[" * 100 + "]" * 100, "nested too deeply"),
        ("1" * 5000, "too long"),
    ],
)
def test_bad_values_say_why(text: str, needle: str) -> None:
    with pytest.raises(AnswerParseError) as info:
        parse_value(text)
    assert needle in str(info.value)


scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=True, width=64),
)


def _nested(shape: list[int], elements: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    if not shape:
        return elements
    return st.lists(_nested(shape[1:], elements), min_size=shape[0], max_size=shape[0])


values_strategy = st.lists(st.integers(1, 3), min_size=0, max_size=3).flatmap(
    lambda shape: _nested(shape, scalars)
)


def _py(data: object) -> str:
    if isinstance(data, list):
        return "[" + ", ".join(_py(x) for x in data) + "]"
    if isinstance(data, float):
        return repr(data)
    return str(data)


def _torch_style(data: object) -> str:
    """Roughly how PyTorch prints: 'tensor(' + rows on new lines with trailing dots."""
    if isinstance(data, list):
        return "[" + ",\n        ".join(_torch_style(x) for x in data) + "]"
    if isinstance(data, float) and data.is_integer():
        return f"{data:.0f}."
    return _py(data)


@given(values_strategy)
def test_value_round_trips_through_every_spelling(data: object) -> None:
    texts = [
        _py(data),
        f"tensor({_py(data)})",
        f"torch.tensor({_py(data)}, dtype=torch.float64, requires_grad=True)",
        f"tensor({_torch_style(data)}, grad_fn=<AddBackward0>)",
    ]
    for text in texts:
        parsed = parse_value(text)
        assert parsed.data == data, text


@settings(max_examples=300)
@given(st.text())
def test_value_junk_raises_only_parse_errors(text: str) -> None:
    with contextlib.suppress(AnswerParseError):
        parse_value(text)


@settings(max_examples=300)
@given(st.text(alphabet="[](),.0123456789xeE+-tensorTrueFalsnaif <>=_ \n", max_size=40))
def test_value_near_miss_raises_only_parse_errors(text: str) -> None:
    with contextlib.suppress(AnswerParseError):
        parse_value(text)
    with contextlib.suppress(AnswerParseError):
        parse_shape(text)


# -- choices ----------------------------------------------------------------------------------

OPTIONS = ["x.grad is None", "x.grad equals 2*x", "backward() raises RuntimeError"]


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("a", 0),
        ("B", 1),
        ("b)", 1),
        ("(c)", 2),
        ("C.", 2),
        (" x.grad  EQUALS 2*x ", 1),
        ("`x.grad is None`", 0),
    ],
)
def test_choice_by_letter_or_text(text: str, index: int) -> None:
    assert parse_choice(text, OPTIONS) == index


@pytest.mark.parametrize(
    ("text", "needle"), [("d", "no option D"), ("maybe", "A-C"), ("", "empty")]
)
def test_bad_choice(text: str, needle: str) -> None:
    with pytest.raises(AnswerParseError, match=needle):
        parse_choice(text, OPTIONS)


def test_choice_text_beats_letter_when_an_option_is_a_letter() -> None:
    assert parse_choice("b", ["a", "b"]) == 1
    assert parse_choice("B)", ["b", "a"]) == 1


@given(st.text())
def test_choice_junk_raises_only_parse_errors(text: str) -> None:
    try:
        index = parse_choice(text, OPTIONS)
    except AnswerParseError:
        return
    assert 0 <= index < len(OPTIONS)
