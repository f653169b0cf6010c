"""Reading what a user typed. Answers are data: parsed here by a small hand-written reader,
never evaluated. Every failure is an `AnswerParseError` whose message says what was expected.

Shapes: `(16, 64)`, `16, 64`, `16x64`, `16 x 64`, `16×64`, `[16, 64]`, `torch.Size([16, 64])`,
`Size([16,64])`; `()`, `[]`, `torch.Size([])` for a scalar; `16` or `(16,)` for one dimension.

Values: ints, floats (`1e-3`, `-0.5`, `.5`, `nan`, `inf`), `True`/`False` (any case), nested
lists or tuples, `tensor([...])` / `torch.tensor([...], dtype=...)` (trailing keyword arguments
such as `dtype=`, `requires_grad=True`, `grad_fn=<MulBackward0>` are ignored), and tensors pasted
from PyTorch's own printing (`tensor([[1., 2.],\\n [3., 4.]])`, `tensor(3.5000)`,
`Parameter containing:` prefixes).

Choices: the letter an option is shown under (`b`, `B)`, `(b)`, `b.`, trailing punctuation
allowed), the option's text (case, whitespace and trailing punctuation do not matter), or the
option line as shown (`B) text`); a line whose letter and text name different options is
invalid.

Values may also be simple fractions of whole numbers (`3/4`, `-1/3`), read exactly.

Output lines (lenient comparison): `parse_literal` reads a Python literal with `ast.parse` and a
walk over literal nodes only; nothing is evaluated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

Scalar: TypeAlias = bool | int | float
# A parsed value: a scalar or a (possibly nested) list of scalars. Lists are rectangular.
Value: TypeAlias = "Scalar | list[Value]"


class AnswerParseError(ValueError):
    """The answer could not be read; `str(error)` is a message for the user."""


SHAPE_HINT = "type dimensions like 16x64 or (16, 64); () for a scalar"
MAX_ANSWER_CHARS = 64 * 1024  # longer is no answer anyone types (and costs seconds to read)
MAX_SHAPE_DIMS = 64  # PyTorch itself allows no more
# The largest float: an int past it cannot be compared with a float truth (OverflowError).
MAX_FLOAT_INT = int(1.7976931348623157e308)
VALUE_HINT = "type a number, True/False, a list like [[1, 2], [3, 4]] or tensor([...])"


def _quote(text: str, limit: int = 60) -> str:
    one_line = " ".join(text.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return f"'{one_line}'"


def check_answer_size(text: str) -> None:
    """Raises AnswerParseError for an answer longer than MAX_ANSWER_CHARS."""
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerParseError(
            f"the answer is {len(text):,} characters long; answers are at most "
            f"{MAX_ANSWER_CHARS // 1024} KiB ({_quote(text, 30)}...)"
        )


# --------------------------------------------------------------------------------------------
# A tiny character-level reader shared by the shape and value parsers.


class _Syntax(Exception):
    """Internal: where and why reading stopped; turned into an AnswerParseError by the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_NUMBER = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?)",
    re.IGNORECASE,
)
MAX_NUMBER_CHARS = 400  # int() refuses very long digit strings; nobody types those
MAX_DEPTH = 32  # nesting deeper than any real tensor answer; keeps the reader off the C stack
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_end(self) -> bool:
        return self.peek() == ""

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def expect(self, char: str, what: str) -> None:
        if not self.take(char):
            found = self.peek()
            raise _Syntax(f"expected {what}, found {found!r}" if found else f"expected {what}")

    def take_word(self, *words: str) -> str | None:
        """Consume one of `words` (case-insensitive, whole word only)."""
        self.skip_space()
        match = _WORD.match(self.text, self.pos)
        if match and match.group(0).lower() in {w.lower() for w in words}:
            self.pos = match.end()
            return match.group(0)
        return None

    def take_prefix(self, *names: str) -> bool:
        """Consume a dotted call prefix such as `torch.Size` or `Size` (case-sensitive)."""
        self.skip_space()
        for name in sorted(names, key=len, reverse=True):
            end = self.pos + len(name)
            if self.text.startswith(name, self.pos) and not (
                end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_")
            ):
                self.pos = end
                return True
        return False

    def number_token(self) -> str | None:
        self.skip_space()
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            return None
        end = match.end()
        if end - self.pos > MAX_NUMBER_CHARS:
            raise _Syntax("a number is too long")
        # "1e" or "nanx" is not a number; but "16x64" is a number followed by a separator.
        if (
            end < len(self.text)
            and (self.text[end].isalpha() or self.text[end] == "_")
            and self.text[end] not in "xX"
        ):
            return None
        self.pos = end
        return match.group(0)

    def skip_balanced_until_close(self) -> None:
        """Skip keyword arguments up to (not including) the `)` that closes the current call."""
        depth = 0
        quote = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char in "([{<":
                depth += 1
            elif char in ")]}>":
                if depth == 0:
                    if char == ")":
                        return
                    raise _Syntax(f"unbalanced {char!r}")
                depth -= 1
            self.pos += 1
        raise _Syntax("missing ')'")


