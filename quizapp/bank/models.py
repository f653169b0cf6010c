"""The question format, version 1 (see docs/question-format.md). Pure data, no torch."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

FORMAT_VERSION = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


class Kind(StrEnum):
    SHAPE = "shape"
    VALUE = "value"
    CHOICE = "choice"
    OUTPUT = "output"
    CODE = "code"
    RECALL = "recall"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeParam(_Strict):
    """`{min, max, step}`: a number on that grid (an int when all three are ints)."""

    min: float | int
    max: float | int
    step: float | int

    @field_validator("min", "max", "step", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        # pydantic would quietly turn true into 1 and "2" into 2; an author meant something else.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"should be a number, got {value!r}")
        return value

    @model_validator(mode="after")
    def _check(self) -> RangeParam:
        if self.step <= 0:
            raise ValueError(f"step must be > 0 (got {self.step}): the grid is min, min+step, ...")
        if self.max < self.min:
            raise ValueError(f"max must be >= min (got min {self.min}, max {self.max})")
        return self

    @property
    def is_int(self) -> bool:
        return all(isinstance(v, int) for v in (self.min, self.max, self.step))


def _param_form(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict | RangeParam):
        return "range"
    return None


# A tagged union, so that a broken range reports the range's error only (not also "not a list").
ParamSpec = Annotated[
    Annotated[list[Any], Field(min_length=1), Tag("list")] | Annotated[RangeParam, Tag("range")],
    Discriminator(
        _param_form,
        custom_error_type="param_form",
        custom_error_message="a param is a list of values, e.g. [3, 4, 5], "
        "or a range, e.g. {min: 0.5, max: 2.0, step: 0.5}",
    ),
]


class Tolerance(_Strict):
    rtol: float = Field(default=1e-4, ge=0)
    atol: float = Field(default=1e-6, ge=0)


class Requires(_Strict):
    device: Literal["cpu", "cuda", "mps"] | None = None
    torch: str | None = None  # a version specifier, e.g. ">=2.1"


class TraceSpec(_Strict):
    model: str
    input: str


class ModesSpec(_Strict):
    model: str
    input: str


QuestionId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class Question(_Strict):
    id: QuestionId
    kind: Kind
    topic: str
    title: str = ""
    difficulty: Difficulty = Difficulty.MEDIUM
    tags: tuple[str, ...] = ()
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    setup: str = ""
    prompt: str
    answer: str | None = None
    tolerance: Tolerance | None = None
    options: tuple[str, ...] | None = None
    check: str | None = None
    starter: str = ""
    solution: str | None = None
    key_points: tuple[str, ...] | None = None
    model_answer: str | None = None
    hints: tuple[str, ...] = ()
    explanation: str = ""
    expect: Any = None
    timeout: float = Field(default=2.0, gt=0, le=60)
    show_setup: bool = True
    requires: Requires | None = None
    # Explain-by-running (optional, backwards compatible): which names to instrument.
    trace: TraceSpec | None = None
    graph: str | None = None
    modes: ModesSpec | None = None

    # Where the question came from; filled in by the loader, never read from YAML.
    source_file: Path | None = Field(default=None, exclude=True)
    source_line: int | None = Field(default=None, exclude=True)

    @property
    def display_title(self) -> str:
        return self.title or self.id

    @property
    def has_params(self) -> bool:
        return bool(self.params)

    def content_hash(self) -> str:
        """Stable digest of what the question asks; progress survives edits, flagged as changed."""
        payload = self.model_dump(mode="json", exclude={"source_file", "source_line"})
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def location(self) -> str:
        if self.source_file is None:
            return self.id
        return f"{self.source_file}:{self.source_line or 1}"
