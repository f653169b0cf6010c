"""Misconceptions: which mistaken belief a wrong answer matches (docs/question-format.md).

A misconception is the question computed under a mistaken belief. Authored ones are written in
the question (`answer`, `setup` or `code`); the automatic ones are built in:

- `transposed` (shape): the truth's sizes in another order;
- `missing-batch-dim` (shape): the truth without its first dimension;
- `extra-dim` (shape): the truth with a size-1 dimension inserted anywhere;
- `sign-flipped` (value): minus the truth;
- `scaled` (value): k x the truth, k in 2, 1/2, each dimension size (> 1) of the setup's
  tensors and module parameters or a tensor's element count (a sum for a mean), and its
  inverse;
- `wrong-mode` (shape, value, choice, output): setup and answer rerun with `train()`/`eval()`
  inverted (only when the code calls them);
- `grad-mode` (the same kinds): rerun with `no_grad`/`inference_mode`/`enable_grad`/
  `set_grad_enabled` doing nothing (only when the code uses them).

What needs running (authored `answer`/`setup` ones, the two reruns, the setup's sizes) runs in
ONE extra run of the variant (quizapp.runner.alternatives), only once an answer is already known
to be wrong, and is cached per variant. The others are arithmetic on the truth. Matching uses the
kind's own comparison (shape equality, value tolerance, the chosen option, the output rule).
Authored misconceptions are tried first, in their order; then the automatic ones in the order of
this list.

A `code` misconception is a wrong solution that validation proves the check rejects. A user's
code that fails is matched by *how* it fails (`diagnose_code`): the misconceptions' solutions run
through the same check on the same variant (one extra run, cached, which the app starts while the
question is on screen), and the user's failure matches the one whose failure reads the same: the
same error type and message, numbers included. A message names the assertion that failed, not
the mistake: "no gradient reaches x" has many causes. So a match is claimed only where the
numbers are the mistake's fingerprint, i.e. where other misconceptions fail the same assertion
with other numbers ("values differ (max abs difference 0.337)" against "... 1.1"): checks are
seeded, so the same mistake gives the same numbers and another almost never does. A message
that no other misconception's shares up to its numbers, or that two share to the letter, is
not claimed: a wrong diagnosis is worse than none.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from quizapp.bank.models import Kind, Misconception, Question
from quizapp.grading.compare import (
    ElementKind,
    TruthArray,
    TruthTypeError,
    compare_output,
    compare_value,
    truth_array,
    truth_choice,
    truth_shape,
)
from quizapp.grading.parse import ParsedValue
from quizapp.grading.types import MatchBasis, MisconceptionMatch, MisconceptionSource
from quizapp.runner.alternatives import Alternative, Outcome, Patch
from quizapp.runner.protocol import RunError

AUTHORED_PREFIX = "authored:"
AUTOMATIC_PREFIX = "automatic:"
SIZES_KEY = "sizes"
RUN_KINDS = frozenset({Kind.SHAPE, Kind.VALUE, Kind.CHOICE, Kind.OUTPUT})
_MODE_SWITCH = re.compile(r"\.\s*(?:eval|train)\s*\(")
_GRAD_SWITCH = re.compile(r"\b(?:no_grad|inference_mode|enable_grad|set_grad_enabled)\b")


class Automatic(StrEnum):
    TRANSPOSED = "transposed"
    MISSING_BATCH_DIM = "missing-batch-dim"
    EXTRA_DIM = "extra-dim"
    SIGN_FLIPPED = "sign-flipped"
    SCALED = "scaled"
    WRONG_MODE = "wrong-mode"
    GRAD_MODE = "grad-mode"


_SUMMARY = {
    Automatic.TRANSPOSED: "The right sizes in the wrong order (a transpose or permute mixed up)",
    Automatic.MISSING_BATCH_DIM: "Left out the first (batch) dimension",
    Automatic.EXTRA_DIM: "Added a size-1 dimension that is not there",
    Automatic.SIGN_FLIPPED: "The right magnitude with the wrong sign",
    Automatic.SCALED: "Off by a constant factor",
    Automatic.WRONG_MODE: "Mixed up train and eval mode",
    Automatic.GRAD_MODE: "Mixed up what no_grad / inference_mode / enable_grad change",
}

_EXPLANATION = {
    Automatic.TRANSPOSED: (
        "Your shape has every size of the answer, in another order. Follow which dimension each "
        "operation keeps: `nn.Linear` stores `(out_features, in_features)` and computes "
        "`x @ W.T`; `transpose`, `permute` and `mT` move dimensions, `view` never does."
    ),
    Automatic.MISSING_BATCH_DIM: (
        "Your shape is the answer without its first dimension. PyTorch layers keep the batch "
        "dimension: a batch of N inputs gives a batch of N outputs."
    ),
    Automatic.EXTRA_DIM: (
        "Your shape is the answer with an extra dimension of size 1. Reductions with "
        "`keepdim=False` (the default), indexing with an int and `squeeze` remove dimensions."
    ),
    Automatic.SIGN_FLIPPED: (
        "Your value is minus the answer: a sign slipped, e.g. in a derivative (d/dx of -x is -1) "
        "or a loss that is minimised rather than maximised."
    ),
    Automatic.SCALED: (
        "Your value is the answer times a constant: a sum where there is a mean (or the "
        "reverse), a gradient accumulated over a batch, or a scale such as 1/(1-p) forgotten."
    ),
    Automatic.WRONG_MODE: (
        "Your answer is what the code gives with `train()` and `eval()` the other way round. "
        "`eval()` changes modules such as dropout and batch norm (dropout becomes the identity, "
        "batch norm uses its running statistics); it does not turn off autograd."
    ),
    Automatic.GRAD_MODE: (
        "Your answer is what the code gives without its `no_grad` / `inference_mode` / "
        "`enable_grad` blocks. Those change whether autograd records operations (so "
        "`requires_grad` and `grad_fn` of results), never the values computed."
    ),
}


# -- the plan: what the extra run computes -------------------------------------------------------
def authored_key(name: str) -> str:
    return AUTHORED_PREFIX + name


def automatic_key(name: Automatic) -> str:
    return AUTOMATIC_PREFIX + name.value


def uses_mode_switches(q: Question) -> bool:
    return bool(_MODE_SWITCH.search(q.setup) or _MODE_SWITCH.search(q.answer or ""))


def uses_grad_modes(q: Question) -> bool:
    return bool(_GRAD_SWITCH.search(q.setup) or _GRAD_SWITCH.search(q.answer or ""))


def authored_alternative(q: Question, m: Misconception) -> Alternative | None:
    """How one authored misconception is run (None: it cannot be run for this kind)."""
    evaluate = None if q.kind is Kind.OUTPUT else q.answer
    if m.code is not None:
        if q.kind is not Kind.CODE:
            return None
        return Alternative(authored_key(m.name), setup=q.setup, code=m.code, check=q.check or "")
    if q.kind not in RUN_KINDS:
        return None
    if m.answer is not None:
        return Alternative(authored_key(m.name), setup=q.setup, evaluate=m.answer)
    if m.setup is not None:
        return Alternative(authored_key(m.name), setup=m.setup, evaluate=evaluate)
    return None


def code_alternatives(q: Question) -> tuple[Alternative, ...]:
    """A code question's `code` misconceptions, each a wrong solution run through the check."""
    if q.kind is not Kind.CODE or not q.check:
        return ()
    return tuple(
        alt
        for m in q.misconceptions
        if m.code is not None and (alt := authored_alternative(q, m)) is not None
    )