# --------------------------------------------------------------------------------------------
# Shapes


def parse_shape(text: str) -> tuple[int, ...]:
    """`(16, 64)` and friends -> (16, 64). Raises AnswerParseError."""
    check_answer_size(text)
    stripped = text.strip().strip("`").strip()
    if not stripped:
        raise AnswerParseError(f"the answer is empty: expected a shape; {SHAPE_HINT}")
    try:
        dims = _read_shape(stripped)
    except _Syntax as exc:
        raise AnswerParseError(
            f"couldn't read {_quote(text)} as a shape ({exc.reason}): {SHAPE_HINT}"
        ) from None
    return dims


def _read_shape(text: str) -> tuple[int, ...]:
    reader = _Reader(text)
    wrapped = reader.take_prefix("torch.Size", "Size")
    if wrapped:
        reader.expect("(", "'(' after Size")
        dims = _read_shape_body(reader, closing=")")
        reader.expect(")", "')' closing Size(...)")
    else:
        dims = _read_shape_body(reader, closing="")
    if not reader.at_end():
        raise _Syntax(f"unexpected {reader.peek()!r}")
    return dims


def _read_shape_body(reader: _Reader, closing: str) -> tuple[int, ...]:
    """Either a bracketed dim list or bare dims separated by commas or x/×."""
    opener = reader.peek()
    if opener in "([":
        reader.pos += 1
        close = ")" if opener == "(" else "]"
        if reader.take(close):
            return ()
        dims = _read_dims(reader, close)
        reader.expect(close, f"{close!r}")
        return dims
    if opener in ("", closing):
        raise _Syntax("no dimensions")
    return _read_dims(reader, closing)


def _read_dims(reader: _Reader, close: str) -> tuple[int, ...]:
    dims = [_read_dim(reader)]
    while True:
        if len(dims) > MAX_SHAPE_DIMS:
            raise _Syntax(f"more than {MAX_SHAPE_DIMS} dimensions")
        nxt = reader.peek()
        if nxt in (",", "x", "X", "×", "*"):
            reader.pos += 1
            if nxt == "," and reader.peek() in (close, ""):
                break  # a trailing comma: (16,)
            dims.append(_read_dim(reader))
        else:
            break
    return tuple(dims)


def _read_dim(reader: _Reader) -> int:
    start = reader.pos
    token = reader.number_token()
    if token is None:
        reader.skip_space()
        found = reader.text[reader.pos : reader.pos + 10].split()
        word = found[0] if found else ""
        raise _Syntax(f"{word!r} is not a dimension" if word else "a dimension is missing")
    if not re.fullmatch(r"\+?\d+", token):
        reader.pos = start
        raise _Syntax(f"{_quote(token, 20)} is not a whole number ≥ 0")
    if len(token) > 19 or int(token) >= 2**63:
        raise _Syntax(f"{_quote(token, 20)} is larger than any dimension can be")
    return int(token)


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class ParsedValue:
    """A value answer: `data` is a scalar or rectangular nested list; `shape` its dimensions
    (() for a scalar). `is_tensor` says whether it was written as tensor(...)."""

    data: Value
    shape: tuple[int, ...]
    is_tensor: bool = False

    def flat(self) -> list[Scalar]:
        return flatten(self.data)


def flatten(data: Value) -> list[Scalar]:
    if isinstance(data, list):
        out: list[Scalar] = []
        for item in data:
            out.extend(flatten(item))
        return out
    return [data]


