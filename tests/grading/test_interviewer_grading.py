"""Grading as an interviewer would: lenient output lines, pasted option lines, must points,
fractions. Parsers never evaluate; hypothesis drives the open-ended inputs."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.bank.models import OutputCompare
from quizapp.grading.compare import compare_output
from quizapp.grading.parse import (
    LETTERS,
    AnswerParseError,
    output_tokens,
    parse_choice,
    parse_literal,
    parse_value,
)

LENIENT = OutputCompare.LENIENT
EXACT = OutputCompare.EXACT


# -- output ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "truth"),
    [
        ("(3,100)", "(3, 100)"),
        ("['1','1']", '["1", "1"]'),
        ("False,True,False", "False, True, False"),
        ("{'a': 1,'b':2}", "{'b': 2, 'a': 1}"),
        ("tensor([1.,2.])", "tensor([1., 2.])"),
        ("x =  3", "x = 3"),
        ("torch.Size([2,3])\n(4,)", "torch.Size([2, 3])\n(4,)"),
        ("\n(3, 4)", "(3, 4)"),  # a blank first line from pasting
        # not a literal as a whole, but its quoted strings compare by value
        ('kw 1 {"scale": 0.5}', "kw 1 {'scale': 0.5}"),
        ("names: ['fc1',  'relu']", "names: ['fc1', 'relu']"),
        ("it's 'x'", 'it\'s "x"'),
        # Python's keywords whatever their case: `true false` is a correct reading
        ("true false", "True False"),
        ("[true, FALSE, none]", "[True, False, None]"),
        ("leaf: true grad: none", "leaf: True grad: None"),
        # a float by its value, as torch or Python may print it
        ("tensor([3.0, 3.0])", "tensor([3., 3.])"),
        ("mean 0.5 std 1.0", "mean 0.5000 std 1.0000e+00"),
        ("x [3., .5]", "x [3.0, 0.5]"),
    ],
)
def test_lenient_output_accepts_what_an_interviewer_would(given: str, truth: str) -> None:
    assert compare_output(given, truth, LENIENT).correct
    if given.strip() != truth.strip():
        assert not compare_output(
            given, truth, EXACT
        ).correct  # `compare: exact` keeps today's rule


@pytest.mark.parametrize(
    ("given", "truth"),
    [
        ("(3, 10)", "(3, 100)"),
        ("1", "1.0"),  # an int is not a float
        ("True", "1"),  # nor is a bool an int
        ("['1', '1']", "[1, 1]"),  # strings are not numbers
        ("helloworld", "hello world"),  # whitespace separates tokens
        ("(3, 4)", "(3, 4)\n(5,)"),
        ("kw 1 {'scale': 0.6}", "kw 1 {'scale': 0.5}"),
        ("kw {'a b': 1}", "kw {'ab': 1}"),  # inside quotes, spaces count
        ("kw {'1': 1}", "kw {1: 1}"),  # a string is not a number
        ("true true", "True False"),  # case is forgiven, the value is not
        ("'True'", "True"),  # a quoted string is not the keyword
        ("trueish", "True"),
        ("tensor([3, 3])", "tensor([3., 3.])"),  # an int is still not a float
        ("tensor([3.01, 3.])", "tensor([3., 3.])"),
        ("fc1.weight 2.13", "fc1.weight 2.130.1"),  # dots inside names and versions stay apart
    ],
)
def test_lenient_output_still_rejects_a_different_line(given: str, truth: str) -> None:
    assert not compare_output(given, truth, LENIENT).correct


literals = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


def show(value: Any, pad: str, quote: str) -> str:
    """`value` printed as a literal, with `pad` after commas and colons and `quote` around
    strings that need no escaping: what two people might both call "the same line"."""
    if isinstance(value, str):
        plain = all(c.isalnum() or c == " " for c in value)
        return f"{quote}{value}{quote}" if plain else repr(value)
    if isinstance(value, list):
        return "[" + ("," + pad).join(show(v, pad, quote) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ("," + pad).join(show(v, pad, quote) for v in value)
        return "(" + inner + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        items = (f"{show(k, pad, quote)}:{pad}{show(v, pad, quote)}" for k, v in value.items())
        return "{" + ("," + pad).join(items) + "}"
    return repr(value)


def typed(value: Any) -> Any:
    """An independent oracle: equality that tells bool, int and float apart."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(typed(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((typed(k), typed(v)) for k, v in value.items()))
    return (type(value).__name__, value)


@given(literals, st.sampled_from(["", " ", "  "]), st.sampled_from(["'", '"']))
def test_a_printed_literal_compares_as_itself_however_spaced_or_quoted(
    value: Any, pad: str, quote: str
) -> None:
    printed, retyped = repr(value), show(value, pad, quote)
    assert ast.literal_eval(retyped) == value  # the oracle printer really prints `value`
    assert parse_literal(retyped) == parse_literal(printed) is not None
    assert compare_output(retyped, printed, LENIENT).correct


