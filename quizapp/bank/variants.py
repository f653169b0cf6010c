"""Random variants of a question: params drawn and options shuffled, all from one seed.

A variant depends only on (question id, seed) — never on Python's hash randomisation, the
process, or the order questions were loaded — so a seed stored with an attempt brings back
exactly the variant the user saw.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quizapp.bank.models import Question, RangeParam

SEED_LIMIT = 2**31
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def new_seed() -> int:
    return secrets.randbelow(SEED_LIMIT)


def _rng(question_id: str, seed: int, stream: str) -> random.Random:
    # Seeding with a str hashes it with SHA-512: stable across runs and machines. One stream
    # per param keeps a param's values when another param is added to the question.
    return random.Random(f"{question_id}:{seed}:{stream}")


def _exact(number: float | int) -> Decimal:
    # The number as the author wrote it (0.1 is 0.1, not 0.1000000000000000055...).
    return Decimal(repr(number))


def grid_size(spec: RangeParam) -> int:
    """How many values min, min+step, ... <= max holds."""
    if spec.is_int:
        return (int(spec.max) - int(spec.min)) // int(spec.step) + 1
    return int((_exact(spec.max) - _exact(spec.min)) // _exact(spec.step)) + 1


def grid_value(spec: RangeParam, index: int) -> int | float:
    """The index-th grid value. Float grids are computed in decimal, so that 0.5 + 0.1 * k is
    exactly 0.6, 0.7, ... and prints that way."""
    if spec.is_int:
        return int(spec.min) + index * int(spec.step)
    return float(_exact(spec.min) + index * _exact(spec.step))


def grid(spec: RangeParam) -> list[int | float]:
    return [grid_value(spec, i) for i in range(grid_size(spec))]


def draw_param(question_id: str, seed: int, name: str, spec: list[Any] | RangeParam) -> Any:
    rng = _rng(question_id, seed, f"param:{name}")
    if isinstance(spec, RangeParam):
        return grid_value(spec, rng.randrange(grid_size(spec)))
    return spec[rng.randrange(len(spec))]


@dataclass(frozen=True)
class Variant:
    question: Question
    seed: int
    params: dict[str, Any]
    options: tuple[str, ...] | None  # choice: options in this seed's order

    def letter_of(self, option: str) -> str:
        """The letter ("A", "B", ...) an option is shown under. ValueError if not an option."""
        if self.options is None or option not in self.options:
            raise ValueError(f"{option!r} is not an option of {self.question.id}")
        return LETTERS[self.options.index(option)]

    def option_for(self, letter: str) -> str | None:
        """The option shown under a letter (any case, spaces ignored), or None."""
        key = letter.strip().upper()
        if self.options is None or len(key) != 1 or key not in LETTERS:
            return None
        index = LETTERS.index(key)
        return self.options[index] if index < len(self.options) else None

    @property
    def lettered_options(self) -> tuple[tuple[str, str], ...]:
        return tuple((LETTERS[i], o) for i, o in enumerate(self.options or ()))

    @property
    def prompt(self) -> str:
        return substitute(self.question.prompt, self.params)

    @property
    def hints(self) -> tuple[str, ...]:
        return tuple(substitute(h, self.params) for h in self.question.hints)

    @property
    def explanation(self) -> str:
        return substitute(self.question.explanation, self.params)

    @property
    def params_code(self) -> str:
        return params_as_code(self.params)

    @property
    def setup_code(self) -> str:
        """What the user is shown above the question: params as assignments, then the setup."""
        if not self.question.show_setup:
            return ""
        parts = [p for p in (self.params_code, self.question.setup.rstrip("\n")) if p]
        return "\n".join(parts)


def draw_variant(question: Question, seed: int) -> Variant:
    params = {
        name: draw_param(question.id, seed, name, spec) for name, spec in question.params.items()
    }
    options = None
    if question.options is not None:
        shuffled = list(question.options)
        _rng(question.id, seed, "options").shuffle(shuffled)
        options = tuple(shuffled)
    return Variant(question=question, seed=seed, params=params, options=options)


def _show(value: Any) -> str:
    return str(value)


def substitute(text: str, params: dict[str, Any]) -> str:
    """Replace `{{name}}` by the param's value; an unknown `{{x}}` stays (validation reports it)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return _show(params[name]) if name in params else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def params_as_code(params: dict[str, Any]) -> str:
    """`n = 3\\nscale = 1.5`: the params as Python assignments, in declaration order."""
    return "\n".join(f"{name} = {value!r}" for name, value in params.items())
