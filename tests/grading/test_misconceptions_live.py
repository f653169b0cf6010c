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
from quizapp.runner.alternatives import STEP_LABEL
from quizapp.validation import problem_line, validate_bank

MISC_BANK = Path(__file__).resolve().parent.parent / "fixtures" / "misconceptions"


@pytest.fixture(scope="module")
def misc_bank() -> Bank:
    bank = load_bank([MISC_BANK])
    assert not bank.problems, bank.problems
    return bank


@pytest.fixture
def grader(counting: Any) -> LiveGrader:
    # a failing code verdict may wait for its diagnosis as long as a loaded machine needs
    return LiveGrader(counting, diagnosis_wait_s=120)


def _misconception_runs(counting: Any) -> int:
    return sum(1 for r in counting.requests if r.steps[0].label == STEP_LABEL)


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
        "basis": "answer",
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


def test_validate_reports_two_misconceptions_with_the_same_answer(runner: Any) -> None:
    """On n = 2 "summed" and "doubled" are both 2 x the truth: a user who summed would be told
    they doubled. Validate names the pair and the seed; on n = 3 they differ."""
    q = Question.model_validate(
        {
            "id": "t.twins",
            "kind": "value",
            "topic": "t",
            "prompt": "?",
            "params": {"n": [2, 3]},
            "setup": "x = torch.ones(n)",
            "answer": "x.mean().item()",
            "misconceptions": [
                {"name": "doubled", "summary": "s", "answer": "2 * x.mean().item()"},
                {"name": "summed", "summary": "s", "answer": "x.sum().item()"},
            ],
        }
    )
    bank = Bank(questions={q.id: q}, problems=[], dirs=[])
    report = validate_bank(bank, LiveGrader(runner), seeds_per_question=2)
    messages = [p.message for p in report.problems]
    assert len(messages) == 1, messages
    assert "misconceptions doubled and summed give the same answer on seed" in messages[0]
    assert "n=2" in messages[0] and "n=3" not in messages[0]


def test_each_code_misconception_meets_an_unpatched_torch(runner: Any) -> None:
    """A check that forbids F.linear by replacing it (and never puts it back) must not decide
    the next misconception's fate: each code misconception runs in a process of its own. Here
    the second misconception is right, so the check accepts it, which validate must say."""
    check = (
        "expected = F.linear(x, W, b)\n"
        "def _banned(*a, **k):\n"
        "    raise AssertionError('F.linear is not allowed')\n"
        "F.linear = _banned\n"
        "got = affine(x, W, b)\n"
        "assert got.shape == expected.shape, 'shape'\n"
        "assert torch.allclose(got, expected, atol=1e-5), 'values'\n"
    )
    q = Question.model_validate(
        {
            "id": "t.code-patched-check",
            "kind": "code",
            "topic": "t",
            "prompt": "?",
            "setup": "x = torch.randn(3, 4)\nW = torch.randn(2, 4)\nb = torch.randn(2)",
            "starter": "def affine(x, W, b):\n    return x @ W + b",
            "solution": "def affine(x, W, b):\n    return x @ W.T + b",
            "check": check,
            "misconceptions": [
                {
                    "name": "no-transpose",
                    "summary": "s",
                    "code": "def affine(x, W, b):\n    return x @ W + b",
                },
                {
                    "name": "actually-right",
                    "summary": "s",
                    "code": "def affine(x, W, b):\n    return (W @ x.T).T + b",
                },
            ],
        }
    )
    bank = Bank(questions={q.id: q}, problems=[], dirs=[])
    report = validate_bank(bank, LiveGrader(runner), seeds_per_question=1)
    messages = [p.message for p in report.problems]
    assert any("the check accepts misconception actually-right" in m for m in messages), messages
    assert not any("no-transpose" in m for m in messages), messages


# -- the reruns, in the child ------------------------------------------------------------------


def live_question(kind: str, setup: str, answer: str | None, **fields: Any) -> Question:
    data: dict[str, Any] = {"id": "t.live", "kind": kind, "topic": "t", "prompt": "?"}
    data.update(setup=setup, **fields)
    if answer is not None:
        data["answer"] = answer
    return Question.model_validate(data)


