"""Several runs of one question in one child: the misconceptions' reruns.

A misconception is "the question, computed under a mistaken belief": another `answer` after
the same setup, a replacement setup, a wrong solution, or the same setup with `train()`/`eval()`
or `no_grad()` & co. behaving as the believer thinks. Each is an *alternative*. Running each in
a child of its own would add one fork per misconception to a wrong verdict; instead one run
carries all of them and this module, inside the child, runs each in a fresh namespace with the
seed reset (`torch.manual_seed(seed)`, `random.seed(seed)`), exactly as `child.execute` runs a
question, and returns every outcome.

The wire format is typed here, for both sides (like protocol.py for runs): the parent builds
`Alternative`s and calls `alternatives_request`; the run's one step calls
`quizapp.runner.alternatives_child.run_in_child` (the child side, which imports torch); the
parent reads the run's value with `read_outcomes`. No torch here. Nothing in this module changes
how ordinary runs work.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from quizapp.runner.protocol import RunError, RunRequest, Step

SPEC_NAME = "__quizapp_alternatives__"
RESULT_NAME = "__quizapp_outcomes__"
STEP_LABEL = "misconceptions"
DRIVER_CODE = (
    f"from quizapp.runner.alternatives_child import run_in_child as _qa_run\n"
    f"{RESULT_NAME} = _qa_run(globals())\n"
)
MAX_SIZES = 16
CHUNK = 50_000  # under quizapp.runner.values.MAX_STR: a longer str would come back as a repr
MAX_STDOUT = 64 * 1024
BASE_NAMES = ("__name__", "__builtins__", "torch", "nn", "F", "device", "seed")


class Patch(StrEnum):
    """How the child's torch is bent for one alternative."""

    NONE = "none"
    # train(mode) sets the opposite mode on the whole module tree: eval() and train(False)
    # leave it training, train() leaves it in eval.
    WRONG_MODE = "wrong-mode"
    # torch.no_grad / inference_mode / enable_grad / set_grad_enabled do nothing, as context
    # managers and as decorators.
    GRAD_MODE = "grad-mode"


@dataclass(frozen=True)
class Alternative:
    """One rerun: `setup`, then `code` and `check` as steps (code questions), then `evaluate`
    (None: nothing is evaluated; for output questions the printed text is the value).
    `sizes`: also report the dimension sizes of the tensors the setup left behind."""

    key: str
    setup: str
    evaluate: str | None = None
    code: str | None = None
    check: str | None = None
    patch: Patch = Patch.NONE
    sizes: bool = False

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "patch": self.patch.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alternative:
        return cls(**{**data, "patch": Patch(data.get("patch", "none"))})


@dataclass(frozen=True)
class Outcome:
    """What one alternative gave: `value` in the runner's value encoding (protocol.py)."""

    key: str
    ok: bool
    value: Any = None
    stdout: str = ""
    error: RunError | None = None
    sizes: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sizes"] = list(self.sizes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        err = data.get("error")
        return cls(
            key=str(data["key"]),
            ok=bool(data["ok"]),
            value=data.get("value"),
            stdout=str(data.get("stdout") or ""),
            error=RunError(**err) if isinstance(err, dict) else None,
            sizes=tuple(int(s) for s in data.get("sizes") or ()),
        )


@dataclass(frozen=True)
class AlternativesSpec:
    params: dict[str, Any]
    alternatives: tuple[Alternative, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"params": self.params, "alternatives": [a.to_json() for a in self.alternatives]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlternativesSpec:
        return cls(
            params=dict(data.get("params") or {}),
            alternatives=tuple(Alternative.from_json(a) for a in data.get("alternatives", ())),
        )


def alternatives_request(
    alternatives: tuple[Alternative, ...],
    *,
    seed: int,
    params: dict[str, Any],
    timeout: float,
) -> RunRequest:
    """One run that runs every alternative in turn. The outcomes come back as JSON text (the
    run's value, a list of chunks under the encoder's string cap), so that they cross the
    boundary exactly as built here."""
    spec = AlternativesSpec(params=dict(params), alternatives=alternatives)
    return RunRequest(
        steps=(Step(code=DRIVER_CODE, label=STEP_LABEL),),
        seed=seed,
        params={SPEC_NAME: spec.to_json()},
        evaluate=RESULT_NAME,
        timeout=timeout,
    )


def read_outcomes(value: Any) -> list[Outcome]:
    """The outcomes from the run's (encoded) value. Raises ValueError when it is not one."""
    import json

    chunks = value.get("__list__") if isinstance(value, dict) else None
    if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
        raise ValueError("the misconceptions' run returned no outcomes")
    data = json.loads("".join(chunks))
    if not isinstance(data, list):
        raise ValueError("the misconceptions' run returned something else than outcomes")
    return [Outcome.from_json(item) for item in data]
