"""Misconceptions, live: grading names them, validation proves them (fixture bank written from
docs/question-format.md only: tests/fixtures/misconceptions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quizapp.bank import Bank, draw_variant, load_bank
from quizapp.bank.models import Question
from quizapp.grading.live import LiveGrader
from quizapp.grading.types import GradeStatus, MisconceptionSource
from quizapp.runner.alternatives import SPEC_NAME
from quizapp.validation import problem_line, validate_bank

MISC_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "misconceptions"


@pytest.fixture(scope="module")
def misc_bank() -> Bank:
    bank = load_bank([MISC_BANK])
    assert not bank.problems, bank.problems
    return bank


@pytest.fixture
def grader(counting: Any) -> LiveGrader:
    return LiveGrader(counting)


def _misconception_runs(counting: Any) -> int:
    return sum(1 for r in counting.requests if SPEC_NAME in r.params)


def test_a_wrong_answer_names_its_authored_misconception(
    grader: LiveGrader, misc_bank: Bank, counting: Any
) -> None:
    variant = draw_variant(misc_bank.get("misc.linear-weight-shape"), 3)
    fan_in, fan_out = variant.params["fan_in"], variant.params["fan_out"]
    result = grader.grade(variant, f"({fan_in}, {fan_out})")
    assert result.status is GradeStatus.INCORRECT
    assert result.misconception is not None
    assert result.misconception.name == "transposed-weight"
    assert result.misconception.source is MisconceptionSource.AUTHORED
    # the explanation's {{params}} are filled in
    assert f"nn.Linear({fan_in}, {fan_out})" in result.misconception.explanation
    assert result.to_json()["misconception"] == {
        "name": "transposed-weight",
        "summary": "Takes nn.Linear.weight to be (in_features, out_features)",
        "source": "authored",
    }


def test_a_correct_answer_never_runs_the_misconceptions(
    grader: LiveGrader, misc_bank: Bank, counting: Any
) -> None:
    variant = draw_variant(misc_bank.get("misc.linear-weight-shape"), 1)
    fan_in, fan_out = variant.params["fan_in"], variant.params["fan_out"]
    result = grader.grade(variant, f"({fan_out}, {fan_in})")
    assert result.status is GradeStatus.CORRECT and result.misconception is None
    assert _misconception_runs(counting) == 0
    assert result.to_json()["misconception"] is None


def test_misconceptions_run_once_per_variant_and_are_cached(
    grader: LiveGrader, misc_bank: Bank, counting: Any
) -> None:
    variant = draw_variant(misc_bank.get("misc.dropout-eval"), 0)
    first = grader.grade(variant, "0")
    second = grader.grade(variant, "1")
    assert first.status is second.status is GradeStatus.INCORRECT
    assert _misconception_runs(counting) == 1


def test_other_wrong_answers_name_none(grader: LiveGrader, misc_bank: Bank) -> None:
    variant = draw_variant(misc_bank.get("misc.grad-sum"), 0)  # automatic ones are off
    assert grader.grade(variant, "[1, 2, 3]").misconception is not None
    for wrong in ("[-2, -4, -6]", "[4, 8, 12]", "[0, 0, 0]"):
        result = grader.grade(variant, wrong)
        assert result.status is GradeStatus.INCORRECT and result.misconception is None, wrong


def test_a_replacement_setup_misconception(grader: LiveGrader, misc_bank: Bank) -> None:
    variant = draw_variant(misc_bank.get("misc.dropout-eval"), 0)
    # what train-mode dropout gives on seed 0, computed here the way the misconception does
    believed = grader.outcomes(variant)["authored:eval-still-drops"]
    assert believed.ok
    total = believed.value
    result = grader.grade(variant, str(total))
    assert result.misconception is not None and result.misconception.name == "eval-still-drops"


def test_choice_and_output_misconceptions(grader: LiveGrader, misc_bank: Bank) -> None:
    choice = draw_variant(misc_bank.get("misc.choice-eval"), 0)
    result = grader.grade(choice, "no")
    assert result.status is GradeStatus.INCORRECT
    assert result.misconception is not None
    assert result.misconception.name == "eval-disables-autograd"
    output = draw_variant(misc_bank.get("misc.print-view"), 0)
    copied = grader.grade(output, "[0.0, 0.0, 0.0]")
    assert copied.misconception is not None and copied.misconception.name == "view-copies"
    # lenient output: spacing and quotes do not count, for the truth as for a misconception
    assert grader.grade(output, "[1.0,0.0,0.0]").status is GradeStatus.CORRECT
    assert grader.grade(output, "[0.0,  0.0, 0.0]").misconception is not None


def test_validate_reports_a_misconception_that_gives_the_truth(
    runner: Any, misc_bank: Bank
) -> None:
    report = validate_bank(misc_bank, LiveGrader(runner))
    lines = [problem_line(p) for p in report.problems]
    assert any(
        "misc.gives-truth" in line
        and "misconception square-transpose gives the truth on seed 0" in line
        for line in lines
    ), lines
    assert any(
        "misc.code-relu-weak" in line
        and "the check accepts misconception relu-after-logits" in line
        for line in lines
    ), lines
    # the misconception the check rejects is not a problem, nor is any other question
    assert not any("no-hidden-layer" in line for line in lines)
    flagged = {p.question_id for p in report.problems}
    assert flagged == {"misc.gives-truth", "misc.code-relu-weak"}, lines


def test_validate_names_a_misconception_that_cannot_run(runner: Any) -> None:
    q = Question.model_validate(
        {
            "id": "t.broken-misconception",
            "kind": "shape",
            "topic": "t",
            "prompt": "?",
            "setup": "x = torch.ones(2, 3)",
            "answer": "x.shape",
            "misconceptions": [
                {"name": "typo", "summary": "s", "answer": "y.shape"},
                {"name": "loops", "summary": "s", "setup": "while True:\n    pass"},
            ],
            "timeout": 0.5,
        }
    )
    bank = Bank(questions={q.id: q}, problems=[], dirs=[])
    report = validate_bank(bank, LiveGrader(runner), seeds_per_question=1)
    messages = [p.message for p in report.problems]
    assert any("misconception typo cannot be computed: it raised NameError" in m for m in messages)
    assert any("misconception loops cannot be computed" in m for m in messages), messages
