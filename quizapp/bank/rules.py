"""Checks the pydantic model cannot express: what each kind needs and forbids, params names,
`{{placeholders}}`, Python syntax, version specifiers.

The rules read the raw mapping (after the file's default topic is applied) so that they run even
when pydantic has refused some other field: an author sees every problem of a question at once.
Each rule skips a field whose type is wrong, since pydantic already reports that.
"""

from __future__ import annotations

import keyword
import math
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from quizapp.bank.messages import did_you_mean
from quizapp.bank.models import Kind

# report(message, path within the question, at_key): at_key points at the key's line,
# else at the value's.
Report = Callable[..., None]
# line_in_text(path, line_within_text) -> line in the YAML file
LineInText = Callable[[tuple[str | int, ...], int], int | None]

RESERVED_NAMES = frozenset({"torch", "nn", "F", "device", "seed"})
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
TEXT_FIELDS = ("prompt", "hints", "explanation")
MAX_OPTIONS = 26  # shown under the letters A to Z

_ALL_KINDS = frozenset(Kind)
_TRUTH_KINDS = frozenset({Kind.SHAPE, Kind.VALUE, Kind.CHOICE, Kind.OUTPUT})
# Which kinds each kind-specific field belongs to.
KIND_FIELDS: dict[str, frozenset[Kind]] = {
    "answer": frozenset({Kind.SHAPE, Kind.VALUE, Kind.CHOICE}),
    "tolerance": frozenset({Kind.VALUE}),
    "options": frozenset({Kind.CHOICE}),
    "check": frozenset({Kind.CODE}),
    "starter": frozenset({Kind.CODE}),
    "solution": frozenset({Kind.CODE}),
    "key_points": frozenset({Kind.RECALL}),
    "model_answer": frozenset({Kind.RECALL}),
    "pass_mark": frozenset({Kind.RECALL}),
    "compare": frozenset({Kind.OUTPUT}),
    "expect": _TRUTH_KINDS,
}
REQUIRED: dict[Kind, tuple[str, ...]] = {
    Kind.SHAPE: ("answer",),
    Kind.VALUE: ("answer",),
    Kind.CHOICE: ("options", "answer"),
    Kind.OUTPUT: ("setup",),
    Kind.CODE: ("check", "solution"),
    Kind.RECALL: ("key_points", "model_answer"),
}
_WHY = {
    "answer": "a Python expression, evaluated after setup, whose value is the truth",
    "options": "a list of at least 2 different answers to choose from",
    "setup": "the code whose printed text is the answer",
    "check": "Python run after the user's code that raises AssertionError when it is wrong",
    "solution": "the reference code, which must pass 'check'",
    "key_points": "the list of points a good answer covers (the user ticks them)",
    "model_answer": "the answer shown after the user's own",
}
# Python run as statements, or evaluated as one expression.
EXEC_FIELDS = ("setup", "check", "solution", "starter")
EVAL_FIELDS: tuple[tuple[str | int, ...], ...] = (
    ("answer",),
    ("graph",),
    ("trace", "model"),
    ("trace", "input"),
    ("modes", "model"),
    ("modes", "input"),
)


def _present(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name)
    return value is not None and value not in ("", [])


def check_kind(data: Mapping[str, Any], report: Report) -> None:
    try:
        kind = Kind(str(data.get("kind")))
    except ValueError:
        return  # pydantic reports the bad kind
    for name in REQUIRED[kind]:
        if not _present(data, name):
            report(f"{kind.value} questions need '{name}': {_WHY[name]}", ())
    for name, kinds in KIND_FIELDS.items():
        if name not in data or kind in kinds:
            continue
        if name == "answer" and kind is Kind.OUTPUT:
            message = (
                "output questions have no 'answer': the truth is what 'setup' prints; "
                "remove 'answer' (use 'expect:' to pin the printed text)"
            )
        elif name == "expect":
            message = f"'expect' does not apply to {kind.value} questions: they have no live truth"
        else:
            users = ", ".join(sorted(k.value for k in kinds))
            message = f"'{name}' does not apply to {kind.value} questions (it is for: {users})"
        report(message, (name,), True)
    if "expect" in data and data.get("params"):
        report(
            "'expect' is only for questions without params: with params the truth changes "
            "from seed to seed; remove 'expect' or the params",
            ("expect",),
            True,
        )


def check_not_blank(data: Mapping[str, Any], report: Report) -> None:
    for name, why in (("prompt", "the question's text"), ("topic", "e.g. 'topic: autograd'")):
        value = data.get(name)
        if isinstance(value, str) and not value.strip():
            report(f"'{name}' must not be empty ({why})", (name,))


