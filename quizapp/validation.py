"""`quizapp validate`: every problem in a bank, found by loading it and running each question live.

On top of the loader's problems (YAML, fields, ids), each question is run in the sandbox, for
several variants when it has params:
- shape / value / choice: the truth must have a type the kind can grade (a shape needs a
  torch.Size or a tuple/list of ints; a choice truth must be one of the options);
- choice: the correct option must not stand out by length (`key_stands_out`);
- output: the setup must print something;
- code: the solution must pass the check, and the starter must not;
- any run that raises, crashes or times out is a problem naming the step;
- `expect:` (questions without params) must equal the live truth, compared as an answer would be;
- misconceptions, on every validated seed (all of a question's in one run): an authored one must
  not give the truth ("misconception X gives the truth on seed N": it could never diagnose a
  wrong answer there; one marked `sometimes_true` may, on some seeds but not all) and must
  compute; on code questions every `code` misconception must fail
  the check ("the check accepts misconception X": a mutation test of the check). The automatic
  misconceptions are never validation problems.
Questions whose `requires` the runner cannot meet are skipped (and listed), not failed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from quizapp.bank import Bank, Problem, Question, draw_variant
from quizapp.bank.models import Kind
from quizapp.bank.variants import Variant
from quizapp.grading.compare import (
    TruthTypeError,
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
from quizapp.grading.live import LiveGrader, QuestionFailed, code_verdict
from quizapp.grading.misconceptions import authored_alternative, believed, same_answer
from quizapp.grading.parse import AnswerParseError, parse_shape, value_from_data
from quizapp.grading.types import GradeStatus
from quizapp.runner.protocol import RunStatus

Progress = Callable[[int, int, str], None]  # (questions done, total, id just finished)

# A key this much longer than every wrong option is picked by length alone (test-wise learners
# pick the longest, most qualified option). Both limits must be passed: a ratio alone would flag
# "an error" against "0", a margin alone a long key among long options.
KEY_LENGTH_RATIO = 1.5
KEY_LENGTH_MARGIN = 15  # characters


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0  # questions run live
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (id, why)
    questions: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "questions": self.questions,
            "checked": self.checked,
            "skipped": [{"id": qid, "reason": why} for qid, why in self.skipped],
            "problems": [
                {
                    "file": str(p.file) if p.file is not None else None,
                    "line": p.line,
                    "id": p.question_id,
                    "field": p.field,
                    "message": p.message,
                }
                for p in self.problems
            ],
        }


def problem_line(problem: Problem) -> str:
    """`file:line: id: field: message`, leaving out the parts a problem does not have."""
    parts = [problem.location(), problem.question_id or "", problem.field or "", problem.message]
    return ": ".join(p for p in parts if p)


def seeds_for(question: Question, per_question: int) -> list[int]:
    """The `per_question` seeds to validate, deterministic so that reruns run the same.

    Distinct param variants come first. Every question runs on several seeds, params or not,
    because the seed also draws its random values (`torch.manual_seed(seed)` precedes the
    setup): a starter that passes only for some draws, or a truth that depends on the draw
    while `expect` is fixed, shows up here and not in a user's session.
    """
    wanted = max(1, per_question)
    if not question.has_params:
        return list(range(wanted))
    seeds: list[int] = []
    seen: set[str] = set()
    for seed in range(wanted * 20):
        key = repr(sorted(draw_variant(question, seed).params.items()))
        if key not in seen:
            seen.add(key)
            seeds.append(seed)
            if len(seeds) == wanted:
                return seeds
    repeats = (seed for seed in range(wanted * 20) if seed not in seeds)
    return seeds + [next(repeats) for _ in range(wanted - len(seeds))]


def validate_bank(
    bank: Bank,
    grader: LiveGrader | Sequence[LiveGrader],
    *,
    seeds_per_question: int = 3,
    progress: Progress | None = None,
    workers: int = 2,
) -> ValidationReport:
    """Load problems plus live problems for every question; never stops at the first.

    `grader` may be several graders (one per runner, so one zygote per core): `workers` threads
    share them round robin, each thread keeping one. A single runner forks every child from one
    single-threaded zygote; two runners fork in parallel.
    """
    graders = [grader] if isinstance(grader, LiveGrader) else list(grader)
    if not graders:
        raise ValueError("validate_bank needs at least one grader")
    assigned = itertools.count()
    local = threading.local()

    def own_grader() -> LiveGrader:
        mine: LiveGrader | None = getattr(local, "grader", None)
        if mine is None:
            mine = graders[next(assigned) % len(graders)]
            local.grader = mine
        return mine

    questions = list(bank.questions.values())
    report = ValidationReport(problems=list(bank.problems), questions=len(questions))
    outcomes: list[_Outcome | None] = [None] * len(questions)
    done = 0
    lock = threading.Lock()

    def work(index: int) -> None:
        nonlocal done
        q = questions[index]
        try:
            outcome = _validate_question(own_grader(), q, seeds_for(q, seeds_per_question))
        except Exception as exc:  # a bug here must not hide the other questions' problems
            found = _Collector(q)
            found.add("", f"validation itself failed: {type(exc).__name__}: {exc}")
            outcome = _Outcome(problems=found.problems)
        with lock:
            outcomes[index] = outcome
            done += 1
            if progress is not None:
                progress(done, len(questions), q.id)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="validate") as pool:
        for future in [pool.submit(work, i) for i in range(len(questions))]:
            future.result()

    for q, outcome in zip(questions, outcomes, strict=True):
        assert outcome is not None
        if outcome.skipped is not None:
            report.skipped.append((q.id, outcome.skipped))
            continue
        report.checked += 1
        report.problems.extend(outcome.problems)
    return report


@dataclass
class _Outcome:
    problems: list[Problem] = field(default_factory=list)
    skipped: str | None = None


class _Collector:
    """Problems of one question. The same problem in several variants is reported once,
    naming the first variant and the seeds of the others."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self._found: dict[object, tuple[str, str, Variant | None, list[int]]] = {}
        # Misconceptions that differed from the truth on some seed, and the `sometimes_true`
        # ones that gave it on some seed: each of those must differ somewhere, or it never
        # diagnoses anything.
        self.differed: set[str] = set()
        self.gave_truth: set[str] = set()

    def add(
        self, field_name: str, message: str, variant: Variant | None = None, key: object = None
    ) -> None:
        key = (field_name, message) if key is None else (field_name, key)
        if key in self._found:
            if variant is not None:
                self._found[key][3].append(variant.seed)
            return
        self._found[key] = (field_name, message, variant, [])

    @property
    def problems(self) -> list[Problem]:
        out = []
        for field_name, message, variant, others in self._found.values():
            text = message
            if variant is not None and variant.params:
                shown = ", ".join(f"{k}={v!r}" for k, v in variant.params.items())
                text = f"{message} (seed {variant.seed}: {shown})"
                if others:
                    text += f"; also seed(s) {', '.join(map(str, others))}"
            out.append(
                Problem(
                    message=text,
                    file=self.question.source_file,
                    line=self.question.source_line,
                    field=field_name,
                    question_id=self.question.id,
                )
            )
        return out


