"""The explain instruments' wire format, typed for both sides (as protocol.py is for runs).

The parent (quizapp.explain) builds an `InstrumentsRequest` and sends `to_json()` as
`RunRequest.instruments`; the child (quizapp.runner.instruments) reads it back with
`InstrumentsRequest.from_json` and answers a mapping keyed by `ResultKey`, whose sections the
parent reads with the same keys. The mode runs are labelled by `MODES`, on both sides. No torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

AUTO: Literal["auto"] = "auto"


class Section(StrEnum):
    """The instruments, in the order the child runs them."""

    GRAPH = "graph"
    TRACE = "trace"
    MODES = "modes"


class ResultKey(StrEnum):
    """The top-level keys of the instruments' result."""

    TRACE = "trace"
    GRAPH = "graph"
    MODES = "modes"
    NOTES = "notes"  # facts worth telling the user
    UNRESOLVED = "unresolved"  # "auto" requests the namespace left ambiguous (for authors)
    ERROR = "error"  # the instruments could not run at all


class GradMode(StrEnum):
    GRAD = "grad"
    NO_GRAD = "no_grad"
    INFERENCE_MODE = "inference_mode"


@dataclass(frozen=True)
class ModeSpec:
    label: str
    train: bool
    grad: GradMode


# Run in this order, each on a fresh copy of the model, with the same seed.
MODES: tuple[ModeSpec, ...] = (
    ModeSpec("train", True, GradMode.GRAD),
    ModeSpec("train + no_grad", True, GradMode.NO_GRAD),
    ModeSpec("eval", False, GradMode.GRAD),
    ModeSpec("eval + no_grad", False, GradMode.NO_GRAD),
    ModeSpec("eval + inference_mode", False, GradMode.INFERENCE_MODE),
)
MODE_LABELS = tuple(m.label for m in MODES)


@dataclass(frozen=True)
class ModelInput:
    """`{model: NAME, input: NAME}`: expressions over the setup's names."""

    model: str
    input: str

    def to_json(self) -> dict[str, str]:
        return {"model": self.model, "input": self.input}


ModelRequest = ModelInput | Literal["auto"] | None
GraphRequest = str | None  # an expression, or AUTO


@dataclass(frozen=True)
class InstrumentsRequest:
    """Which instruments to run, and on what. None: that instrument is off."""

    trace: ModelRequest = AUTO
    graph: GraphRequest = AUTO
    modes: ModelRequest = AUTO
    answer_expr: str | None = None  # the question's answer: the graph's first candidate

    def to_json(self) -> dict[str, Any]:
        def model(request: ModelRequest) -> Any:
            return request.to_json() if isinstance(request, ModelInput) else request

        return {
            Section.TRACE.value: model(self.trace),
            Section.GRAPH.value: self.graph,
            Section.MODES.value: model(self.modes),
            "answer_expr": self.answer_expr,
        }

    @classmethod
    def from_json(cls, data: Any) -> InstrumentsRequest:
        """Raises ValueError (saying what is wrong) for anything else than `to_json` gives;
        a missing section is off."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a dict of requests, got {type(data).__name__}")
        answer = data.get("answer_expr")
        return cls(
            trace=parse_section(Section.TRACE, data.get(Section.TRACE.value)),
            graph=parse_section(Section.GRAPH, data.get(Section.GRAPH.value)),
            modes=parse_section(Section.MODES, data.get(Section.MODES.value)),
            answer_expr=answer if isinstance(answer, str) else None,
        )

    def section(self, section: Section) -> Any:
        """One instrument's request in the child's plain form: None, "auto", an expression
        (graph) or `{model, input}`."""
        return plain(getattr(self, section.value))


def parse_section(section: Section, value: Any) -> Any:
    """One section's request, checked: None (off), AUTO, an expression (graph) or a
    ModelInput (trace, modes). Raises ValueError with the message the child reports."""
    if value is None or value == AUTO:
        return value
    if section is Section.GRAPH:
        if isinstance(value, str) and value.strip():
            return value
        raise ValueError(f"graph: expected an expression or auto, got {value!r}")
    if isinstance(value, dict) and set(value) == {"model", "input"}:
        return ModelInput(str(value["model"]), str(value["input"]))
    raise ValueError(
        f"{section.value}: expected {{model: NAME, input: NAME}} or auto, got {value!r}"
    )


def plain(request: Any) -> Any:
    """A parsed section back in the plain form the child's instruments take."""
    return request.to_json() if isinstance(request, ModelInput) else request


def empty_result() -> dict[str, Any]:
    return {
        ResultKey.TRACE.value: None,
        ResultKey.GRAPH.value: None,
        ResultKey.MODES.value: None,
        ResultKey.NOTES.value: [],
        ResultKey.UNRESOLVED.value: [],
    }