def grading_alternatives(q: Question) -> tuple[Alternative, ...]:
    """Everything a wrong answer to `q` may need run, in one run: the authored `answer` and
    `setup` misconceptions, the two reruns that apply, and the setup's sizes (`scaled`); for a
    code question, its `code` misconceptions."""
    if q.kind is Kind.CODE:
        return code_alternatives(q)
    if q.kind not in RUN_KINDS:
        return ()
    alternatives = [
        alt
        for m in q.misconceptions
        if m.code is None and (alt := authored_alternative(q, m)) is not None
    ]
    if q.automatic_misconceptions:
        evaluate = None if q.kind is Kind.OUTPUT else q.answer
        if uses_mode_switches(q):
            alternatives.append(
                Alternative(
                    automatic_key(Automatic.WRONG_MODE),
                    setup=q.setup,
                    evaluate=evaluate,
                    patch=Patch.WRONG_MODE,
                )
            )
        if uses_grad_modes(q):
            alternatives.append(
                Alternative(
                    automatic_key(Automatic.GRAD_MODE),
                    setup=q.setup,
                    evaluate=evaluate,
                    patch=Patch.GRAD_MODE,
                )
            )
        if q.kind is Kind.VALUE:
            # The sizes come with the first alternative that runs the question's own setup
            # (train/eval and grad modes change no shape); else with a run of the setup alone.
            same = next((i for i, a in enumerate(alternatives) if a.setup == q.setup), None)
            if same is None:
                alternatives.append(Alternative(SIZES_KEY, setup=q.setup, sizes=True))
            else:
                alternatives[same] = dataclasses.replace(alternatives[same], sizes=True)
    return tuple(alternatives)