def check_options(data: Mapping[str, Any], report: Report) -> None:
    options = data.get("options")
    if not isinstance(options, list):
        return
    texts = [o for o in options if isinstance(o, str)]
    if len(texts) != len(options):
        return  # pydantic reports the non-text option
    if len(options) > MAX_OPTIONS:
        report(
            f"at most {MAX_OPTIONS} options (one per letter A-Z), got {len(options)}", ("options",)
        )
    seen: dict[str, int] = {}
    for index, option in enumerate(options):
        if not option.strip():
            report("an option must not be empty", ("options", index))
        elif option.strip() in seen:
            report(
                f"option {option!r} is listed twice (also option {seen[option.strip()] + 1}); "
                "options must differ",
                ("options", index),
            )
        else:
            seen[option.strip()] = index
    if len(options) < 2 and "options" in data:
        report("a choice question needs at least 2 options", ("options",))


def check_choice_truth(data: Mapping[str, Any], report: Report) -> None:
    """Static slips in a choice question's answer key (the live run checks the rest)."""
    if data.get("kind") != Kind.CHOICE.value:
        return
    options = data.get("options")
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        return
    answer = data.get("answer")
    # An option's text is never an expression giving that same text: the author meant a string.
    if isinstance(answer, str) and answer.strip() in options:
        text = answer.strip()
        quoted = repr(text).replace('"', '\\"')
        report(
            f"answer is a Python expression, so {text!r} is not the option's text; "
            f'write it as a Python string: answer: "{quoted}" (or compute it from the setup)',
            ("answer",),
        )
    expect = data.get("expect")
    if "expect" in data and not (isinstance(expect, str) and expect in options):
        report(f"expect {expect!r} is not one of the options", ("expect",))


def check_key_points(data: Mapping[str, Any], report: Report) -> None:
    points = data.get("key_points")
    if not isinstance(points, list):
        return
    for index, point in enumerate(points):
        if isinstance(point, str) and not point.strip():
            report("a key point must not be empty", ("key_points", index))
        elif isinstance(point, dict):
            unknown = sorted(str(k) for k in point if k not in ("text", "must"))
            text, must = point.get("text"), point.get("must", False)
            if unknown:
                report(
                    f"a key point is text, or a mapping with 'text' and 'must'; "
                    f"unknown: {', '.join(unknown)}",
                    ("key_points", index),
                )
            elif not isinstance(text, str) or not text.strip():
                report("a key point mapping needs 'text': the point itself", ("key_points", index))
            elif not isinstance(must, bool):
                report("'must' is true or false", ("key_points", index, "must"))
        elif not isinstance(point, str):
            report(
                "a key point is text, or {text: ..., must: true} for one a pass needs",
                ("key_points", index),
            )


def check_misconceptions(data: Mapping[str, Any], report: Report) -> None:
    """Which way a misconception may be written depends on the kind (docs/question-format.md)."""
    items = data.get("misconceptions")
    if not isinstance(items, list):
        return
    is_code = data.get("kind") == Kind.CODE.value
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue  # pydantic reports it
        path: tuple[str | int, ...] = ("misconceptions", index)
        if "code" in item and not is_code:
            report(
                "a 'code' misconception is for code questions (a plausible wrong solution); "
                "use 'answer' or 'setup' here",
                (*path, "code"),
                True,
            )
        if is_code:
            for name in ("answer", "setup"):
                if name in item:
                    report(
                        f"code questions take 'code' misconceptions (a wrong solution the "
                        f"check must reject), not '{name}'",
                        (*path, name),
                        True,
                    )
        if data.get("kind") == Kind.OUTPUT.value and "answer" in item:
            report(
                "output questions have no 'answer': write the mistaken belief as a "
                "replacement 'setup' whose printed text is what the user would expect",
                (*path, "answer"),
                True,
            )


def _plain_value_problem(value: Any) -> str | None:
    """Why a param value cannot be shown as a Python literal, or None when it can."""
    if value is None or isinstance(value, bool | int | str):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} has no Python literal; use a number"
    if isinstance(value, list):
        for item in value:
            problem = _plain_value_problem(item)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _plain_value_problem(key) or _plain_value_problem(item)
            if problem:
                return problem
        return None
    return (
        f"a {type(value).__name__} value cannot be a param value; "
        "use numbers, text, true/false, or lists of them (quote dates)"
    )


def check_params(data: Mapping[str, Any], report: Report) -> None:
    params = data.get("params")
    if not isinstance(params, dict):
        return
    for name, spec in params.items():
        path: tuple[str | int, ...] = ("params", name)
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            report(
                f"param name {name!r} is not a valid Python name (letters, digits and _, "
                "not starting with a digit, not a keyword); the code sees params as variables",
                path,
                True,
            )
            continue
        if name in RESERVED_NAMES:
            report(
                f"param name '{name}' would hide the '{name}' the code sees "
                f"({', '.join(sorted(RESERVED_NAMES))} are taken); rename it",
                path,
                True,
            )
        if isinstance(spec, list):
            for index, item in enumerate(spec):
                problem = _plain_value_problem(item)
                if problem:
                    report(problem, (*path, index))


