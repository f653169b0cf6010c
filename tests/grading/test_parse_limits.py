"""Answers that used to crash or stall grading (issue 11): each is invalid with a short message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.grading.compare import display_parsed, display_shape
from quizapp.grading.parse import (
    MAX_ANSWER_CHARS,
    AnswerParseError,
    parse_choice,
    parse_shape,
    parse_value,
    value_from_data,
)


def test_a_310_digit_integer_is_invalid_not_an_overflow() -> None:
    for text in ("9" * 310, "-" + "9" * 310, "[1.5, " + "9" * 310 + "]"):
        with pytest.raises(AnswerParseError, match="too large"):
            parse_value(text)
    with pytest.raises(AnswerParseError, match="too large"):
        value_from_data(10**400)
    assert parse_value("9" * 300).data == int("9" * 300)  # still a float-sized number
    assert parse_value("1e400").data == float("inf")


def test_a_dimension_too_large_for_any_tensor_is_invalid() -> None:
    with pytest.raises(AnswerParseError, match="larger than any dimension"):
        parse_shape("(2, " + "9" * 100 + ")")


@pytest.mark.parametrize("parse", [parse_value, parse_shape, lambda t: parse_choice(t, ["a", "b"])])
def test_a_5_mb_answer_is_refused_at_once_with_a_short_message(parse: object) -> None:
    text = "[" + ", ".join(["1"] * 1_250_000) + "]"
    with pytest.raises(AnswerParseError) as info:
        parse(text)  # type: ignore[operator]
    message = str(info.value)
    assert "at most 64 KiB" in message and len(message) < 200


def test_an_answer_just_under_the_limit_is_read() -> None:
    items = ", ".join(["1"] * ((MAX_ANSWER_CHARS - 2) // 3))
    assert len(parse_value(f"[{items}]").flat()) > 20_000


def test_a_shape_with_too_many_dimensions_is_invalid() -> None:
    with pytest.raises(AnswerParseError, match="more than 64 dimensions"):
        parse_shape(", ".join(["1"] * 100))


def test_feedback_quotes_a_short_excerpt() -> None:
    assert len(display_shape(tuple(range(60)))) < 60
    value = parse_value("[" + ", ".join(["1.5"] * 5000) + "]")
    assert len(display_parsed(value)) <= 200


@given(st.text(max_size=300))
def test_no_text_crashes_the_parsers(text: str) -> None:
    for parse in (parse_value, parse_shape, lambda t: parse_choice(t, ["x", "y"])):
        try:
            parse(text)
        except AnswerParseError as exc:
            assert len(str(exc)) < 600
