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
MISCONCEPTION_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
DEFAULT_PASS_MARK = 0.75


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


class OutputCompare(StrEnum):
    """How an output answer is compared with what the setup printed."""

    # Whitespace between tokens is insignificant; a line that parses as a Python literal
    # compares as that literal: `(3,100)` equals `(3, 100)`.
    LENIENT = "lenient"
    # Line by line, after trimming trailing spaces and trailing blank lines.
    EXACT = "exact"


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
MisconceptionName = Annotated[str, StringConstraints(pattern=MISCONCEPTION_NAME_PATTERN)]


class Misconception(_Strict):
    """A mistaken belief, computed live like the truth (see docs/question-format.md).

    Exactly one of `answer` (another expression after the same setup), `setup` (a replacement
    setup; the question's `answer` is evaluated after it) or `code` (code kind only: a plausible
    wrong solution) says how.
    """

    name: MisconceptionName
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    answer: str | None = None
    setup: str | None = None
    code: str | None = None
    explanation: str = ""
    # A belief that agrees with the truth on some variants (a rule that happens to hold for
    # some params): validate accepts the truth on those seeds, as long as it differs on one.
    sometimes_true: bool = False

    @field_validator("summary")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value:
            raise ValueError("a misconception's summary is one line; put the rest in 'explanation'")
        return value

    @model_validator(mode="after")
    def _one_way(self) -> Misconception:
        given = [f for f in ("answer", "setup", "code") if getattr(self, f) not in (None, "")]
        if len(given) != 1:
            raise ValueError(
                "a misconception needs exactly one of 'answer' (an expression after the same "
                "setup), 'setup' (a replacement setup) or 'code' (a wrong solution, code kind); "
                f"this one has {', '.join(given) if given else 'none'}"
            )
        if self.sometimes_true and self.code is not None:
            raise ValueError(
                "'sometimes_true' is for 'answer' and 'setup' misconceptions: a 'code' "
                "misconception is wrong code, and the check must reject it on every variant"
            )
        return self


class KeyPoint(_Strict):
    """A recall key point written as a mapping: `{text: ..., must: true}`."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    must: bool = False


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
    # Indexes into key_points of the points marked `must: true` (filled from key_points).
    must_points: tuple[int, ...] = ()
    pass_mark: float = Field(default=DEFAULT_PASS_MARK, gt=0, le=1)
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
    # Optional additions to version 1 (docs/question-format.md): every old file stays valid.
    misconceptions: tuple[Misconception, ...] = ()
    automatic_misconceptions: bool = True
    after: tuple[QuestionId, ...] = ()  # prerequisites for introducing new questions
    # Ids the question had before a rename: progress recorded under them becomes this id's.
    aliases: tuple[QuestionId, ...] = ()
    compare: OutputCompare = OutputCompare.LENIENT  # output kind only

    # Where the question came from; filled in by the loader, never read from YAML.
    source_file: Path | None = Field(default=None, exclude=True)
    source_line: int | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _split_key_points(cls, data: Any) -> Any:
        # A key point is text, or `{text, must}`; the model keeps the texts (what every front end
        # shows) and the indexes of the must points.
        if not isinstance(data, dict) or not isinstance(data.get("key_points"), list | tuple):
            return data
        points = data["key_points"]
        if not any(isinstance(p, dict | KeyPoint) for p in points):
            return data
        texts: list[Any] = []
        must: list[int] = []
        for index, point in enumerate(points):
            raw = point.model_dump() if isinstance(point, KeyPoint) else point
            if isinstance(raw, dict) and set(raw) <= {"text", "must"}:
                # A malformed mapping is left as it is: rules.check_key_points explains it.
                texts.append(raw.get("text"))
                if raw.get("must") is True:
                    must.append(index)
            else:
                texts.append(raw)
        return {**data, "key_points": texts, "must_points": tuple(must)}

    @model_validator(mode="after")
    def _unique_misconceptions(self) -> Question:
        names = [m.name for m in self.misconceptions]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"misconception names must be unique; repeated: {', '.join(twice)}")
        return self

    @property
    def display_title(self) -> str:
        return self.title or self.id

    @property
    def has_params(self) -> bool:
        return bool(self.params)

    def content_hash(self) -> str:
        """Stable digest of what the question asks; progress survives edits, flagged as changed."""
        # Not the aliases: old names change nothing the question asks (and a field added later
        # must not change every question's digest, which would flag them all as edited).
        # Nor `sometimes_true`: it tells validate what to expect, not the learner anything.
        exclude: Any = {
            "source_file": True,
            "source_line": True,
            "aliases": True,
            "misconceptions": {"__all__": {"sometimes_true"}},
        }
        payload = self.model_dump(mode="json", exclude=exclude)
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def location(self) -> str:
        if self.source_file is None:
            return self.id
        return f"{self.source_file}:{self.source_line or 1}"
