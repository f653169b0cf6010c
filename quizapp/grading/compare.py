"""Comparing a parsed answer with the live truth, on plain data in the parent process.

The truth arrives in the runner's value encoding (see the bottom of quizapp/runner/protocol.py).
`truth_shape` / `truth_array` decode it for a kind and raise `TruthTypeError` when the question's
`answer` produced something that kind cannot grade (the question's fault, reported by validation).

Value rules:
- same shape, then element by element: bools must be bools and equal; ints exactly equal (an
  answer of 2.0 for an int 2 is fine); floats within `rtol`/`atol` (|a - b| <= atol + rtol*|b|),
  with NaN equal to NaN and infinities equal to the same infinity.
- a one-element answer matches a one-element truth whatever the nesting: `3.5`, `[3.5]` and
  `tensor(3.5)` all match a truth of `tensor(3.5)`, `tensor([3.5])` or `3.5`. Beyond one element,
  the shape must match exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from quizapp.bank.models import OutputCompare, Tolerance
from quizapp.grading.parse import (
    LETTERS,
    ParsedValue,
    Scalar,
    Value,
    flatten,
    output_tokens,
    parse_literal,
)

DEFAULT_TOLERANCE = Tolerance(rtol=1e-4, atol=1e-6)
ElementKind = Literal["bool", "int", "float"]


class TruthTypeError(ValueError):
    """The question's truth has a type its kind cannot grade; `str()` says which and why."""


@dataclass(frozen=True)
class Comparison:
    correct: bool
    feedback: str = ""


# --------------------------------------------------------------------------------------------
# Decoding the runner's encoding


def describe_encoded(encoded: Any) -> str:
    """What kind of Python object an encoded value was, in words (for error messages)."""
    if encoded is None:
        return "None"
    if isinstance(encoded, bool):
        return "a bool"
    if isinstance(encoded, int):
        return "an int"
    if isinstance(encoded, float):
        return "a float"
    if isinstance(encoded, str):
        return "a str"
    if isinstance(encoded, dict):
        if _is_tensor(encoded):
            info = _tensor_info(encoded)
            return f"a {info.get('dtype', '?')} tensor of shape {display_shape(info['shape'])}"
        if "__size__" in encoded:
            return "a torch.Size"
        if "__list__" in encoded:
            return "a list"
        if "__tuple__" in encoded:
            return "a tuple"
        if "__dict__" in encoded:
            return "a dict"
        if "__repr__" in encoded:
            return f"a {encoded.get('type', 'object')}"
    return type(encoded).__name__


def truth_shape(encoded: Any) -> tuple[int, ...]:
    """A shape question's truth: torch.Size, or a tuple/list of non-negative ints."""
    if isinstance(encoded, dict):
        for key in ("__size__", "__tuple__", "__list__"):
            if key in encoded:
                items = encoded[key]
                if all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in items):
                    return tuple(items)
                raise TruthTypeError(
                    f"`answer` gave {describe_encoded(encoded)} that is not all whole numbers "
                    "≥ 0; a shape question needs a torch.Size or a tuple/list of ints "
                    "(did you mean `.shape`?)"
                )
    hint = " (did you mean `.shape`?)" if _is_tensor(encoded) else ""
    raise TruthTypeError(
        f"`answer` gave {describe_encoded(encoded)}; a shape question needs a torch.Size or a "
        f"tuple/list of ints{hint}"
    )


def _is_tensor(encoded: Any) -> bool:
    return isinstance(encoded, dict) and "__tensor__" in encoded


