"""Live grading per kind against a real Runner and the fixture bank."""

from __future__ import annotations

from typing import Any

import pytest

from quizapp.bank import Bank, Question, draw_variant
from quizapp.bank.models import Kind, Requires
from quizapp.grading.live import LiveGrader
from quizapp.grading.types import GradeStatus


def grade(
    grader: LiveGrader, bank: Bank, qid: str, answer: str, seed: int = 0, **kw: object
) -> object:
    return grader.grade(draw_variant(bank.get(qid), seed), answer, **kw)  # type: ignore[arg-type]


@pytest.fixture
def grader(counting: Any) -> LiveGrader:
    return LiveGrader(counting)


# -- shape --------------------------------------------------------------------------------------


def test_shape_correct_incorrect_invalid(
    grader: LiveGrader, fixture_bank: Bank, counting: Any
) -> None:
    ok = grader.grade(draw_variant(fixture_bank.get("fixture.linear-shape"), 0), "16x64")
    assert ok.status is GradeStatus.CORRECT and ok.correct
    assert ok.expected == [16, 64] and ok.expected_display == "(16, 64)"
    assert ok.to_json()["status"] == "correct"

    wrong = grader.grade(draw_variant(fixture_bank.get("fixture.linear-shape"), 0), "(64, 16)")
    assert wrong.status is GradeStatus.INCORRECT and "wrong order" in wrong.feedback
    assert wrong.counts

    runs_before = len(counting.requests)
    bad = grader.grade(draw_variant(fixture_bank.get("fixture.linear-shape"), 0), "16 by 64")
    assert bad.status is GradeStatus.INVALID and not bad.counts
    assert "couldn't read '16 by 64' as a shape" in bad.feedback
    assert len(counting.requests) == runs_before  # invalid answers never run anything


def test_param_variants_have_their_own_truths(grader: LiveGrader, fixture_bank: Bank) -> None:
    question = fixture_bank.get("fixture.matmul-shape")
    seen = set()
    for seed in range(8):
        variant = draw_variant(question, seed)
        b, n = variant.params["b"], variant.params["n"]
        assert grader.grade(variant, f"({b}, {n}, 3)").correct
        assert not grader.grade(variant, f"({b}, {n}, 8)").correct
        seen.add((b, n))
    assert len(seen) > 1


def test_truth_cache_runs_once_per_variant(
    grader: LiveGrader, fixture_bank: Bank, counting: Any
) -> None:
    question = fixture_bank.get("fixture.matmul-shape")
    grader.grade(draw_variant(question, 1), "(1, 1, 1)")
    grader.grade(draw_variant(question, 1), "(2, 2, 2)")
    assert len(counting.requests) == 1
    grader.grade(draw_variant(question, 2), "(2, 2, 2)")
    assert len(counting.requests) == 2
    # The truth is computed in a run of its own: only the question's code, never the answer.
    assert [s.label for s in counting.requests[0].steps] == ["setup"]
    assert counting.requests[0].evaluate == "out.shape"

    uncached = LiveGrader(counting, cache_size=0)
    uncached.grade(draw_variant(question, 1), "(1, 1, 1)")
    uncached.grade(draw_variant(question, 1), "(1, 1, 1)")
    assert len(counting.requests) == 4


# -- value --------------------------------------------------------------------------------------


def test_value_answers(grader: LiveGrader, fixture_bank: Bank) -> None:
    variant = draw_variant(fixture_bank.get("fixture.square-grad"), 0)
    for answer in ("tensor([2., 4., 6.])", "[2, 4, 6]", "2, 4, 6", "[2.00001, 4, 6]"):
        assert grader.grade(variant, answer).correct, answer
    wrong = grader.grade(variant, "[2, 4, 5]")
    assert wrong.status is GradeStatus.INCORRECT
    assert wrong.feedback == "element [2] is 5, expected 6.0"
    assert wrong.expected == [2.0, 4.0, 6.0]
    assert wrong.expected_display == "tensor([2.0, 4.0, 6.0])"
    shape = grader.grade(variant, "[2, 4]")
    assert "shape (2,)" in shape.feedback and "(3,)" in shape.feedback
    assert grader.grade(variant, "tensor([2., ...])").status is GradeStatus.INVALID


def test_value_bool_and_params(grader: LiveGrader, fixture_bank: Bank) -> None:
    leaf = draw_variant(fixture_bank.get("fixture.is-leaf"), 0)
    assert grader.grade(leaf, "False").correct
    assert grader.grade(leaf, "false").correct
    assert not grader.grade(leaf, "True").correct
    question = fixture_bank.get("fixture.scaled-mean")
    for seed in range(4):
        variant = draw_variant(question, seed)
        expected = 1.5 * variant.params["scale"]
        assert grader.grade(variant, repr(expected)).correct
        assert grader.grade(variant, f"tensor({expected:.4f})").correct
        assert not grader.grade(variant, repr(expected + 0.1)).correct


