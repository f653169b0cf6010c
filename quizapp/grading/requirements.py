"""Whether a question's `requires` (device, torch version) can be met by the runner.

Version specifiers are the usual comma-separated comparisons (`>=2.1`, `>=2.1,<3`, `==2.13.*`),
matched on the numeric release part of the version (`2.13.0+cpu` -> 2.13.0).
"""

from __future__ import annotations

import re

from quizapp.bank.models import Requires

_CLAUSE = re.compile(r"^\s*(===|==|!=|<=|>=|~=|<|>)?\s*([0-9][0-9a-zA-Z.*+-]*)\s*$")


class BadSpecifier(ValueError):
    pass


def release(version: str) -> tuple[int, ...]:
    """2.13.0+cpu -> (2, 13, 0); 2.1.0a0 -> (2, 1, 0)."""
    parts: list[int] = []
    for piece in version.split("+", maxsplit=1)[0].split("."):
        match = re.match(r"\d+", piece)
        if match is None:
            break
        parts.append(int(match.group(0)))
        if match.end() != len(piece):
            break
    return tuple(parts)


def _pad(a: tuple[int, ...], n: int) -> tuple[int, ...]:
    return a + (0,) * (n - len(a))


def version_matches(version: str, spec: str) -> bool:
    """Whether `version` satisfies every clause of `spec`. Raises BadSpecifier."""
    have = release(version)
    for clause in spec.split(","):
        if not clause.strip():
            continue
        match = _CLAUSE.match(clause)
        if match is None:
            raise BadSpecifier(f"{clause.strip()!r} is not a version specifier like '>=2.1'")
        op, text = match.group(1) or "==", match.group(2)
        if text.endswith(".*"):
            prefix = release(text[:-2])
            equal = have[: len(prefix)] == prefix
            if op in ("==", "==="):
                ok = equal
            elif op == "!=":
                ok = not equal
            else:
                raise BadSpecifier(f"{clause.strip()!r}: '.*' goes with == or != only")
        else:
            want = release(text)
            n = max(len(have), len(want))
            a, b = _pad(have, n), _pad(want, n)
            if op == "~=":
                ok = a >= b and have[: len(want) - 1] == want[:-1]
            else:
                ok = {
                    "==": a == b,
                    "===": a == b,
                    "!=": a != b,
                    "<=": a <= b,
                    ">=": a >= b,
                    "<": a < b,
                    ">": a > b,
                }[op]
        if not ok:
            return False
    return True


def unmet_requirement(
    requires: Requires, *, device: str | None, torch_version: str | None
) -> str | None:
    """Why `requires` cannot be met on this device/torch, or None. Unknown facts pass."""
    if requires.device and device and not device.startswith(requires.device):
        return f"it needs device {requires.device}, and the runner uses {device}"
    if requires.torch and torch_version:
        try:
            if not version_matches(torch_version, requires.torch):
                return f"it needs torch {requires.torch}, and the runner has torch {torch_version}"
        except BadSpecifier as exc:
            return f"its requires.torch is not valid: {exc}"
    return None