# -- reading a misconception's answer for the kind ----------------------------------------------
@dataclass(frozen=True)
class Believed:
    """One misconception's answer for a variant, decoded for the kind (None: it failed)."""

    key: str
    value: Any  # a shape tuple, a TruthArray, an option, or printed text
    failure: str = ""  # why it could not be computed (validation reports authored ones)


_STEP_NAMES = {"evaluate": "answer", "your code": "code", "setup": "setup", "check": "check"}


def believed(q: Question, options: Sequence[str] | None, outcome: Outcome) -> Believed:
    if not outcome.ok:
        error = outcome.error
        what = f"{error.type}: {error.message}" if error is not None else "it failed"
        step = _STEP_NAMES.get(error.step or "", error.step) if error is not None else None
        where = f" in its {step}" if step else ""
        return Believed(outcome.key, None, f"it raised {what}{where}".rstrip(": "))
    try:
        if q.kind is Kind.SHAPE:
            return Believed(outcome.key, truth_shape(outcome.value))
        if q.kind is Kind.VALUE:
            return Believed(outcome.key, truth_array(outcome.value))
        if q.kind is Kind.CHOICE:
            return Believed(outcome.key, truth_choice(outcome.value, list(options or ())))
        if q.kind is Kind.OUTPUT:
            return Believed(outcome.key, outcome.stdout)
    except TruthTypeError as exc:
        return Believed(outcome.key, None, str(exc).replace("`answer` gave", "it gives"))
    return Believed(outcome.key, None, f"kind {q.kind} has no answer to compare")


def same_answer(q: Question, a: Any, b: Any) -> bool:
    """Whether two computed answers (of the same kind) are equal by the kind's comparison."""
    if q.kind is Kind.SHAPE:
        return tuple(a) == tuple(b)
    if q.kind is Kind.VALUE:
        return compare_value(_as_parsed(a), b, q.tolerance).correct
    if q.kind is Kind.OUTPUT:
        return compare_output(str(a), str(b), q.compare).correct
    return bool(a == b)


def _as_parsed(array: TruthArray) -> ParsedValue:
    return ParsedValue(data=array.data, shape=array.shape, is_tensor=array.is_tensor)


# -- matching a wrong answer ------------------------------------------------------------------
Outcomes = Callable[[], Mapping[str, Outcome]]


@dataclass(frozen=True)
class WrongAnswer:
    """What the grader knows of an incorrect answer: parsed for the kind, and the truth."""

    question: Question
    options: Sequence[str] | None
    parsed: Any  # shape tuple, ParsedValue, option index, or the text (output)
    text: str
    truth: Any  # shape tuple, TruthArray, option, or printed text


def diagnose(wrong: WrongAnswer, outcomes: Outcomes) -> MisconceptionMatch | None:
    """The first misconception `wrong` matches, or None. `outcomes` runs the variant's
    alternatives (cached by the caller); it is called only when a candidate needs it."""
    q = wrong.question
    if q.kind not in RUN_KINDS:
        return None
    for m in q.misconceptions:
        if m.code is not None:
            continue
        outcome = outcomes().get(authored_key(m.name))
        if outcome is None:
            continue
        belief = believed(q, wrong.options, outcome)
        if belief.value is not None and _matches(wrong, belief.value):
            return MisconceptionMatch(
                name=m.name,
                summary=m.summary,
                source=MisconceptionSource.AUTHORED,
                explanation=m.explanation,
            )
    if not q.automatic_misconceptions:
        return None
    for name in Automatic:
        factor = _automatic_matches(name, wrong, outcomes)
        if factor is not None:
            summary = _SUMMARY[name]
            if name is Automatic.SCALED and factor:
                summary = f"Off by a factor of {factor}"
            return MisconceptionMatch(
                name=name.value,
                summary=summary,
                source=MisconceptionSource.AUTOMATIC,
                explanation=_EXPLANATION[name],
            )
    return None


# Steps a user's failure can be matched in: the question's own setup failing is not the user's.
_MATCHED_STEPS = frozenset({"your code", "check"})


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def failure_signature(error: RunError) -> tuple[str, str]:
    """How a failure reads: its type and message (spacing aside)."""
    return error.type, " ".join(error.message.split())


def _assertion(signature: tuple[str, str]) -> tuple[str, str]:
    """Which assertion a failure is: its signature with the numbers blanked."""
    kind, message = signature
    return kind, _NUMBER.sub("#", message)