def check_placeholders(data: Mapping[str, Any], report_line: Callable[..., None]) -> None:
    """`{{name}}` must name a param. report_line(message, path, line_within_text)."""
    params = data.get("params")
    names = [str(n) for n in params] if isinstance(params, dict) else []
    places: list[tuple[tuple[str | int, ...], Any]] = [
        (("prompt",), data.get("prompt")),
        (("explanation",), data.get("explanation")),
    ]
    hints = data.get("hints")
    if isinstance(hints, list):
        places += [(("hints", i), hint) for i, hint in enumerate(hints)]
    for path, text in places:
        if not isinstance(text, str):
            continue
        for match in PLACEHOLDER.finditer(text):
            name = match.group(1)
            if name in names:
                continue
            known = f"params: {', '.join(names)}" if names else "this question has no params"
            line_within = text.count("\n", 0, match.start()) + 1
            report_line(
                f"'{match.group(0)}' names no param ({known}){did_you_mean(name, names)}",
                path,
                line_within,
            )


def _compile_problem(source: str, mode: str) -> tuple[str, int] | None:
    """(message, line within the source) for code that does not compile, else None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "\d" in a string
        try:
            compile(source, "<question>", mode, dont_inherit=True)
        except SyntaxError as exc:
            detail = exc.msg
            if exc.text and exc.text.strip():
                detail += f": {exc.text.strip()}"
            return detail, exc.lineno or 1
        except ValueError as exc:  # e.g. a null byte
            return str(exc), 1
    return None


def _misconception_paths(data: Mapping[str, Any], names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    items = data.get("misconceptions")
    if not isinstance(items, list):
        return []
    return [
        ("misconceptions", i, name)
        for i, item in enumerate(items)
        if isinstance(item, dict)
        for name in names
        if name in item
    ]


def check_syntax(data: Mapping[str, Any], report: Report, report_line: Callable[..., None]) -> None:
    """report_line(message, path, line_within_text) for Python that does not compile."""
    exec_paths = [(name,) for name in EXEC_FIELDS]
    exec_paths += _misconception_paths(data, ("setup", "code"))
    for path in exec_paths:
        source: Any = data
        for part in path:
            if isinstance(source, dict):
                source = source.get(part)
            elif isinstance(source, list) and isinstance(part, int) and part < len(source):
                source = source[part]
            else:
                source = None
        if isinstance(source, str) and source.strip():
            problem = _compile_problem(source, "exec")
            if problem:
                message, line = problem
                label = ".".join(str(p) for p in path)
                report_line(
                    f"Python syntax error in '{label}' (its line {line}): {message}", path, line
                )
    for path in (*EVAL_FIELDS, *_misconception_paths(data, ("answer",))):
        expression: Any = data
        for part in path:
            if isinstance(expression, dict):
                expression = expression.get(part)
            elif isinstance(expression, list) and isinstance(part, int) and part < len(expression):
                expression = expression[part]
            else:
                expression = None
        if not isinstance(expression, str) or not expression.strip():
            continue
        label = ".".join(str(p) for p in path)
        problem = _compile_problem(expression, "eval")
        if problem is None:
            continue
        if _compile_problem(expression, "exec") is None:
            report(
                f"'{label}' must be one Python expression (it is evaluated); "
                "move statements into 'setup'",
                path,
                True,
            )
        else:
            message, line = problem
            report_line(f"Python syntax error in '{label}': {message}", path, line)


def check_requires(data: Mapping[str, Any], report: Report) -> None:
    requires = data.get("requires")
    if not isinstance(requires, dict):
        return
    spec = requires.get("torch")
    if not isinstance(spec, str):
        return
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:  # pragma: no cover - packaging is a declared dependency
        return
    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        report(
            f"{spec!r} is not a version specifier; write e.g. '>=2.1' or '>=2.1,<3' "
            "(quote it in YAML)",
            ("requires", "torch"),
        )


def check_all(data: Mapping[str, Any], report: Report, report_line: Callable[..., None]) -> None:
    check_kind(data, report)
    check_not_blank(data, report)
    check_options(data, report)
    check_choice_truth(data, report)
    check_key_points(data, report)
    check_misconceptions(data, report)
    check_params(data, report)
    check_requires(data, report)
    check_placeholders(data, report_line)
    check_syntax(data, report, report_line)