def _validate_question(grader: LiveGrader, q: Question, seeds: list[int]) -> _Outcome:
    reason = grader.requirement_problem(q.requires)
    if reason is not None:
        return _Outcome(skipped=reason)
    if q.kind is Kind.RECALL:
        return _Outcome()  # self-graded: nothing runs; the loader checks its fields
    found = _Collector(q)
    for seed in seeds:
        variant = draw_variant(q, seed)
        try:
            if q.kind is Kind.CODE:
                _check_code(grader, variant, found)
                _check_misconceptions(grader, variant, found, None)
            else:
                decoded = _check_truth(grader, variant, found)
                if decoded is not None:
                    _check_misconceptions(grader, variant, found, decoded)
        except QuestionFailed as exc:
            if exc.unmet:
                return _Outcome(skipped=exc.message)
            found.add(_failed_field(q, exc), exc.detail, variant, key=_failure_key(exc))
    for name in sorted(found.gave_truth - found.differed):
        found.add(
            "misconceptions",
            f"misconception {name} (sometimes_true) gives the truth on every validated seed "
            f"({', '.join(map(str, seeds))}): it never diagnoses anything; make the params reach "
            "a variant where the belief is wrong, or remove it",
        )
    if q.trace is not None or q.graph is not None or q.modes is not None:
        _check_instruments(grader, draw_variant(q, seeds[0]), found)
    return _Outcome(problems=found.problems)