def parse_value(text: str) -> ParsedValue:
    """A literal: number, bool, nested list or tensor(...). Raises AnswerParseError."""
    check_answer_size(text)
    stripped = text.strip().strip("`").strip()
    stripped = re.sub(r"^Parameter containing:\s*", "", stripped)
    if not stripped:
        raise AnswerParseError(f"the answer is empty: {VALUE_HINT}")
    if "..." in stripped:
        raise AnswerParseError(
            f"couldn't read {_quote(text)} as a value: '...' means PyTorch left values out; "
            "type every element"
        )
    reader = _Reader(stripped)
    try:
        data, is_tensor = _read_top_value(reader)
        if not reader.at_end():
            raise _Syntax(f"unexpected {reader.peek()!r}")
        shape = _shape_of(data)
    except _Syntax as exc:
        raise AnswerParseError(
            f"couldn't read {_quote(text)} as a value ({exc.reason}): {VALUE_HINT}"
        ) from None
    return ParsedValue(data=data, shape=shape, is_tensor=is_tensor)


def value_from_data(data: object) -> ParsedValue:
    """A value given as plain data (e.g. a YAML literal) rather than text. Raises
    AnswerParseError unless it is a bool, number or rectangular nested list of those."""
    if isinstance(data, str):
        return parse_value(data)

    def convert(item: object, depth: int) -> Value:
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_FLOAT_INT:
            raise AnswerParseError(f"{_quote(str(item), 30)} is too large for a number here")
        if isinstance(item, bool | int | float):
            return item
        if isinstance(item, list | tuple) and depth < MAX_DEPTH:
            return [convert(x, depth + 1) for x in item]
        raise AnswerParseError(f"{item!r} is not a number, bool or list: {VALUE_HINT}")

    converted = convert(data, 0)
    try:
        shape = _shape_of(converted)
    except _Syntax as exc:
        raise AnswerParseError(f"{data!r}: {exc.reason}") from None
    return ParsedValue(data=converted, shape=shape)


def _read_top_value(reader: _Reader) -> tuple[Value, bool]:
    first, is_tensor = _read_value(reader)
    if reader.peek() != ",":
        return first, is_tensor
    # A bare comma-separated sequence, `1, 2, 3`, reads as a list.
    items = [first]
    while reader.take(","):
        if reader.at_end():
            break
        item, _ = _read_value(reader)
        items.append(item)
    return items, False


def _read_value(reader: _Reader) -> tuple[Value, bool]:
    reader.depth += 1
    try:
        if reader.depth > MAX_DEPTH:
            raise _Syntax("nested too deeply")
        return _read_value_inner(reader)
    finally:
        reader.depth -= 1


def _read_value_inner(reader: _Reader) -> tuple[Value, bool]:
    if reader.take_prefix("torch.tensor", "torch.Tensor", "tensor", "Tensor", "array", "np.array"):
        reader.expect("(", "'(' after tensor")
        data, _ = _read_value(reader)
        if reader.take(","):
            reader.skip_balanced_until_close()
        reader.expect(")", "')' closing tensor(...)")
        return data, True
    char = reader.peek()
    if char in "[(":
        reader.pos += 1
        close = "]" if char == "[" else ")"
        items: list[Value] = []
        if reader.take(close):
            return items, False
        while True:
            item, _ = _read_value(reader)
            items.append(item)
            if reader.take(","):
                if reader.take(close):
                    break
                continue
            reader.expect(close, f"',' or {close!r}")
            break
        return items, False
    return _read_scalar(reader), False


def _read_scalar(reader: _Reader) -> Scalar:
    word = reader.take_word("true", "false")
    if word is not None:
        return word.lower() == "true"
    token = reader.number_token()
    if token is None:
        reader.skip_space()
        rest = reader.text[reader.pos :]
        found = re.match(r"\S{1,20}", rest)
        raise _Syntax(f"{found.group(0)!r} is not a number" if found else "a number is missing")
    lowered = token.lower().lstrip("+")
    if reader.peek() == "/":
        return _read_fraction(reader, lowered)
    if re.fullmatch(r"-?\d+", lowered):
        number = int(lowered)
        if abs(number) > MAX_FLOAT_INT:
            raise _Syntax(
                f"{_quote(lowered, 20)} is too large (the largest number is about 1.8e308)"
            )
        return number
    if "inf" in lowered:
        return -math.inf if lowered.startswith("-") else math.inf
    return float(lowered)


