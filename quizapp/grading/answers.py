"""Reading an answer for its kind: the parsed form and how it reads back to the user.

Front ends may call `read_answer` as the user types (no run needed) to show "reads as (16, 64)"
or the parse error before the answer is submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quizapp.bank.models import Kind
from quizapp.grading.compare import display_parsed, display_shape
from quizapp.grading.parse import (
    LETTERS,
    check_answer_size,
    parse_choice,
    parse_shape,
    parse_value,
)


@dataclass(frozen=True)
class ReadAnswer:
    """`parsed`: a shape tuple, a ParsedValue, an option index, or the text itself (output,
    code, recall). `display`: the answer normalised for display, e.g. "(16, 64)"."""

    parsed: Any
    display: str


def read_answer(kind: Kind, text: str, options: Sequence[str] | None = None) -> ReadAnswer:
    """Raises AnswerParseError (with a message for the user) when `text` cannot be read."""
    if kind is Kind.SHAPE:
        dims = parse_shape(text)
        return ReadAnswer(dims, display_shape(dims))
    if kind is Kind.VALUE:
        value = parse_value(text)
        return ReadAnswer(value, display_parsed(value))
    if kind is Kind.CHOICE:
        shown = tuple(options or ())
        index = parse_choice(text, shown)
        return ReadAnswer(index, f"{LETTERS[index]}) {shown[index]}")
    check_answer_size(text)  # code, output, recall: the same limit as any typed answer
    return ReadAnswer(text, text.strip())