# -- choice -------------------------------------------------------------------------------------


def test_choice_by_letter_and_text(grader: LiveGrader, fixture_bank: Bank) -> None:
    question = fixture_bank.get("fixture.no-grad-choice")
    for seed in range(4):
        variant = draw_variant(question, seed)
        letter = variant.letter_of("False")
        assert grader.grade(variant, letter.lower()).correct
        assert grader.grade(variant, f"({letter})").correct
        assert grader.grade(variant, "false").correct
        result = grader.grade(variant, variant.letter_of("True"))
        assert result.status is GradeStatus.INCORRECT
        assert result.expected == "False" and result.expected_display == f"{letter}) False"
    assert grader.grade(draw_variant(question, 0), "Z").status is GradeStatus.INVALID


# -- output -------------------------------------------------------------------------------------


def test_output(grader: LiveGrader, fixture_bank: Bank) -> None:
    variant = draw_variant(fixture_bank.get("fixture.print-shape"), 0)
    assert grader.grade(variant, "torch.Size([2, 3])  \n0.0\n\n").correct
    wrong = grader.grade(variant, "torch.Size([2, 3])\n0")
    assert wrong.status is GradeStatus.INCORRECT
    assert wrong.feedback == "line 2 is '0', expected '0.0'"
    assert wrong.expected == "torch.Size([2, 3])\n0.0\n"


# -- code ---------------------------------------------------------------------------------------

RELU = "fixture.write-relu"


def test_code_solution_passes_and_starter_fails(grader: LiveGrader, fixture_bank: Bank) -> None:
    question = fixture_bank.get(RELU)
    variant = draw_variant(question, 0)
    assert question.solution is not None
    ok = grader.grade(variant, question.solution)
    assert ok.status is GradeStatus.CORRECT
    starter = grader.grade(variant, question.starter)
    assert starter.status is GradeStatus.INCORRECT
    assert "relu(x) gave None" in starter.feedback  # the check's AssertionError message


@pytest.mark.parametrize(
    ("code", "needle"),
    [
        ("import os\nos._exit(0)", "exited early"),
        ("raise SystemExit(0)", "exit()"),
        ("import sys\nsys.exit()", "exit()"),
        ("def relu(t):\n    return undefined_name", "NameError"),
        ("relu = 3", "define a function named relu"),  # the check's own message
        ("def relu(t):\n    return t", "relu(x) gave"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "crashed"),
    ],
)
def test_code_failures_are_never_a_pass(
    grader: LiveGrader, fixture_bank: Bank, code: str, needle: str
) -> None:
    result = grader.grade(draw_variant(fixture_bank.get(RELU), 0), code)
    assert result.status is GradeStatus.INCORRECT, result
    assert needle in result.feedback
    assert result.counts


def test_code_infinite_loop_is_a_timeout(grader: LiveGrader, fixture_bank: Bank) -> None:
    question = fixture_bank.get(RELU).model_copy(update={"timeout": 0.5})
    result = grader.grade(draw_variant(question, 0), "while True:\n    pass")
    assert result.status is GradeStatus.TIMEOUT and not result.correct
    assert "time limit" in result.feedback or "limit" in result.feedback


def test_code_prints_are_kept(grader: LiveGrader, fixture_bank: Bank) -> None:
    code = "print('hello')\ndef relu(t):\n    return t.clamp(min=0)"
    result = grader.grade(draw_variant(fixture_bank.get(RELU), 0), code)
    assert result.correct and "hello" in result.stdout


def test_code_run_is_isolated(grader: LiveGrader, fixture_bank: Bank) -> None:
    variant = draw_variant(fixture_bank.get(RELU), 0)
    cheat = "torch.equal = lambda a, b: True\ndef relu(t):\n    return t"
    grader.grade(variant, cheat)
    # The monkeypatch died with its child: the next run sees the real torch.equal.
    honest = grader.grade(variant, "def relu(t):\n    return t")
    assert honest.status is GradeStatus.INCORRECT


# -- recall -------------------------------------------------------------------------------------