def _read_fraction(reader: _Reader, numerator: str) -> float:
    """`3/4` after its numerator: a simple fraction of whole numbers, as a float."""
    from fractions import Fraction

    reader.pos += 1  # the "/"
    denominator = reader.number_token()
    if denominator is None or not re.fullmatch(r"\+?\d+", denominator):
        raise _Syntax("a fraction is two whole numbers, like 3/4")
    if not re.fullmatch(r"-?\d+", numerator):
        raise _Syntax(f"{numerator}/... is not a fraction of whole numbers, like 3/4")
    if int(denominator) == 0:
        raise _Syntax(f"{numerator}/{denominator} divides by zero")
    return float(Fraction(int(numerator), int(denominator)))


def _shape_of(data: Value) -> tuple[int, ...]:
    if not isinstance(data, list):
        return ()
    if not data:
        return (0,)
    inner = [_shape_of(item) for item in data]
    if any(s != inner[0] for s in inner):
        raise _Syntax("the rows have different lengths")
    return (len(data), *inner[0])


# --------------------------------------------------------------------------------------------
# Choices

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# `b`, `B)`, `(b)`, `b.`, `[b]`, `b:`, with any trailing punctuation (`b).`, `B!`).
_LETTER_FORMS = re.compile(r"^[(\[]?\s*([A-Za-z])\s*[).:\]]?\s*[.,;:!?]*$")
# The option line as shown: `B) text`, `b. text`, `(b) text`, `B: text`.
_OPTION_LINE = re.compile(r"^[(\[]?\s*([A-Za-z])\s*(?:[).:\]]|\s-)\s*(\S.*)$", re.DOTALL)
_TRAILING_PUNCTUATION = ".,;:!?"


def _normalise_option(text: str) -> str:
    return " ".join(text.strip().strip("`").split()).casefold()


def _loose_option(text: str) -> str:
    """An option's text with trailing punctuation and quotes dropped (`B) text.` pasted)."""
    return _normalise_option(text).rstrip(_TRAILING_PUNCTUATION).strip().strip("`'\"").strip()


def parse_choice(text: str, options: Sequence[str]) -> int:
    """The index into `options` (in the order shown, lettered A, B, C...) that the user chose."""
    if not options:
        raise AnswerParseError("this question has no options to choose from")
    check_answer_size(text)
    stripped = text.strip()
    if not stripped:
        raise AnswerParseError(f"the answer is empty: {_choice_hint(options)}")
    wanted = _normalise_option(stripped)
    for index, option in enumerate(options):
        if _normalise_option(option) == wanted:
            return index
    loose = _loose_option(stripped)
    by_loose_text = [i for i, option in enumerate(options) if _loose_option(option) == loose]
    if len(by_loose_text) == 1:
        return by_loose_text[0]
    line = _OPTION_LINE.match(stripped)
    if line and not _LETTER_FORMS.match(stripped):
        return _option_line(line.group(1), line.group(2), options, text)
    match = _LETTER_FORMS.match(stripped)
    if match:
        index = LETTERS.index(match.group(1).upper())
        if index < len(options):
            return index
        raise AnswerParseError(
            f"there is no option {match.group(1).upper()}: {_choice_hint(options)}"
        )
    raise AnswerParseError(f"{_quote(text)} is not one of the options: {_choice_hint(options)}")


def _option_line(letter: str, rest: str, options: Sequence[str], text: str) -> int:
    """`B) text` as pasted: the letter and the text must name the same option."""
    index = LETTERS.index(letter.upper())
    named = [i for i, option in enumerate(options) if _loose_option(option) == _loose_option(rest)]
    if index in named:
        return index
    if named:
        shown = LETTERS[named[0]] if named[0] < len(LETTERS) else "?"
        raise AnswerParseError(
            f"{_quote(text)} names option {letter.upper()} but gives the text of option {shown}; "
            f"{_choice_hint(options)}"
        )
    raise AnswerParseError(f"{_quote(text)} is not one of the options: {_choice_hint(options)}")


def _choice_hint(options: Sequence[str]) -> str:
    last = LETTERS[min(len(options), len(LETTERS)) - 1]
    return f"type a letter A-{last} or an option's text"


# --------------------------------------------------------------------------------------------
# Output lines: Python literals and tokens (never evaluated)