def _check_instruments(grader: LiveGrader, variant: Variant, found: _Collector) -> None:
    """The names a question gives `trace`, `graph` and `modes` must exist and fit."""
    from quizapp.explain import explain_variant, explicit_instrument_problems

    explanation = explain_variant(grader.runner, variant)
    if explanation is None:
        return
    for message in explicit_instrument_problems(variant.question, explanation):
        field_name = message.split("`")[1] if message.startswith("`") else "trace"
        found.add(field_name, message, variant)


def _failed_field(q: Question, exc: QuestionFailed) -> str:
    result = exc.result
    if q.kind is Kind.OUTPUT or result is None or result.status is not RunStatus.ERROR:
        return "setup"
    step = result.error.step if result.error is not None else None
    return "setup" if step == "setup" else "answer"


def _failure_key(exc: QuestionFailed) -> object:
    """What makes two failed runs the same problem: the status, error type and step."""
    result = exc.result
    if result is None:
        return exc.detail
    error = result.error
    return (result.status, error.type if error else None, error.step if error else None)


def _check_truth(grader: LiveGrader, variant: Variant, found: _Collector) -> Any:
    """The checks on the truth; returns it decoded for the kind (None when it is unusable)."""
    q = variant.question
    truth = grader.truth(variant)
    check_expect = q.expect is not None and not q.has_params
    try:
        if q.kind is Kind.SHAPE:
            dims = truth_shape(truth.value)
            if check_expect:
                _expect_shape(q.expect, dims, found)
            return dims
        if q.kind is Kind.VALUE:
            array = truth_array(truth.value)
            if check_expect:
                _expect_value(q, array, found)
            return array
        if q.kind is Kind.CHOICE:
            option = truth_choice(truth.value, variant.options or ())
            if check_expect and str(q.expect) != option:
                found.add("expect", f"expect is {q.expect!r} but the live truth is {option!r}")
            standing_out = key_stands_out(option, variant.options or ())
            if standing_out is not None:
                found.add("options", standing_out, variant, key="key-length")
            return option
        if q.kind is Kind.OUTPUT:
            printed = str(truth.value)
            if not printed.strip():
                found.add("setup", "an output question's setup must print something", variant)
                return None
            if check_expect:
                comparison = compare_output(str(q.expect), printed, q.compare)
                if not comparison.correct:
                    found.add(
                        "expect",
                        f"expect differs from what setup prints: {comparison.feedback}; "
                        f"it prints {_clip(normalise_output(printed))!r}",
                    )
            return printed
    except TruthTypeError as exc:
        found.add("answer", str(exc), variant)
    return None


def key_stands_out(key: str, options: Sequence[str]) -> str | None:
    """Why the correct option gives itself away by its length, or None when it does not."""
    others = [len(o.strip()) for o in options if o != key]
    if not others:
        return None
    longest_other, length = max(others), len(key.strip())
    if length < longest_other * KEY_LENGTH_RATIO or length - longest_other < KEY_LENGTH_MARGIN:
        return None
    return (
        f"the correct option ({length} characters) is much longer than every wrong one (at most "
        f"{longest_other}): it can be picked by its length alone; shorten it, or make a wrong "
        "option as specific"
    )