def test_recall_is_self_graded_without_a_run(
    grader: LiveGrader, fixture_bank: Bank, counting: Any
) -> None:
    variant = draw_variant(fixture_bank.get("fixture.why-zero-grad"), 0)
    all_three = grader.grade(variant, "grads accumulate", ticked=[0, 1, 2])
    assert all_three.status is GradeStatus.CORRECT and all_three.score == 1
    # 2 of 3 is under the default pass mark (0.75): an interviewer wants most of the points
    two = grader.grade(variant, "grads accumulate", ticked=[0, 1])
    assert two.status is GradeStatus.INCORRECT and two.score == pytest.approx(2 / 3)
    assert "missed" in two.feedback and "a pass needs 3 of them" in two.feedback
    one = grader.grade(variant, "not sure", ticked=[2])
    assert one.status is GradeStatus.INCORRECT and one.score == pytest.approx(1 / 3)
    none = grader.grade(variant, "", ticked=[])
    assert none.status is GradeStatus.INCORRECT and none.score == 0
    assert grader.grade(variant, "x").status is GradeStatus.INVALID
    assert grader.grade(variant, "x", ticked=[5]).status is GradeStatus.INVALID
    assert counting.requests == []


# -- broken questions ---------------------------------------------------------------------------


def make(kind: Kind, **fields: object) -> Question:
    return Question(id=f"test.{kind.value}", kind=kind, topic="t", prompt="?", **fields)  # type: ignore[arg-type]


def test_question_setup_failure_is_an_error(grader: LiveGrader) -> None:
    question = make(Kind.SHAPE, setup="x = torch.ones(2)\ny = x @ torch.ones(3)", answer="y.shape")
    result = grader.grade(draw_variant(question, 0), "(2,)")
    assert result.status is GradeStatus.ERROR and not result.counts
    assert "setup" in result.feedback and "test.shape" in result.feedback


def test_question_answer_failure_names_the_answer(grader: LiveGrader) -> None:
    question = make(Kind.VALUE, setup="x = 1", answer="x.nope")
    result = grader.grade(draw_variant(question, 0), "1")
    assert result.status is GradeStatus.ERROR
    assert "`answer` expression" in result.feedback and "AttributeError" in result.feedback


def test_truth_of_wrong_type_is_an_error(grader: LiveGrader) -> None:
    question = make(Kind.SHAPE, setup="x = torch.ones(2, 3)", answer="x")
    result = grader.grade(draw_variant(question, 0), "(2, 3)")
    assert result.status is GradeStatus.ERROR and "`.shape`" in result.feedback


def test_unmet_requirement_is_an_error(grader: LiveGrader) -> None:
    question = make(Kind.VALUE, setup="x = 1", answer="x", requires=Requires(torch="<1.0"))
    result = grader.grade(draw_variant(question, 0), "1")
    assert result.status is GradeStatus.ERROR
    assert "cannot run here" in result.feedback and "torch <1.0" in result.feedback


def test_question_timeout_is_an_error(grader: LiveGrader) -> None:
    question = make(Kind.VALUE, setup="while True:\n    pass", answer="1", timeout=0.5)
    result = grader.grade(draw_variant(question, 0), "1")
    assert result.status is GradeStatus.ERROR and "time limit" in result.feedback


def test_cancel_stops_a_running_check(grader: LiveGrader, fixture_bank: Bank) -> None:
    import threading
    import time

    question = fixture_bank.get(RELU).model_copy(update={"timeout": 10.0})
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    started = time.monotonic()
    result = grader.grade(draw_variant(question, 0), "while True:\n    pass", cancel=cancel)
    assert time.monotonic() - started < 5
    assert result.status is GradeStatus.ERROR and "cancelled" in result.feedback
    assert not result.counts


def _recall(**fields: object) -> Question:
    points = fields.pop("key_points")
    return Question.model_validate(
        {
            "id": "test.recall",
            "kind": "recall",
            "topic": "t",
            "prompt": "?",
            "model_answer": "m",
            "key_points": points,
            **fields,
        }
    )


def test_recall_needs_every_must_point(grader: LiveGrader) -> None:
    q = _recall(key_points=[{"text": "a", "must": True}, "b", "c", "d"], pass_mark=0.5)
    variant = draw_variant(q, 0)
    without_must = grader.grade(variant, "x", ticked=[1, 2, 3])
    assert without_must.status is GradeStatus.INCORRECT
    assert "a pass needs a" in without_must.feedback
    assert grader.grade(variant, "x", ticked=[0, 1]).status is GradeStatus.CORRECT
    assert grader.grade(variant, "x", ticked=[0]).status is GradeStatus.INCORRECT


def test_recall_pass_mark_is_inclusive(grader: LiveGrader) -> None:
    q = _recall(key_points=["a", "b", "c", "d"])  # default pass mark 0.75
    variant = draw_variant(q, 0)
    assert grader.grade(variant, "x", ticked=[0, 1, 2]).status is GradeStatus.CORRECT
    assert grader.grade(variant, "x", ticked=[0, 1]).status is GradeStatus.INCORRECT