def test_wrong_mode_reruns_with_train_and_eval_swapped(grader: LiveGrader) -> None:
    q = live_question(
        "choice",
        "net = nn.Sequential(nn.Linear(2, 2), nn.Dropout())\nnet.eval()",
        "'train' if net[1].training else 'eval'",
        options=["train", "eval"],
    )
    variant = draw_variant(q, 0)
    result = grader.grade(variant, "train")
    assert result.status is GradeStatus.INCORRECT
    assert result.misconception is not None and result.misconception.name == "wrong-mode"
    # train() after eval() is forgotten too: the rerun leaves the model in eval mode
    back = live_question(
        "choice",
        "net = nn.Dropout()\nnet.eval()\nnet.train()",
        "'train' if net.training else 'eval'",
        options=["train", "eval"],
    )
    assert grader.grade(draw_variant(back, 0), "eval").misconception is not None


def test_wrong_mode_patch_does_not_leak_into_the_next_alternative(grader: LiveGrader) -> None:
    q = live_question(
        "value",
        "m = nn.Dropout()\nm.eval()",
        "m.training",
        misconceptions=[{"name": "after", "summary": "s", "answer": "nn.Dropout().training"}],
    )
    outcomes = grader.outcomes(draw_variant(q, 0))
    assert outcomes["automatic:wrong-mode"].value is True  # eval() left it training
    assert outcomes["authored:after"].value is True  # a fresh module trains by default


def test_grad_mode_reruns_without_no_grad_blocks(grader: LiveGrader) -> None:
    q = live_question(
        "value",
        "w = nn.Linear(3, 1)\nx = torch.ones(2, 3)\nwith torch.no_grad():\n    y = w(x)\n"
        "@torch.inference_mode()\ndef f(t):\n    return t * 2\nz = f(x.requires_grad_())\n"
        "@torch.no_grad\ndef g(t):\n    return t * 3\nu = g(x)",
        "[y.requires_grad, z.requires_grad, u.requires_grad]",
    )
    variant = draw_variant(q, 0)
    outcomes = grader.outcomes(variant)
    rerun = outcomes["automatic:grad-mode"]
    assert rerun.ok, rerun.error
    assert rerun.value == {"__list__": [True, True, True]}  # blocks and decorators did nothing
    result = grader.grade(variant, "[True, True, True]")
    assert result.misconception is not None and result.misconception.name == "grad-mode"
    # nn.Linear's own initialisation (under torch's no_grad) still worked in the rerun


def test_grad_mode_reruns_also_when_the_setup_imports_the_switches_by_name(
    grader: LiveGrader,
) -> None:
    q = live_question(
        "value",
        "from torch import no_grad\nfrom torch.autograd import inference_mode\n"
        "import torch.autograd.grad_mode as gm\nimport torch.nn\n"
        "x = torch.ones(2, requires_grad=True)\n"
        "with no_grad():\n    a = x * 2\nwith inference_mode():\n    b = x * 3\n"
        "with gm.no_grad():\n    c = x * 4\nwith torch.autograd.no_grad():\n    d = x * 5\n"
        "e = torch.nn.Linear(2, 1)(x)",
        "[a.requires_grad, b.requires_grad, c.requires_grad, d.requires_grad, e.requires_grad]",
    )
    variant = draw_variant(q, 0)
    assert grader.truth(variant).value == {"__list__": [False, False, False, False, True]}
    rerun = grader.outcomes(variant)["automatic:grad-mode"]
    assert rerun.ok, rerun.error
    assert rerun.value == {"__list__": [True, True, True, True, True]}


def test_scaled_by_a_dimension_of_the_setups_tensors(grader: LiveGrader) -> None:
    q = live_question("value", "x = torch.arange(12.).reshape(3, 4)", "x.mean()")
    variant = draw_variant(q, 0)
    assert grader.outcomes(variant)["sizes"].sizes == (3, 4, 12)
    summed = grader.grade(variant, "66")  # the sum: 12 x the mean
    assert summed.misconception is not None and summed.misconception.summary.endswith("12")
    per_row = grader.grade(variant, str(5.5 * 4))
    assert per_row.misconception is not None and per_row.misconception.name == "scaled"


def test_a_setup_that_changes_global_state_does_not_leak(grader: LiveGrader) -> None:
    q = live_question(
        "value",
        "torch.set_default_dtype(torch.float64)\nx = torch.ones(2)",
        "str(x.dtype) == 'torch.float64'",
        misconceptions=[
            {"name": "first", "summary": "s", "answer": "x.dtype == torch.float64"},
            {"name": "later", "summary": "s", "setup": "x = torch.ones(2)"},
        ],
    )
    outcomes = grader.outcomes(draw_variant(q, 0))
    assert outcomes["authored:first"].value is True  # the setup really set float64
    assert outcomes["authored:later"].value is False  # float32 again in the next alternative