def _check_misconceptions(
    grader: LiveGrader, variant: Variant, found: _Collector, truth: Any
) -> None:
    """The authored misconceptions of one variant, all in one run (each alone when that run
    fails as a whole, to say which one). `truth`: decoded for the kind (None for code)."""
    q = variant.question
    planned = [(m, authored_alternative(q, m)) for m in q.misconceptions]
    runs = [(m, alt) for m, alt in planned if alt is not None]
    if not runs:
        return
    outcomes = grader.run_alternatives(variant, tuple(alt for _, alt in runs))
    if outcomes is None:
        outcomes = {}
        for m, alt in runs:
            alone = grader.run_alternatives(variant, (alt,))
            if alone is not None:
                outcomes.update(alone)
            elif q.kind is not Kind.CODE:  # a wrong solution may well loop or crash
                found.add(
                    "misconceptions",
                    f"misconception {m.name} cannot be computed: its run timed out or crashed",
                    variant,
                    key=("fails", m.name),
                )
    beliefs: list[tuple[str, Any]] = []  # (name, answer) of those that computed one
    for m, alt in runs:
        outcome = outcomes.get(alt.key)
        if outcome is None:
            continue
        if q.kind is Kind.CODE:
            if outcome.ok:
                found.add(
                    "misconceptions",
                    f"the check accepts misconception {m.name}",
                    variant,
                    key=("accepts", m.name),
                )
            elif outcome.error is not None and outcome.error.step == "setup":
                found.add(
                    "misconceptions",
                    f"misconception {m.name}: the setup failed: {outcome.error.type}: "
                    f"{outcome.error.message}",
                    variant,
                    key=("setup", m.name),
                )
            continue
        belief = believed(q, variant.options, outcome)
        if belief.value is None:
            found.add(
                "misconceptions",
                f"misconception {m.name} cannot be computed: {belief.failure}",
                variant,
                key=("fails", m.name),
            )
        elif same_answer(q, belief.value, truth):
            if m.sometimes_true:  # the rule holds for these params: nothing to diagnose here
                found.gave_truth.add(m.name)
                continue
            found.add(
                "misconceptions",
                f"misconception {m.name} gives the truth on seed {variant.seed}",
                variant,
                key=("truth", m.name),
            )
        else:
            found.differed.add(m.name)
            # Two beliefs with the same wrong answer: the first one tried would be named for
            # a user who holds the other (a misdiagnosis). Make the params tell them apart.
            twin = next((name for name, v in beliefs if same_answer(q, v, belief.value)), None)
            if twin is not None:
                found.add(
                    "misconceptions",
                    f"misconceptions {twin} and {m.name} give the same answer on seed "
                    f"{variant.seed}: a user who holds {m.name} would be told {twin}",
                    variant,
                    key=("twins", twin, m.name),
                )
            beliefs.append((m.name, belief.value))


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _expect_shape(expect: Any, dims: tuple[int, ...], found: _Collector) -> None:
    try:
        if isinstance(expect, str):
            wanted = parse_shape(expect)
        elif isinstance(expect, list) and all(
            isinstance(d, int) and not isinstance(d, bool) for d in expect
        ):
            wanted = tuple(expect)
        else:
            raise AnswerParseError(f"{expect!r} is not a list of ints or a shape like '(16, 64)'")
    except AnswerParseError as exc:
        found.add("expect", f"expect cannot be read as a shape: {exc}")
        return
    if not compare_shape(wanted, dims).correct:
        found.add(
            "expect",
            f"expect is {display_shape(wanted)} but the live truth is {display_shape(dims)}",
        )


def _expect_value(q: Question, array: Any, found: _Collector) -> None:
    try:
        wanted = value_from_data(q.expect)
    except AnswerParseError as exc:
        found.add("expect", f"expect cannot be read as a value: {exc}")
        return
    comparison = compare_value(wanted, array, q.tolerance)
    if not comparison.correct:
        found.add(
            "expect",
            f"expect differs from the live truth {display_array(array)}: {comparison.feedback}",
        )


def _check_code(grader: LiveGrader, variant: Variant, found: _Collector) -> None:
    q = variant.question
    if not q.check:
        return  # the loader reports the missing field
    if q.solution is not None:
        result = grader.run_code(variant, q.solution)
        status, feedback = code_verdict(q, result)
        if result.error is not None and result.error.step == "setup":
            found.add(
                "setup",
                f"the setup failed: {result.describe()}",
                variant,
                key=("setup", result.error.type),
            )
            return
        if status is GradeStatus.TIMEOUT:
            found.add("solution", f"the solution ran past the {q.timeout:g} s limit", variant)
        elif status is not GradeStatus.CORRECT:
            what = feedback.replace("your code", "the solution")
            found.add("solution", f"the solution fails its check: {what}", variant)
    starter = grader.run_code(variant, q.starter)
    if starter.status is RunStatus.OK:
        found.add(
            "starter",
            "the starter passes the check, so the check does not test what the user must write",
            variant,
        )