def _tensor_info(encoded: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = encoded["__tensor__"]
    return info


@dataclass(frozen=True)
class TruthArray:
    """A value question's truth: its shape, its elements flattened, and each element's kind."""

    shape: tuple[int, ...]
    flat: tuple[Scalar, ...]
    kinds: tuple[ElementKind, ...]
    is_tensor: bool
    data: Value  # nested plain data (JSON-able) for GradeResult.expected

    @property
    def numel(self) -> int:
        return len(self.flat)


def _element_kind(value: Any) -> ElementKind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "float"


def _dtype_kind(dtype: str) -> ElementKind:
    name = dtype.removeprefix("torch.")
    if name == "bool":
        return "bool"
    if name.startswith(("int", "uint", "long", "short")):
        return "int"
    if name.startswith(("float", "bfloat", "half", "double")):
        return "float"
    raise TruthTypeError(
        f"`answer` gave a {name} tensor; a value question needs bool, int or float elements"
    )


def truth_array(encoded: Any) -> TruthArray:
    """A value question's truth: a number, bool, tensor, or a (nested) list/tuple of those."""
    if _is_tensor(encoded):
        info = _tensor_info(encoded)
        shape = tuple(int(d) for d in info["shape"])
        kind = _dtype_kind(str(info.get("dtype", "float32")))
        values = info.get("values")
        if values is None:
            raise TruthTypeError(
                f"`answer` gave a tensor of shape {display_shape(shape)}, too large to grade "
                "element by element; ask about a smaller tensor or a summary of it"
            )
        data = _coerce(values, kind)
        flat = tuple(flatten(data))
        return TruthArray(shape, flat, (kind,) * len(flat), True, data)
    data = _decode_plain(encoded, depth=0)
    flat = tuple(flatten(data))
    try:
        shape = _rect_shape(data)
    except TruthTypeError:
        raise TruthTypeError(
            "`answer` gave nested lists with rows of different lengths; a value question "
            "needs a rectangular list"
        ) from None
    return TruthArray(shape, flat, tuple(_element_kind(v) for v in flat), False, data)


def _coerce(values: Any, kind: ElementKind) -> Value:
    if isinstance(values, list):
        return [_coerce(v, kind) for v in values]
    if kind == "bool":
        return bool(values)
    if kind == "int":
        return int(values)
    return float(values)


def _decode_plain(encoded: Any, depth: int) -> Value:
    if isinstance(encoded, bool | int | float):
        return encoded
    if depth < 32 and isinstance(encoded, dict):
        for key in ("__list__", "__tuple__", "__size__"):
            if key in encoded:
                return [_decode_plain(item, depth + 1) for item in encoded[key]]
        if _is_tensor(encoded) and depth > 0:
            inner = truth_array(encoded)
            if inner.shape == ():
                return inner.flat[0]
            return inner.data
    raise TruthTypeError(
        f"`answer` gave {describe_encoded(encoded)}; a value question needs a number, a bool, "
        "a tensor or a (nested) list of numbers"
    )


def _rect_shape(data: Value) -> tuple[int, ...]:
    if not isinstance(data, list):
        return ()
    if not data:
        return (0,)
    inner = [_rect_shape(item) for item in data]
    if any(s != inner[0] for s in inner):
        raise TruthTypeError("ragged")
    return (len(data), *inner[0])


def truth_choice(encoded: Any, options: Sequence[str]) -> str:
    """A choice question's truth: a str equal to one of the options."""
    if not isinstance(encoded, str):
        raise TruthTypeError(
            f"`answer` gave {describe_encoded(encoded)}; a choice question's answer must "
            "evaluate to one of the options (a str)"
        )
    if encoded not in options:
        raise TruthTypeError(
            f"`answer` gave {encoded!r}, which is not among the options {list(options)!r}"
        )
    return encoded


# --------------------------------------------------------------------------------------------
# Comparing


def compare_shape(given: tuple[int, ...], truth: tuple[int, ...]) -> Comparison:
    if tuple(given) == tuple(truth):
        return Comparison(True)
    if len(given) != len(truth):
        return Comparison(
            False,
            f"{display_shape(given)} has {_dims(len(given))}; the shape has {_dims(len(truth))}",
        )
    if sorted(given) == sorted(truth):
        return Comparison(False, f"{display_shape(given)} has the right sizes in the wrong order")
    wrong = [i for i, (g, t) in enumerate(zip(given, truth, strict=True)) if g != t]
    which = ", ".join(str(i) for i in wrong)
    return Comparison(False, f"{display_shape(given)} differs in dimension {which}")


def _dims(n: int) -> str:
    return "1 dimension" if n == 1 else f"{n} dimensions"


def compare_value(
    given: ParsedValue, truth: TruthArray, tolerance: Tolerance | None = None
) -> Comparison:
    tol = tolerance or DEFAULT_TOLERANCE
    flat_given = given.flat()
    one_each = len(flat_given) == 1 and truth.numel == 1
    if not one_each and tuple(given.shape) != truth.shape:
        return Comparison(
            False,
            f"your value has shape {display_shape(given.shape)} but the answer has shape "
            f"{display_shape(truth.shape)}",
        )
    mismatches: list[tuple[int, str]] = []
    for index, (g, t, kind) in enumerate(zip(flat_given, truth.flat, truth.kinds, strict=True)):
        problem = _element_problem(g, t, kind, tol)
        if problem is not None:
            mismatches.append((index, problem))
    if not mismatches:
        return Comparison(True)
    index, problem = mismatches[0]
    if one_each or truth.shape == ():
        where = "your value"
    else:
        where = f"element {_index_text(index, truth.shape)}"
    feedback = f"{where} {problem}"
    if len(mismatches) > 1:
        feedback += f" ({len(mismatches)} of {truth.numel} elements differ)"
    return Comparison(False, feedback)


def _element_problem(given: Scalar, truth: Scalar, kind: ElementKind, tol: Tolerance) -> str | None:
    shown = f"is {format_scalar(given)}, expected {format_scalar(truth)}"
    if kind == "bool":
        if not isinstance(given, bool):
            return f"is {format_scalar(given)}, expected True or False ({format_scalar(truth)})"
        return None if given == truth else shown
    if isinstance(given, bool):
        return f"is {given}, expected a number ({format_scalar(truth)})"
    if kind == "int":
        return None if given == truth else shown
    return None if values_close(float(given), float(truth), tol) else shown


def values_close(given: float, truth: float, tol: Tolerance) -> bool:
    if math.isnan(truth) or math.isnan(given):
        return math.isnan(truth) and math.isnan(given)
    if math.isinf(truth) or math.isinf(given):
        return given == truth
    return abs(given - truth) <= tol.atol + tol.rtol * abs(truth)


def _index_text(flat_index: int, shape: tuple[int, ...]) -> str:
    coords: list[int] = []
    for size in reversed(shape):
        coords.append(flat_index % size if size else 0)
        flat_index = flat_index // size if size else 0
    return "[" + ", ".join(str(c) for c in reversed(coords)) + "]"


def normalise_output(text: str) -> str:
    """Trailing spaces on each line and trailing blank lines do not count."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def output_lines_equal(given: str, truth: str, mode: OutputCompare) -> bool:
    """One printed line against the truth's, by the question's `compare` rule."""
    if given == truth:
        return True
    if mode is OutputCompare.EXACT:
        return False
    mine, theirs = parse_literal(given), parse_literal(truth)
    if mine is not None and theirs is not None:
        return mine == theirs
    return output_tokens(given) == output_tokens(truth)


def compare_output(given: str, truth: str, mode: OutputCompare = OutputCompare.EXACT) -> Comparison:
    """Exact: line by line after trimming trailing spaces and trailing blank lines. Lenient
    (the default of a question's `compare`): also, whitespace between tokens does not count and
    a line that parses as a Python literal compares as that literal."""
    mine, theirs = normalise_output(given), normalise_output(truth)
    if mine == theirs:
        return Comparison(True)
    a, b = mine.split("\n"), theirs.split("\n")
    if mode is OutputCompare.LENIENT:
        while a and not a[0].strip() and len(a) > len(b):
            a.pop(0)  # a blank first line from pasting; never a printed line
    for number, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if not output_lines_equal(x, y, mode):
            return Comparison(False, f"line {number} is {x!r}, expected {y!r}")
    if len(a) == len(b):
        return Comparison(True)
    if len(a) < len(b):
        return Comparison(False, f"{len(a)} line(s) given; the output has {len(b)}")
    return Comparison(False, f"{len(a)} lines given; the output has only {len(b)}")


def compare_choice(given_index: int, options: Sequence[str], truth: str) -> Comparison:
    chosen = options[given_index]
    if chosen == truth:
        return Comparison(True)
    return Comparison(False, f"you chose {LETTERS[given_index]}) {chosen}")


# --------------------------------------------------------------------------------------------
# Display


def display_shape(dims: Sequence[int]) -> str:
    """(16, 64); (16,) for one dimension; () for a scalar."""
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(str(d) for d in dims) + ")"


def format_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value.is_integer() and abs(value) < 1e16:
            return f"{value:.1f}"
        return f"{value:.6g}"
    return str(value)


def format_nested(data: Value) -> str:
    if isinstance(data, list):
        return "[" + ", ".join(format_nested(item) for item in data) + "]"
    return format_scalar(data)


def display_array(truth: TruthArray) -> str:
    """tensor([0.25, 0.5]) for a tensor truth; [1, 2] or 3.5 for plain Python data."""
    body = format_nested(truth.data)
    return f"tensor({body})" if truth.is_tensor else body


def display_parsed(value: ParsedValue) -> str:
    body = format_nested(value.data)
    return f"tensor({body})" if value.is_tensor else body


def display_encoded(encoded: Any) -> str:
    """Any encoded value as a user should read it (used where the kind has no better form)."""
    if isinstance(encoded, str):
        return encoded
    if isinstance(encoded, dict):
        if "__size__" in encoded:
            return f"torch.Size({list(encoded['__size__'])})"
        if _is_tensor(encoded):
            try:
                return display_array(truth_array(encoded))
            except TruthTypeError:
                return str(_tensor_info(encoded).get("summary", "tensor(...)"))
        if "__repr__" in encoded:
            return str(encoded["__repr__"])
        if "__dict__" in encoded:
            items = ", ".join(
                f"{k!r}: {display_encoded(v)}" for k, v in encoded["__dict__"].items()
            )
            return "{" + items + "}"
        if "__tuple__" in encoded:
            inner = [display_encoded(v) for v in encoded["__tuple__"]]
            return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        if "__list__" in encoded:
            return "[" + ", ".join(display_encoded(v) for v in encoded["__list__"]) + "]"
    return format_scalar(encoded)
