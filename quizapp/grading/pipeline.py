"""One pipeline from a question variant to its runs, shared by grading, validation and explain.

Every run a question needs is built here, so that the steps (their order, labels, seed,
params and time limits) are the same wherever the question runs:

- `truth_request`: setup, then the `answer` expression (output: what the setup prints);
- `code_request`: setup, the user's code (or a solution, a starter), then `check`;
- `alternatives_request`: the misconceptions (quizapp.runner.alternatives), all in one run;
- `explain_request`: setup (and a code question's solution) with the explain instruments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol

from quizapp.bank.models import Kind, Question
from quizapp.runner import alternatives as alt
from quizapp.runner.protocol import RunRequest, Step

MAX_TIMEOUT = 60.0


class StepLabel(StrEnum):
    """The labels runs name their steps by (errors say which step raised)."""

    SETUP = "setup"
    USER = "your code"
    CHECK = "check"
    SOLUTION = "solution"


class RunnableVariant(Protocol):
    """What building a run needs of quizapp.bank.Variant."""

    @property
    def question(self) -> Question: ...
    @property
    def seed(self) -> int: ...
    @property
    def params(self) -> Mapping[str, Any]: ...


class VariantLike(RunnableVariant, Protocol):
    """What grading needs of quizapp.bank.Variant: the options too, in the order shown."""

    @property
    def options(self) -> Sequence[str] | None: ...


def truth_request(variant: RunnableVariant) -> RunRequest:
    """Setup, then the `answer` expression (none for output questions: the printed text is
    the truth). The caller checks that a kind with an answer has one."""
    q = variant.question
    return RunRequest(
        steps=(Step(code=q.setup, label=StepLabel.SETUP),),
        seed=variant.seed,
        params=dict(variant.params),
        evaluate=None if q.kind is Kind.OUTPUT else q.answer,
        timeout=q.timeout,
    )


def code_request(
    variant: RunnableVariant, code: str, *, timeout: float | None = None
) -> RunRequest:
    """Setup, `code` as the user's step, then the question's check."""
    q = variant.question
    steps = [Step(code=q.setup, label=StepLabel.SETUP), Step(code=code, label=StepLabel.USER)]
    if q.check:
        steps.append(Step(code=q.check, label=StepLabel.CHECK))
    return RunRequest(
        steps=tuple(steps),
        seed=variant.seed,
        params=dict(variant.params),
        timeout=timeout if timeout is not None else q.timeout,
    )


def alternatives_request(
    variant: RunnableVariant, alternatives: tuple[alt.Alternative, ...]
) -> RunRequest:
    """The misconceptions of a variant in one run; each gets the question's own time limit."""
    q = variant.question
    return alt.alternatives_request(
        alternatives,
        seed=variant.seed,
        params=dict(variant.params),
        timeout=min(MAX_TIMEOUT, q.timeout * max(1, len(alternatives))),
    )


def explain_request(
    variant: RunnableVariant, instruments: dict[str, Any], timeout: float
) -> RunRequest | None:
    """Setup (and a code question's solution) with the instruments; None when nothing runs."""
    q = variant.question
    steps = []
    if q.setup.strip():
        steps.append(Step(code=q.setup, label=StepLabel.SETUP))
    if q.kind is Kind.CODE and q.solution and q.solution.strip():
        steps.append(Step(code=q.solution, label=StepLabel.SOLUTION))
    if q.kind is Kind.RECALL or not steps:
        return None
    return RunRequest(
        steps=tuple(steps),
        seed=variant.seed,
        params=dict(variant.params),
        timeout=timeout,
        instruments=instruments,
    )