def diagnose_code(
    q: Question, error: RunError, outcomes: Mapping[str, Outcome]
) -> MisconceptionMatch | None:
    """The `code` misconception whose solution fails the check as the user's code did (see the
    module's docstring), or None: none fails alike, or more than one does."""
    if q.kind is not Kind.CODE or error.step not in _MATCHED_STEPS:
        return None
    failed: list[tuple[Misconception, RunError]] = []
    for m in q.misconceptions:
        outcome = outcomes.get(authored_key(m.name)) if m.code is not None else None
        if outcome is not None and not outcome.ok and outcome.error is not None:
            failed.append((m, outcome.error))
    wanted = failure_signature(error)
    same = [m for m, e in failed if failure_signature(e) == wanted]
    if len(same) != 1:  # none, or alike to the letter: the check cannot tell them apart
        return None
    # The numbers are a fingerprint only if the same assertion gives other misconceptions
    # other numbers; a message no other misconception shares is a symptom, not a cause.
    readings = {
        failure_signature(e)
        for _, e in failed
        if _assertion(failure_signature(e)) == _assertion(wanted)
    }
    if len(readings) < 2:
        return None
    m = same[0]
    return MisconceptionMatch(
        name=m.name,
        summary=m.summary,
        source=MisconceptionSource.AUTHORED,
        explanation=m.explanation,
        basis=MatchBasis.FAILURE,
    )


def _matches(wrong: WrongAnswer, value: Any) -> bool:
    q = wrong.question
    if q.kind is Kind.SHAPE:
        return tuple(wrong.parsed) == tuple(value)
    if q.kind is Kind.VALUE:
        return compare_value(wrong.parsed, value, q.tolerance).correct
    if q.kind is Kind.CHOICE:
        return list(wrong.options or ())[wrong.parsed] == value
    if q.kind is Kind.OUTPUT:
        return compare_output(wrong.text, str(value), q.compare).correct
    return False


def _automatic_matches(name: Automatic, wrong: WrongAnswer, outcomes: Outcomes) -> str | None:
    """None: no match. Otherwise "" (or, for `scaled`, the factor as text)."""
    q = wrong.question
    if name in (Automatic.WRONG_MODE, Automatic.GRAD_MODE):
        outcome = outcomes().get(automatic_key(name)) if _rerun_applies(name, q) else None
        if outcome is None:
            return None
        belief = believed(q, wrong.options, outcome)
        if belief.value is None or same_answer(q, belief.value, wrong.truth):
            return None
        return "" if _matches(wrong, belief.value) else None
    if q.kind is Kind.SHAPE:
        given, truth = tuple(wrong.parsed), tuple(wrong.truth)
        return "" if _shape_belief(name, given, truth) else None
    if q.kind is Kind.VALUE:
        return _value_belief(name, wrong, outcomes)
    return None


def _rerun_applies(name: Automatic, q: Question) -> bool:
    if name is Automatic.WRONG_MODE:
        return uses_mode_switches(q)
    return uses_grad_modes(q)


def _shape_belief(name: Automatic, given: tuple[int, ...], truth: tuple[int, ...]) -> bool:
    if name is Automatic.TRANSPOSED:
        return len(given) == len(truth) and given != truth and sorted(given) == sorted(truth)
    if name is Automatic.MISSING_BATCH_DIM:
        return len(truth) >= 1 and given == truth[1:]
    if name is Automatic.EXTRA_DIM:
        return len(given) == len(truth) + 1 and any(
            given[i] == 1 and given[:i] + given[i + 1 :] == truth for i in range(len(given))
        )
    return False


def _value_belief(name: Automatic, wrong: WrongAnswer, outcomes: Outcomes) -> str | None:
    truth: TruthArray = wrong.truth
    if "bool" in truth.kinds or not truth.flat or all(v == 0 for v in truth.flat):
        return None
    tol = wrong.question.tolerance
    if name is Automatic.SIGN_FLIPPED:
        return "" if compare_value(wrong.parsed, scale_array(truth, -1), tol).correct else None
    if name is not Automatic.SCALED:
        return None
    for factor in (Fraction(2), Fraction(1, 2)):
        if compare_value(wrong.parsed, scale_array(truth, factor), tol).correct:
            return str(factor)
    sizes = next((o.sizes for o in outcomes().values() if o.sizes), ())
    for size in sizes:
        for factor in (Fraction(size), Fraction(1, size)):
            if factor in (2, Fraction(1, 2)):
                continue
            if compare_value(wrong.parsed, scale_array(truth, factor), tol).correct:
                return str(factor)
    return None


def scale_array(array: TruthArray, factor: float | Fraction) -> TruthArray:
    """`array` times `factor`, as float elements."""
    k = float(factor)

    def scale(data: Any) -> Any:
        if isinstance(data, list):
            return [scale(item) for item in data]
        return float(data) * k

    flat = tuple(float(v) * k for v in array.flat)
    kinds = tuple[ElementKind, ...](["float"] * len(flat))
    return TruthArray(array.shape, flat, kinds, array.is_tensor, scale(array.data))


def automatic_summary(name: str) -> str:
    return _SUMMARY[Automatic(name)]
