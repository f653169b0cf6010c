"""Grading an answer by running the question live in the sandboxed runner.

The truth is always computed in a run of its own (setup, then the `answer` expression), never in
the same process as the user's code, and compared here on plain data. Truths are deterministic
given (question, seed), so they are cached per (question id, content hash, seed).

Rules by kind:
- shape / value / choice: the answer is parsed first; an unparseable one is INVALID and needs no
  run. Then the truth is computed (or taken from the cache) and compared.
- output: the truth is what `setup` prints.
- code: one run of setup, the user's code (step "your code") and `check`. Only a run that ends
  normally passes: an exception, `SystemExit`, `os._exit`, a crash or a timeout in the user's code
  never does. An AssertionError raised by `check` becomes the feedback.
- recall: self-graded with no run. score = ticked key points / all key points; CORRECT when
  every `must` key point is ticked and the score is at least the question's `pass_mark`
  (default 0.75), INCORRECT otherwise.

An incorrect answer is then matched against the question's misconceptions
(quizapp.grading.misconceptions): one more run, cached per variant, and only for wrong answers;
for code, the `code` misconceptions run through the check and the user's failure is matched by
how it reads. `prepare` starts that run ahead of the answer (the app does, for code questions).

A failure of the question itself (its setup raises, its answer cannot be graded, the runner
fails, a `requires` the runner cannot meet) is status ERROR with a message naming the step.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quizapp.bank.models import Kind, Question, Requires
from quizapp.bank.variants import substitute
from quizapp.grading.answers import read_answer
from quizapp.grading.compare import (
    Comparison,
    TruthTypeError,
    compare_choice,
    compare_output,
    compare_shape,
    compare_value,
    display_array,
    display_shape,
    normalise_output,
    truth_array,
    truth_choice,
    truth_shape,
)
from quizapp.grading.misconceptions import (
    WrongAnswer,
    diagnose,
    diagnose_code,
    grading_alternatives,
)
from quizapp.grading.parse import LETTERS, AnswerParseError, check_answer_size
from quizapp.grading.pipeline import (
    StepLabel,
    VariantLike,
    alternatives_request,
    code_request,
    truth_request,
)
from quizapp.grading.requirements import unmet_requirement
from quizapp.grading.types import GradeResult, GradeStatus, MisconceptionMatch
from quizapp.runner.alternatives import Alternative, Outcome, read_outcomes
from quizapp.runner.protocol import CodeRunner, RunError, RunResult, RunStatus

USER_STEP = StepLabel.USER.value
DEFAULT_CACHE_SIZE = 512
# How long a failing code verdict waits for its diagnosis (the code misconceptions' run, seconds
# for a heavy check): past it, the verdict comes without one and the run goes on, so that the
# next Run or submission of the variant is diagnosed. The app starts that run ahead (`prepare`).
DIAGNOSIS_WAIT_S = 2.0
CacheKey = tuple[str, str, int]


@dataclass(frozen=True)
class Truth:
    """The live truth of one variant: `value` is the runner-encoded value of `answer` (shape,
    value, choice), the printed text (output), or None (code, recall: nothing to compute)."""

    kind: Kind
    value: Any
    stdout: str = ""
    duration_ms: float = 0.0
    device: str = ""
    torch_version: str = ""


class QuestionFailed(Exception):
    """The question itself could not produce its truth. `detail` says which step and why;
    `message` is the same prefixed with the question's id."""

    def __init__(
        self,
        question_id: str,
        detail: str,
        result: RunResult | None = None,
        *,
        unmet: bool = False,
    ) -> None:
        self.message = f"question {question_id}: {detail}"
        super().__init__(self.message)
        self.detail = detail
        self.result = result
        self.unmet = unmet  # a `requires` the runner cannot meet: skipped, not broken