@given(literals, literals)
def test_different_literals_never_compare_equal(a: Any, b: Any) -> None:
    same = typed(a) == typed(b)
    assert compare_output(repr(a), repr(b), LENIENT).correct == same


@given(st.text(max_size=200))
def test_parse_literal_never_raises_and_never_evaluates(text: str) -> None:
    result = parse_literal(text)
    assert result is None or isinstance(result, tuple)


def test_parse_literal_does_not_evaluate_code() -> None:
    for code in (
        "__import__('os').system('true')",
        "(lambda: 1)()",
        "1 + 2",
        "x",
        "[i for i in ()]",
    ):
        assert parse_literal(code) is None
    assert parse_literal("[" * 5000 + "]" * 5000) is None  # too deep or too long: not a literal


@given(st.lists(st.from_regex(r"[A-Za-z0-9_]{1,6}|[()\[\],.:=+*-]", fullmatch=True), max_size=12))
def test_whitespace_between_tokens_never_counts(tokens: list[str]) -> None:
    tight = "".join(tokens)
    spaced = " ".join(tokens)
    # joining word tokens without a space merges them: only compare when they stay apart
    if output_tokens(tight) == output_tokens(spaced):
        assert compare_output(tight, spaced, LENIENT).correct


# -- choice ------------------------------------------------------------------------------------

OPTIONS = ["7.0: detach() shares storage", "7.0: a copy", "an error"]


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("A) 7.0: detach() shares storage", 0),
        ("B) 7.0: a copy", 1),
        ("b. 7.0: a copy", 1),
        ("(c) an error.", 2),
        ("b.", 1),
        ("B).", 1),
        ("c!", 2),
        ("7.0: a copy.", 1),
        ("an error!", 2),
    ],
)
def test_a_pasted_option_line_or_punctuated_letter_is_accepted(text: str, index: int) -> None:
    assert parse_choice(text, OPTIONS) == index


def test_an_option_line_whose_letter_and_text_disagree_is_invalid() -> None:
    with pytest.raises(AnswerParseError, match="names option A but gives the text of option B"):
        parse_choice("A) 7.0: a copy", OPTIONS)
    with pytest.raises(AnswerParseError, match="not one of the options"):
        parse_choice("a) something else", OPTIONS)


option_texts = st.lists(
    st.text(st.characters(codec="ascii", categories=("L", "N", "Zs")), min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool),
    min_size=2,
    max_size=6,
    unique_by=lambda t: " ".join(t.split()).casefold(),
)


@given(option_texts, st.data())
def test_every_option_line_as_shown_reads_as_its_option(options: list[str], data: Any) -> None:
    index = data.draw(st.integers(0, len(options) - 1))
    separator = data.draw(st.sampled_from([") ", ". ", ": ", ")  "]))
    trailing = data.draw(st.sampled_from(["", ".", "!"]))
    letter = data.draw(st.sampled_from([LETTERS[index], LETTERS[index].lower()]))
    assert parse_choice(f"{letter}{separator}{options[index]}{trailing}", options) == index
    assert parse_choice(f"{letter}{trailing}", options) == index or options[index] != letter


# -- value: fractions --------------------------------------------------------------------------


@given(st.integers(-1000, 1000), st.integers(1, 1000))
def test_a_simple_fraction_is_a_number(numerator: int, denominator: int) -> None:
    parsed = parse_value(f"{numerator}/{denominator}")
    assert parsed.shape == () and parsed.data == pytest.approx(numerator / denominator)
    listed = parse_value(f"[{numerator}/{denominator}, 1]")
    assert listed.shape == (2,)


@pytest.mark.parametrize("text", ["1/0", "1.5/2", "3/", "3/x", "1/2/3"])
def test_a_bad_fraction_is_invalid(text: str) -> None:
    with pytest.raises(AnswerParseError):
        parse_value(text)


# -- recall pass mark ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "mark", "needed"),
    [
        (4, 0.75, 3),
        (6, 0.67, 4),
        (6, 0.66, 4),
        (3, 0.67, 2),
        (5, 0.6, 3),
        (4, 1.0, 4),
        (2, 0.01, 1),
    ],
)
def test_points_needed_reads_the_pass_mark_to_the_percent_as_shown(
    count: int, mark: float, needed: int
) -> None:
    from quizapp.grading.live import points_needed

    assert points_needed(count, mark) == needed


@given(st.integers(1, 40), st.floats(0.01, 1.0))
def test_points_needed_is_the_fewest_whose_shown_percent_reaches_the_mark(
    count: int, mark: float
) -> None:
    from quizapp.grading.live import points_needed

    needed = points_needed(count, mark)
    assert 1 <= needed <= count
    if needed < count:  # what the user sees: the share rounded to the percent, against the mark
        assert needed / count + 0.005 >= mark
    if needed > 1:
        assert (needed - 1) / count + 0.005 < mark