def test_the_docs_examples_with_misconceptions_validate_cleanly(
    runner: Any, tmp_path: Path
) -> None:
    import re

    doc = Path(__file__).parents[2] / "docs" / "question-format.md"
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL)
    written = 0
    for index, block in enumerate(blocks):
        if block.startswith("format: 1") and "misconceptions:" in block:
            (tmp_path / f"example{index}.yaml").write_text(block, encoding="utf-8")
            written += 1
    assert written >= 2  # the section's own example and the code worked example
    bank = load_bank([tmp_path])
    assert not bank.problems, bank.problems
    assert any(m.code for q in bank.questions.values() for m in q.misconceptions)
    report = validate_bank(bank, LiveGrader(runner))
    assert report.ok, [problem_line(p) for p in report.problems]


def test_misconceptions_with_optimizer_code_get_a_heavy_spare() -> None:
    from quizapp.grading.pipeline import alternatives_request
    from quizapp.runner.alternatives import Alternative
    from quizapp.runner.zygote import needs_heavy

    q = live_question("value", "w = torch.ones(2, requires_grad=True)", "w.sum()")
    variant = draw_variant(q, 0)
    light = alternatives_request(variant, (Alternative("a", setup="x = 1", evaluate="x"),))
    heavy = alternatives_request(
        variant,
        (Alternative("b", setup="opt = torch.optim.SGD([w], lr=0.1)\nopt.step()", evaluate="1"),),
    )
    assert not needs_heavy(light.to_json())
    assert needs_heavy(heavy.to_json())


# -- code: a failing solution is told which known mistake fails the check the same way --------

CENTER = "misc.code-center-rows"


def test_a_failing_solution_is_told_the_mistake_it_makes(
    grader: LiveGrader, misc_bank: Bank, counting: Any
) -> None:
    variant = draw_variant(misc_bank.get(CENTER), 2)
    # the column-means mistake, written another way than the misconception's code
    result = grader.grade(variant, "def center(x):\n    return x - x.mean(0)\n")
    assert result.status is GradeStatus.INCORRECT
    assert result.misconception is not None, result.feedback
    assert result.misconception.name == "column-means"
    assert result.misconception.source is MisconceptionSource.AUTHORED
    assert f"({4}, {variant.params['cols']})" in result.misconception.explanation  # params in
    assert "max abs difference" in result.feedback  # the check's own words stay the feedback
    assert _misconception_runs(counting) == 1


def test_two_mistakes_that_fail_alike_name_neither(grader: LiveGrader, misc_bank: Bank) -> None:
    variant = draw_variant(misc_bank.get(CENTER), 1)
    result = grader.grade(variant, "def center(x):\n    return x.copy_(x - x.mean(1, True))\n")
    assert result.status is GradeStatus.INCORRECT and "in place" in result.feedback
    assert result.misconception is None  # -= and sub_ fail with the same words


def test_a_mistake_no_misconception_makes_names_none(grader: LiveGrader, misc_bank: Bank) -> None:
    variant = draw_variant(misc_bank.get(CENTER), 1)
    median = "def center(x):\n    return x - x.median(dim=1, keepdim=True).values\n"
    result = grader.grade(variant, median)
    assert result.status is GradeStatus.INCORRECT
    # the same assertion fails as for column-means and global-mean, with other numbers
    assert "max abs difference" in result.feedback
    assert result.misconception is None


def test_a_passing_solution_never_runs_them(
    grader: LiveGrader, misc_bank: Bank, counting: Any
) -> None:
    variant = draw_variant(misc_bank.get(CENTER), 1)
    result = grader.grade(variant, "def center(x):\n    return x - x.mean(-1, keepdim=True)\n")
    assert result.status is GradeStatus.CORRECT and result.misconception is None
    assert _misconception_runs(counting) == 0