class LiveGrader:
    """Grades answers by running questions in `runner`. Thread-safe; share one per runner."""

    def __init__(
        self,
        runner: CodeRunner,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        diagnosis_wait_s: float | None = None,  # None: DIAGNOSIS_WAIT_S
    ) -> None:
        self.runner = runner
        self.cache_size = cache_size
        self.diagnosis_wait_s = DIAGNOSIS_WAIT_S if diagnosis_wait_s is None else diagnosis_wait_s
        self._cache: OrderedDict[CacheKey, Truth] = OrderedDict()
        # The misconceptions' outcomes per variant (computed on the first wrong answer).
        self._outcomes: OrderedDict[CacheKey, dict[str, Outcome]] = OrderedDict()
        # Variants whose misconceptions are being run: a second caller (the answer, while the
        # app's prefetch runs them) waits for that run instead of starting its own.
        self._running: dict[CacheKey, threading.Event] = {}
        self._lock = threading.Lock()

    # -- truth ---------------------------------------------------------------------------------
    def truth(self, variant: VariantLike, *, cancel: threading.Event | None = None) -> Truth:
        """The variant's live truth (cached). Raises QuestionFailed when the question fails.
        Setting `cancel` stops the run (QuestionFailed, "cancelled")."""
        q = variant.question
        if q.kind in (Kind.CODE, Kind.RECALL):
            return Truth(kind=q.kind, value=None)
        if self.cache_size <= 0:
            return self._compute_truth(variant, cancel)
        key = _variant_key(variant)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        truth = self._compute_truth(variant, cancel)
        with self._lock:
            self._cache[key] = truth
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return truth

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._outcomes.clear()

    # -- misconceptions ----------------------------------------------------------------------------
    def outcomes(
        self, variant: VariantLike, *, cancel: threading.Event | None = None
    ) -> dict[str, Outcome]:
        """What the variant's misconceptions (authored `answer`/`setup` ones and the automatic
        reruns) give, keyed as quizapp.grading.misconceptions keys them; cached per variant.
        Empty when the question has none to run, or when their run failed as a whole."""
        key = _variant_key(variant)
        cached, running, owner = self._claim(key)
        if cached is not None:
            return cached
        if not owner:
            return self._wait_for(key, running, cancel)
        return self._compute_outcomes(variant, key, running, cancel)

    def _claim(self, key: CacheKey) -> tuple[dict[str, Outcome] | None, threading.Event, bool]:
        """(cached outcomes or None, the event set when the variant's run ends, whether this
        caller owns that run and must do it)."""
        with self._lock:
            cached = self._outcomes.get(key)
            if cached is not None:
                self._outcomes.move_to_end(key)
                return cached, threading.Event(), False
            running = self._running.get(key)
            if running is not None:
                return None, running, False
            running = self._running[key] = threading.Event()
            return None, running, True

    def _compute_outcomes(
        self,
        variant: VariantLike,
        key: CacheKey,
        running: threading.Event,
        cancel: threading.Event | None,
    ) -> dict[str, Outcome]:
        """The run `_claim` gave this caller: cached unless it failed; `running` set at the end."""
        try:
            alternatives = grading_alternatives(variant.question)
            found = (
                self.run_alternatives(variant, alternatives, cancel=cancel) if alternatives else {}
            )
            if found is None:
                return {}  # not cached: a cancelled or failed run may work next time
            if self.cache_size > 0:
                with self._lock:
                    self._outcomes[key] = found
                    self._outcomes.move_to_end(key)
                    while len(self._outcomes) > self.cache_size:
                        self._outcomes.popitem(last=False)
            return found
        finally:
            with self._lock:
                self._running.pop(key, None)
            running.set()

    def _wait_for(
        self,
        key: CacheKey,
        running: threading.Event,
        cancel: threading.Event | None,
        timeout: float | None = None,
    ) -> dict[str, Outcome]:
        """The outcomes another caller is computing; empty if that run failed, on `cancel`, or
        past `timeout` seconds (the run goes on)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not running.wait(0.02):
            if cancel is not None and cancel.is_set():
                return {}
            if deadline is not None and time.monotonic() >= deadline:
                return {}
        with self._lock:
            return self._outcomes.get(key) or {}

    def prepare(self, variant: VariantLike, *, cancel: threading.Event | None = None) -> None:
        """Runs what a wrong answer to `variant` would need, ahead of the answer: a code
        question's misconceptions take a run of up to seconds, which the app starts while the
        question is on screen, so that a failing solution is diagnosed at once."""
        if variant.question.kind is Kind.CODE:
            self.outcomes(variant, cancel=cancel)

    def run_alternatives(
        self,
        variant: VariantLike,
        alternatives: tuple[Alternative, ...],
        *,
        cancel: threading.Event | None = None,
    ) -> dict[str, Outcome] | None:
        """One run of `alternatives`; None when the run failed as a whole (timeout, crash)."""
        result = self.runner.run(alternatives_request(variant, alternatives), cancel=cancel)
        if not result.ok:
            return None
        try:
            return {outcome.key: outcome for outcome in read_outcomes(result.value)}
        except ValueError:
            return None

    def _diagnose(
        self,
        variant: VariantLike,
        parsed: Any,
        answer: str,
        expected: Any,
        cancel: threading.Event | None,
    ) -> MisconceptionMatch | None:
        q = variant.question
        wrong = WrongAnswer(q, variant.options, parsed, answer, expected)
        loaded: dict[str, Outcome] | None = None

        def outcomes() -> dict[str, Outcome]:
            nonlocal loaded
            if loaded is None:
                loaded = self.outcomes(variant, cancel=cancel)
            return loaded

        match = diagnose(wrong, outcomes)
        if match is None or not match.explanation:
            return match
        return dataclasses.replace(
            match, explanation=substitute(match.explanation, dict(variant.params))
        )

    def _diagnose_code(
        self, variant: VariantLike, error: RunError, cancel: threading.Event | None
    ) -> MisconceptionMatch | None:
        q = variant.question
        if not any(m.code is not None for m in q.misconceptions):
            return None
        if cancel is not None and cancel.is_set():
            return None
        match = diagnose_code(q, error, self._outcomes_within(variant, cancel))
        if match is None or not match.explanation:
            return match
        return dataclasses.replace(
            match, explanation=substitute(match.explanation, dict(variant.params))
        )

    def _outcomes_within(
        self, variant: VariantLike, cancel: threading.Event | None
    ) -> dict[str, Outcome]:
        """The variant's outcomes if they are ready within `diagnosis_wait_s`, else empty; a run
        not yet started is started in the background and left to finish (into the cache)."""
        key = _variant_key(variant)
        cached, running, owner = self._claim(key)
        if cached is not None:
            return cached
        if owner:
            threading.Thread(
                target=self._compute_outcomes,
                args=(variant, key, running, None),
                name="quizapp-diagnosis",
                daemon=True,
            ).start()
        return self._wait_for(key, running, cancel, timeout=self.diagnosis_wait_s)

    def _compute_truth(self, variant: VariantLike, cancel: threading.Event | None) -> Truth:
        q = variant.question
        self._check_requirements(q)
        if q.kind is Kind.OUTPUT:
            evaluate = None
        elif q.answer is None or not q.answer.strip():
            raise QuestionFailed(q.id, "it has no `answer` to compute its truth from")
        else:
            evaluate = q.answer
        result = self.runner.run(truth_request(variant), cancel=cancel)
        if _cancelled(result, cancel):
            raise QuestionFailed(q.id, "grading was cancelled", result)
        self._check_requirements(q, result)
        if not result.ok:
            raise QuestionFailed(q.id, _question_failure(q, result, evaluate is not None), result)
        if q.kind is Kind.OUTPUT:
            value: Any = result.stdout
            if result.stdout_truncated:
                raise QuestionFailed(
                    q.id, "its setup prints more than the runner keeps; print less", result
                )
        else:
            value = result.value
        return Truth(
            kind=q.kind,
            value=value,
            stdout=result.stdout,
            duration_ms=result.duration_ms,
            device=result.device,
            torch_version=result.torch_version,
        )

    def _check_requirements(self, q: Question, result: RunResult | None = None) -> None:
        if q.requires is None:
            return
        device, version = self._runner_facts(result)
        reason = unmet_requirement(q.requires, device=device, torch_version=version)
        if reason is not None:
            raise QuestionFailed(q.id, f"it cannot run here: {reason}", unmet=True)

    def _runner_facts(self, result: RunResult | None) -> tuple[str | None, str | None]:
        if result is not None and result.status is not RunStatus.RUNNER_ERROR:
            return result.device or None, result.torch_version or None
        state = getattr(self.runner, "state", None)
        return getattr(state, "device", None), getattr(state, "torch_version", None)

    def requirement_problem(self, requires: Requires | None) -> str | None:
        """Why the runner (as far as known now) cannot meet `requires`, or None."""
        if requires is None:
            return None
        device, version = self._runner_facts(None)
        return unmet_requirement(requires, device=device, torch_version=version)

    # -- grading ---------------------------------------------------------------------------------
    def grade(
        self,
        variant: VariantLike,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        cancel: threading.Event | None = None,
    ) -> GradeResult:
        q = variant.question
        base = _Base(q.id, variant.seed, answer)
        if q.kind is Kind.RECALL:
            return _grade_recall(base, q, ticked)
        if not answer.strip():
            return base.result(GradeStatus.INVALID, feedback=_empty_hint(q.kind))
        if cancel is not None and cancel.is_set():
            return base.result(GradeStatus.ERROR, feedback="grading was cancelled")
        try:  # every kind, code included: a 5 MB answer is no answer (issue 11)
            check_answer_size(answer)
        except AnswerParseError as exc:
            return base.result(GradeStatus.INVALID, feedback=str(exc))
        if q.kind is Kind.CODE:
            return self._grade_code(base, variant, cancel)

        try:
            read = read_answer(q.kind, answer, variant.options)
        except AnswerParseError as exc:
            return base.result(GradeStatus.INVALID, feedback=str(exc))
        parsed, given_display = read.parsed, read.display

        try:
            truth = self.truth(variant, cancel=cancel)
        except QuestionFailed as exc:
            return base.result(GradeStatus.ERROR, feedback=exc.message, given_display=given_display)
        facts = {
            "duration_ms": truth.duration_ms,
            "device": truth.device,
            "torch_version": truth.torch_version,
            "stdout": truth.stdout,
        }
        try:
            expected, expected_display, comparison, decoded = _compare(
                q, variant, parsed, answer, truth
            )
        except TruthTypeError as exc:
            return base.result(
                GradeStatus.ERROR,
                feedback=f"question {q.id} is broken: {exc}",
                given_display=given_display,
                **facts,
            )
        # Only a wrong answer runs the misconceptions: a correct one never pays for them.
        misconception = None
        if not comparison.correct:
            misconception = self._diagnose(variant, parsed, answer, decoded, cancel)
        return base.result(
            GradeStatus.CORRECT if comparison.correct else GradeStatus.INCORRECT,
            feedback=comparison.feedback,
            expected=expected,
            expected_display=expected_display,
            given_display=given_display,
            score=1.0 if comparison.correct else 0.0,
            misconception=misconception,
            **facts,
        )

    def run_code(
        self,
        variant: VariantLike,
        code: str,
        *,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
    ) -> RunResult:
        """One run of setup, `code` (as the user's step) and the question's check."""
        return self.runner.run(code_request(variant, code, timeout=timeout), cancel=cancel)

    def _grade_code(
        self, base: _Base, variant: VariantLike, cancel: threading.Event | None
    ) -> GradeResult:
        q = variant.question
        if not q.check:
            return base.result(GradeStatus.ERROR, feedback=f"question {q.id} has no `check`")
        try:
            self._check_requirements(q)
        except QuestionFailed as exc:
            return base.result(GradeStatus.ERROR, feedback=exc.message)
        result = self.run_code(variant, base.given, cancel=cancel)
        if _cancelled(result, cancel):
            return base.result(GradeStatus.ERROR, feedback="grading was cancelled")
        facts = {
            "duration_ms": result.duration_ms,
            "device": result.device,
            "torch_version": result.torch_version,
            "stdout": result.stdout,
            "expected": q.solution,
            "expected_display": q.solution or "",
        }
        status, feedback = code_verdict(q, result)
        misconception = None
        if status is GradeStatus.INCORRECT and result.error is not None:
            misconception = self._diagnose_code(variant, result.error, cancel)
        return base.result(
            status,
            feedback=feedback,
            score=1.0 if status is GradeStatus.CORRECT else 0.0,
            misconception=misconception,
            extra={"run_status": result.status.value, "stdout_truncated": result.stdout_truncated},
            **facts,
        )


def _variant_key(variant: VariantLike) -> CacheKey:
    """What the truth and the misconceptions' outcomes are cached by (edits change the hash)."""
    q = variant.question
    return (q.id, q.content_hash(), variant.seed)


def _cancelled(result: RunResult, cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set() and result.status is RunStatus.RUNNER_ERROR


def code_verdict(q: Question, result: RunResult) -> tuple[GradeStatus, str]:
    """The verdict on one run of setup + user code + check."""
    if result.status is RunStatus.OK:
        return GradeStatus.CORRECT, "your code passed the check"
    if result.status is RunStatus.TIMEOUT:
        return (
            GradeStatus.TIMEOUT,
            f"your code ran past the {q.timeout:g} s limit (an infinite loop, or too much work)",
        )
    if result.status is RunStatus.RUNNER_ERROR:
        return GradeStatus.ERROR, result.describe()
    err = result.error
    if result.status is RunStatus.ERROR and err is not None:
        if err.step == "setup":
            return GradeStatus.ERROR, f"question {q.id}: its setup failed: {result.describe()}"
        if err.step == "check" and err.type == "AssertionError":
            return GradeStatus.INCORRECT, err.message or "the check failed (an assert failed)"
        if err.type == "SystemExit":
            return GradeStatus.INCORRECT, "your code called exit() before the check could run"
        if err.step == "check":
            return GradeStatus.INCORRECT, f"the check failed on your code: {result.describe()}"
        where = f" (line {err.line})" if err.line else ""
        return GradeStatus.INCORRECT, f"your code raised {err.type}{where}: {err.message}"
    if result.status is RunStatus.DIED:
        return GradeStatus.INCORRECT, f"your code {result.describe()}"
    return GradeStatus.INCORRECT, f"your code {result.describe()}"


def _question_failure(q: Question, result: RunResult, evaluating: bool) -> str:
    if result.status is RunStatus.TIMEOUT:
        return f"its setup ran past its {q.timeout:g} s time limit"
    if result.status is RunStatus.RUNNER_ERROR:
        return f"it could not run: {result.describe()}"
    step = result.error.step if result.error is not None else None
    what = "setup" if step == "setup" or not evaluating else "`answer` expression"
    return f"its {what} failed: {result.describe()}"


def _compare(
    q: Question, variant: VariantLike, parsed: Any, answer: str, truth: Truth
) -> tuple[Any, str, Comparison, Any]:
    """(expected as plain data, its display, the comparison, the truth decoded for the kind)."""
    if q.kind is Kind.SHAPE:
        dims = truth_shape(truth.value)
        return list(dims), display_shape(dims), compare_shape(parsed, dims), dims
    if q.kind is Kind.VALUE:
        array = truth_array(truth.value)
        return array.data, display_array(array), compare_value(parsed, array, q.tolerance), array
    if q.kind is Kind.CHOICE:
        options = list(variant.options or ())
        option = truth_choice(truth.value, options)
        letter = LETTERS[options.index(option)]
        return option, f"{letter}) {option}", compare_choice(parsed, options, option), option
    if q.kind is Kind.OUTPUT:
        text = str(truth.value)
        comparison = compare_output(answer, text, q.compare)
        return text, normalise_output(text), comparison, text
    raise TruthTypeError(f"kind {q.kind} has no truth to compare")


def points_needed(count: int, pass_mark: float) -> int:
    """The fewest of `count` key points that reach `pass_mark`, read to the percent as it is
    shown: 0.67 of 6 points is 4 (4/6 shows as 67%), 0.75 of 4 is 3. Never more than all."""
    for needed in range(count + 1):
        if needed / count + 0.005 >= pass_mark:
            return needed
    return count


def _grade_recall(base: _Base, q: Question, ticked: Sequence[int] | None) -> GradeResult:
    points = q.key_points or ()
    model = q.model_answer or ""
    if not points:
        return base.result(GradeStatus.ERROR, feedback=f"question {q.id} has no key_points")
    if ticked is None:
        return base.result(GradeStatus.INVALID, feedback="tick the key points your answer covered")
    chosen = sorted(set(ticked))
    if any(i < 0 or i >= len(points) for i in chosen):
        # users number key points from 1 (`--tick 1`, the checkboxes); indexes here are 0-based
        return base.result(
            GradeStatus.INVALID,
            feedback=f"this question has {len(points)} key points: tick numbers 1 to {len(points)}",
        )
    score = len(chosen) / len(points)
    missed = [points[i] for i in range(len(points)) if i not in chosen]
    must_missed = [points[i] for i in q.must_points if i not in chosen]
    feedback = f"you covered {len(chosen)} of {len(points)} key points"
    if must_missed:
        feedback += "; a pass needs " + "; ".join(must_missed)
    needed = points_needed(len(points), q.pass_mark)
    if not must_missed and len(chosen) < needed:
        feedback += f"; a pass needs {needed} of them"
    if missed:
        feedback += "; missed: " + "; ".join(missed)
    passed = not must_missed and len(chosen) >= needed
    return base.result(
        GradeStatus.CORRECT if passed else GradeStatus.INCORRECT,
        feedback=feedback,
        expected=model,
        expected_display=model,
        score=score,
        extra={"ticked": chosen},
    )


def _empty_hint(kind: Kind) -> str:
    hints = {
        Kind.SHAPE: "type a shape such as (16, 64)",
        Kind.VALUE: "type a value such as 0.5, [1, 2] or tensor([1., 2.])",
        Kind.CHOICE: "type the letter of an option",
        Kind.OUTPUT: "type what the code prints",
        Kind.CODE: "write some code",
    }
    return "the answer is empty: " + hints.get(kind, "type an answer")


@dataclass(frozen=True)
class _Base:
    question_id: str
    seed: int
    given: str

    def result(self, status: GradeStatus, **fields: Any) -> GradeResult:
        return GradeResult(
            question_id=self.question_id, seed=self.seed, status=status, given=self.given, **fields
        )