MAX_LITERAL_CHARS = 2_000
# A quoted string (not an apostrophe inside a word: `don't`), then words, then single symbols.
_STRING = r"""(?<![\w'"])(?:'[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*")"""
# A float as Python or torch prints it (`3.0`, `3.`, `.5`, `1e-03`, `1.5000e+02`), not inside a
# word (`fc1.weight` stays three tokens): compared by value, so `tensor([3.0])` is `tensor([3.])`.
_FLOAT = r"(?<![\w.])(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)(?![\w.])"
_TOKEN = re.compile(_STRING + "|" + _FLOAT + r"|\w+|\S", re.UNICODE)
_FLOAT_TOKEN = re.compile(_FLOAT)
# Python prints `True`, `False`, `None`; someone who types `true false` read the program right.
_KEYWORDS = {word.lower(): word for word in ("True", "False", "None")}
# A literal in canonical form: ("int", 3), ("str", "a"), ("tuple", (...)), ...; bools, ints and
# floats stay apart (`True` is not `1`, `1` is not `1.0`), as a printed line tells them apart.
CanonicalLiteral: TypeAlias = tuple[object, ...]


def parse_literal(text: str) -> CanonicalLiteral | None:
    """`text` as a Python literal in canonical form, or None when it is not one.

    Read with `ast.parse` and a walk over the allowed node types (constants, tuples, lists,
    sets, dicts, a sign on a number): nothing is evaluated. `False, True, False` is a tuple;
    `['1','1']` equals `["1", "1"]`; `(3,100)` equals `(3, 100)`.
    """
    import ast

    stripped = text.strip()
    if not stripped or len(stripped) > MAX_LITERAL_CHARS:
        return None
    try:
        tree = ast.parse(stripped, mode="eval")
        return _canonical(tree.body, 0)
    except (SyntaxError, ValueError, RecursionError, MemoryError, _NotLiteral):
        return None


class _NotLiteral(Exception):
    pass


def _canonical(node: object, depth: int) -> CanonicalLiteral:
    import ast

    if depth > MAX_DEPTH:
        raise _NotLiteral
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return ("bool", value)
        if value is None or value is Ellipsis:
            return ("const", repr(value))
        if isinstance(value, int | float | complex | str | bytes):
            return (type(value).__name__, value)
        raise _NotLiteral
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _canonical(node.operand, depth + 1)
        if inner[0] not in ("int", "float", "complex"):
            raise _NotLiteral
        number = inner[1]
        assert isinstance(number, int | float | complex)
        return (inner[0], -number if isinstance(node.op, ast.USub) else number)
    if isinstance(node, ast.Tuple | ast.List):
        name = "tuple" if isinstance(node, ast.Tuple) else "list"
        return (name, tuple(_canonical(item, depth + 1) for item in node.elts))
    if isinstance(node, ast.Set):
        return ("set", tuple(sorted((_canonical(i, depth + 1) for i in node.elts), key=repr)))
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            raise _NotLiteral  # {**other}
        pairs = [
            (_canonical(k, depth + 1), _canonical(v, depth + 1))
            for k, v in zip(node.keys, node.values, strict=True)
        ]
        return ("dict", tuple(sorted(pairs, key=repr)))
    raise _NotLiteral


def output_tokens(line: str) -> tuple[str, ...]:
    """A printed line as tokens (quoted strings, words, numbers' digits and single symbols):
    the whitespace between them does not count, so `x=1` and `x = 1` are the same line; a
    quoted string is one token, by its value, so `kw {'a': 1}` and `kw {"a": 1}` are too; and
    `True`, `False` and `None` are read whatever their case (`true false` is `True False`); a
    float is one token, by its value (`3.` is `3.0`; `3` is still not `3.0`)."""
    return tuple(_token(t) for t in _TOKEN.findall(line))


def _token(token: str) -> str:
    if token[0] in "'\"" and len(token) > 1:
        return _string_token(token)
    if _FLOAT_TOKEN.fullmatch(token):
        return "\0float:" + repr(float(token))
    return _KEYWORDS.get(token.lower(), token)


def _string_token(quoted: str) -> str:
    """A quoted string's token: its value (quotes and escapes read, never evaluated)."""
    import ast

    try:
        value = ast.literal_eval(quoted)
    except (SyntaxError, ValueError):
        return quoted
    return "\0str:" + value if isinstance(value, str) else quoted