def test_prepare_runs_them_ahead_once_and_grading_waits_for_that_run(
    grader: LiveGrader, misc_bank: Bank, counting: Any
) -> None:
    import threading

    variant = draw_variant(misc_bank.get(CENTER), 3)
    ahead = threading.Thread(target=grader.prepare, args=(variant,))
    ahead.start()  # the app's prefetch, still running when the answer comes
    result = grader.grade(variant, "def center(x):\n    return x - x.mean()\n")
    ahead.join()
    assert result.misconception is not None and result.misconception.name == "global-mean"
    assert _misconception_runs(counting) == 1
    grader.prepare(variant)  # cached: no second run
    assert _misconception_runs(counting) == 1


def test_prepare_runs_nothing_for_other_kinds(
    grader: LiveGrader, misc_bank: Bank, counting: Any
) -> None:
    grader.prepare(draw_variant(misc_bank.get("misc.linear-weight-shape"), 1))
    assert counting.requests == []


def test_a_slow_diagnosis_never_holds_the_verdict_and_serves_the_next_one(
    counting: Any, misc_bank: Bank
) -> None:
    import time

    grader = LiveGrader(counting, diagnosis_wait_s=0.0)
    variant = draw_variant(misc_bank.get(CENTER), 2)
    wrong = "def center(x):\n    return x - x.mean(dim=0)\n"
    first = grader.grade(variant, wrong)
    assert first.status is GradeStatus.INCORRECT and first.misconception is None
    deadline = time.monotonic() + 120
    while not grader._outcomes and time.monotonic() < deadline:  # the run goes on meanwhile
        time.sleep(0.05)
    second = grader.grade(variant, wrong)
    assert second.misconception is not None and second.misconception.name == "column-means"
    assert _misconception_runs(counting) == 1


def _mean_not_sum(sizes: list[int], *, sometimes_true: bool) -> Question:
    """ "mean, not sum" is right when the tensor holds one element (n = 1), wrong otherwise."""
    belief: dict[str, Any] = {"name": "mean-not-sum", "summary": "s", "answer": "x.mean().item()"}
    if sometimes_true:
        belief["sometimes_true"] = True
    return Question.model_validate(
        {
            "id": "t.sometimes-true",
            "kind": "value",
            "topic": "t",
            "prompt": "?",
            "params": {"n": sizes},
            "setup": "x = torch.ones(n)",
            "answer": "x.sum().item()",
            "misconceptions": [belief],
        }
    )


def _problems(runner: Any, q: Question, seeds: int) -> list[str]:
    bank = Bank(questions={q.id: q}, problems=[], dirs=[])
    return [
        p.message
        for p in validate_bank(bank, LiveGrader(runner), seeds_per_question=seeds).problems
    ]


def test_a_sometimes_true_misconception_may_give_the_truth_on_some_seeds(runner: Any) -> None:
    # unmarked, the belief that is right for n = 1 is a problem there, as before
    unmarked = _problems(runner, _mean_not_sum([1, 3], sometimes_true=False), 2)
    assert any("misconception mean-not-sum gives the truth on seed" in m for m in unmarked)
    # marked, it is accepted: it differs from the truth on the n = 3 variant
    assert _problems(runner, _mean_not_sum([1, 3], sometimes_true=True), 2) == []
    # but one that gives the truth on every validated seed never diagnoses anything
    always = _problems(runner, _mean_not_sum([1], sometimes_true=True), 2)
    assert any(
        "misconception mean-not-sum (sometimes_true) gives the truth on every validated seed" in m
        for m in always
    ), always


def test_a_sometimes_true_misconception_diagnoses_where_it_is_wrong(runner: Any) -> None:
    q = _mean_not_sum([1, 3], sometimes_true=True)
    grader = LiveGrader(runner)
    seeds = {draw_variant(q, s).params["n"]: s for s in range(40)}
    wrong = grader.grade(draw_variant(q, seeds[3]), "1")
    assert wrong.status is GradeStatus.INCORRECT
    assert wrong.misconception is not None and wrong.misconception.name == "mean-not-sum"
    right = grader.grade(draw_variant(q, seeds[1]), "1")
    assert right.status is GradeStatus.CORRECT and right.misconception is None


def test_sometimes_true_is_not_for_wrong_code() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="'sometimes_true' is for 'answer' and 'setup'"):
        Question.model_validate(
            {
                "id": "t.code",
                "kind": "code",
                "topic": "t",
                "prompt": "?",
                "solution": "y = 1",
                "check": "assert y == 1",
                "misconceptions": [
                    {"name": "off", "summary": "s", "code": "y = 2", "sometimes_true": True}
                ],
            }
        )
