"""Pydantic validation errors rewritten as sentences an author can act on."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from quizapp.bank.models import (
    ID_PATTERN,
    Difficulty,
    Kind,
    ModesSpec,
    Question,
    RangeParam,
    Requires,
    Tolerance,
    TraceSpec,
)

# Filled in by the loader, never read from YAML.
LOADER_ONLY_FIELDS = frozenset({"source_file", "source_line", "must_points"})
QUESTION_FIELDS: tuple[str, ...] = tuple(
    f for f in Question.model_fields if f not in LOADER_ONLY_FIELDS
)
CODE_FIELDS = frozenset({"setup", "answer", "check", "solution", "starter"})
_NESTED_MODELS: dict[str, type[BaseModel]] = {
    "tolerance": Tolerance,
    "requires": Requires,
    "trace": TraceSpec,
    "modes": ModesSpec,
}
_MAPPING_EXAMPLES = {
    "tolerance": "{rtol: 1.0e-4, atol: 1.0e-6}",
    "requires": '{device: cuda} or {torch: ">=2.1"}',
    "trace": "{model: model, input: x}",
    "modes": "{model: model, input: x}",
    "params": "{n: [3, 4, 5], scale: {min: 0.5, max: 2.0, step: 0.5}}",
}
_MISSING_HINTS = {
    "id": "every question needs a unique id, e.g. 'id: autograd.leaf-grad'",
    "kind": "add 'kind:' with one of " + ", ".join(k.value for k in Kind),
    "prompt": "the question's text, shown to the user (Markdown)",
    "topic": "give the question a 'topic:', or set 'topic:' at the top of the file for all of them",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` or "" when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: Any) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest_id(raw: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", raw.strip().lower()).strip("-._")
    return slug or "topic.short-name"


def field_names_at(loc: Sequence[str | int]) -> tuple[str, ...]:
    """The field names valid at the level that holds the last element of `loc`."""
    parent = [p for p in loc[:-1] if p not in ("list", "range")]
    if not parent:
        return QUESTION_FIELDS
    if len(parent) == 1 and isinstance(parent[0], str) and parent[0] in _NESTED_MODELS:
        return tuple(_NESTED_MODELS[parent[0]].model_fields)
    if len(parent) == 2 and parent[0] == "params":
        return tuple(RangeParam.model_fields)
    return ()


def explain(error: Mapping[str, Any], loc: Sequence[str | int]) -> str:
    """One sentence for one pydantic error. `loc` has union tags removed."""
    kind: str = error["type"]
    value = error.get("input")
    msg: str = error.get("msg", "")
    name = str(loc[-1]) if loc else "question"
    top = str(loc[0]) if loc else ""

    if kind == "missing":
        hint = _MISSING_HINTS.get(name) if len(loc) == 1 else None
        return f"missing required field '{name}'" + (f": {hint}" if hint else "")
    if kind == "extra_forbidden":
        valid = field_names_at(loc)
        text = f"unknown field '{name}'" + did_you_mean(name, valid)
        if valid and not did_you_mean(name, valid) and len(valid) <= 6:
            text += "; valid fields here: " + ", ".join(valid)
        return text
    if kind == "enum":
        choices = [k.value for k in (Kind if top == "kind" else Difficulty)]
        return f"{value!r} is not a valid {top}; use one of: {', '.join(choices)}" + did_you_mean(
            str(value), choices
        )
    if kind == "string_pattern_mismatch" and top == "id":
        return (
            f"id {value!r} is not allowed: use lower-case letters, digits, '.', '_' and '-', "
            f"starting with a letter or digit (pattern {ID_PATTERN}); "
            f"try '{suggest_id(str(value))}'"
        )
    if kind == "string_type":
        text = f"should be text, got {describe(value)}"
        if isinstance(value, bool):
            return text + (
                '; YAML reads yes/no/true/false/on/off as booleans, so quote the text: "yes"'
            )
        if top in CODE_FIELDS and len(loc) == 1 and value is not None:
            text += f'; Python code is written as text, so quote it: {top}: "{value}"'
        return text
    if kind in ("tuple_type", "list_type"):
        return f"should be a list, got {describe(value)}: write [a, b] or one '- item' per line"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        example = _MAPPING_EXAMPLES.get(top)
        return f"should be a mapping, got {describe(value)}" + (
            f", e.g. {top}: {example}" if example else ""
        )
    if kind in ("bool_type", "bool_parsing"):
        return f"should be true or false, got {describe(value)}"
    if kind.startswith(("float_", "int_")):
        return f"should be a number, got {describe(value)}"
    if kind == "param_form":
        return (
            "a param is a list of values, e.g. [3, 4, 5], or a range, e.g. "
            f"{{min: 0.5, max: 2.0, step: 0.5}}; this one is {describe(value)}"
        )
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "too_short" and top == "params":
        return "a list param needs at least one value"
    if kind == "literal_error":
        return f"{value!r} is not allowed; " + msg.replace("Input should be", "use")
    text = msg.replace("Input should", "should")
    if value is not None and not isinstance(value, dict | list):
        text += f", got {value!r}"
    if top == "timeout":
        text += " (seconds per run)"
    return text
