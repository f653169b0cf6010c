"""validate_bank finds every kind of problem in one run, each with file, line, id and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

from quizapp.bank import Bank, load_bank
from quizapp.grading.live import LiveGrader
from quizapp.validation import problem_line, validate_bank

BAD_BANK = """\
format: 1
topic: broken
questions:
  - id: bad.shape-of-tensor
    kind: shape
    setup: "y = torch.ones(2, 3)"
    prompt: What is the shape of y?
    answer: y
  - id: bad.choice-not-an-option
    kind: choice
    prompt: Pick one
    options: ["yes", "no"]
    answer: "'maybe'"
  - id: bad.prints-nothing
    kind: output
    setup: "x = 1"
    prompt: What does it print?
  - id: bad.solution-fails
    kind: code
    prompt: Define f returning 2.
    starter: "def f(): ..."
    solution: "def f():\\n    return 3"
    check: "assert f() == 2, f'f() gave {f()}'"
  - id: bad.starter-passes
    kind: code
    prompt: Define f returning 2.
    starter: "def f():\\n    return 2"
    solution: "def f():\\n    return 2"
    check: "assert f() == 2"
  - id: bad.setup-raises
    kind: value
    setup: "x = torch.ones(2) @ torch.ones(3)"
    prompt: What is x?
    answer: x
  - id: bad.times-out
    kind: value
    setup: "while True:\\n    pass"
    prompt: What is x?
    answer: "1"
    timeout: 0.5
  - id: bad.expect-value
    kind: value
    setup: "x = torch.tensor([1.0, 2.0]) * 2"
    prompt: What is x?
    answer: x
    expect: [2.0, 5.0]
  - id: bad.expect-shape
    kind: shape
    setup: "x = torch.ones(4, 5)"
    prompt: What is x.shape?
    answer: x.shape
    expect: "(5, 4)"
  - id: bad.expect-output
    kind: output
    setup: "print(torch.tensor([1, 2]).sum().item())"
    prompt: What does it print?
    expect: "4"
  - id: bad.some-variants-fail
    kind: value
    params:
      n: [1, 2, 3, 4, 5, 6, 7, 8]
    setup: "x = torch.ones(n)"
    prompt: What is x[3]?
    answer: x[3]
  - id: bad.answer-is-a-module
    kind: value
    setup: "m = nn.Linear(2, 2)"
    prompt: What is m?
    answer: m
  - id: bad.key-stands-out
    kind: choice
    prompt: What does model.eval() change?
    options:
      - "gradients"
      - "the weights"
      - "how dropout and batch norm layers behave: mode-dependent layers switch"
    answer: "'how dropout and batch norm layers behave: mode-dependent layers switch'"
  - id: good.balanced-choice
    kind: choice
    prompt: What does model.eval() change?
    options: ["0", "an error"]
    answer: "'an error'"
  - id: good.fine
    kind: value
    setup: "x = torch.tensor([1.0, 2.0]) * 2"
    prompt: What is x?
    answer: x
    expect: [2.0, 4.0]
"""

LOAD_PROBLEM = """\
format: 1
topic: broken
questions:
  - id: bad.unknown-key
    kind: shape
    prompt: What?
    answer: "torch.Size([1])"
    anwser: x
"""


def write_bank(tmp_path: Path) -> Bank:
    (tmp_path / "bad.yaml").write_text(BAD_BANK)
    (tmp_path / "load.yaml").write_text(LOAD_PROBLEM)
    return load_bank([tmp_path])


def test_every_problem_in_one_run(tmp_path: Path, runner: object) -> None:
    bank = write_bank(tmp_path)
    seen: list[str] = []
    report = validate_bank(
        bank,
        LiveGrader(runner),  # type: ignore[arg-type]
        seeds_per_question=8,
        progress=lambda done, total, qid: seen.append(qid),
    )
    by_id: dict[str, list[str]] = {}
    for problem in report.problems:
        assert problem.file is not None and problem.line is not None, problem
        assert problem.question_id is not None and problem.field is not None, problem
        by_id.setdefault(problem.question_id, []).append(f"{problem.field}: {problem.message}")
    text = "\n".join(problem_line(p) for p in report.problems)

    def has(qid: str, *needles: str) -> None:
        joined = " | ".join(by_id.get(qid, []))
        for needle in needles:
            assert needle in joined, f"{qid}: {needle!r} not in {joined!r}\n{text}"

    has("bad.shape-of-tensor", "answer:", "`.shape`")
    has("bad.choice-not-an-option", "answer:", "not among the options")
    has("bad.prints-nothing", "setup:", "print something")
    has("bad.solution-fails", "solution:", "f() gave 3")
    has("bad.starter-passes", "starter:", "starter passes the check")
    has("bad.setup-raises", "setup:", "RuntimeError")
    has("bad.times-out", "setup:", "time limit")
    has("bad.expect-value", "expect:", "element [1] is 5.0, expected 4.0")
    has("bad.expect-shape", "expect:", "expect is (5, 4) but the live truth is (4, 5)")
    has("bad.expect-output", "expect:", "line 1 is '4', expected '3'")
    has("bad.some-variants-fail", "answer:", "IndexError", "(seed ", "also seed(s)")
    has("bad.key-stands-out", "options:", "(70 characters) is much longer", "at most 11")
    assert "good.balanced-choice" not in by_id  # a short key among shorter options is fine
    assert len(by_id["bad.some-variants-fail"]) == 1  # one problem, naming its seeds
    has("bad.answer-is-a-module", "answer:", "Linear")
    has("bad.unknown-key", "anwser")  # a load problem is reported with the live ones
    assert "good.fine" not in by_id
    assert not report.ok
    assert report.checked == 15 and report.questions == 15
    assert sorted(seen) == sorted(bank.questions)
    # file:line: id: field: message
    line = next(p for p in report.problems if p.question_id == "bad.setup-raises")
    assert problem_line(line).startswith(
        f"{tmp_path / 'bad.yaml'}:{line.line}: bad.setup-raises: setup: "
    )
    assert line.line == BAD_BANK.splitlines().index("  - id: bad.setup-raises") + 1


def test_fixture_bank_is_valid(fixture_bank: Bank, runner: object) -> None:
    report = validate_bank(fixture_bank, LiveGrader(runner))  # type: ignore[arg-type]
    assert report.ok, [problem_line(p) for p in report.problems]
    assert report.checked == len(fixture_bank.questions)


def test_unmet_requires_is_skipped_not_failed(tmp_path: Path, runner: object) -> None:
    (tmp_path / "q.yaml").write_text(
        textwrap.dedent(
            """\
            format: 1
            topic: t
            questions:
              - id: needs.old-torch
                kind: value
                setup: "x = 1"
                prompt: x?
                answer: x
                requires: {torch: "<1.0"}
            """
        )
    )
    report = validate_bank(load_bank([tmp_path]), LiveGrader(runner))  # type: ignore[arg-type]
    assert report.ok
    assert [qid for qid, _ in report.skipped] == ["needs.old-torch"]


def test_param_questions_are_validated_on_distinct_variants(fixture_bank: Bank) -> None:
    from quizapp.bank import draw_variant
    from quizapp.validation import seeds_for

    question = fixture_bank.get("fixture.matmul-shape")  # 3 x 3 = 9 possible variants
    seeds = seeds_for(question, 5)
    assert len(seeds) == 5
    params = {repr(sorted(draw_variant(question, s).params.items())) for s in seeds}
    assert len(params) == 5
    assert seeds_for(question, 50) == seeds_for(question, 50)  # deterministic
    many = seeds_for(question, 12)  # 9 variants, then 3 more random draws of them
    assert len(many) == len(set(many)) == 12
    assert len({repr(sorted(draw_variant(question, s).params.items())) for s in many[:9]}) == 9
    # without params the seed still draws the random values, so several are run
    assert seeds_for(fixture_bank.get("fixture.linear-shape"), 5) == [0, 1, 2, 3, 4]


def test_a_failure_inside_validation_is_reported_not_raised(fixture_bank: Bank) -> None:
    class BrokenRunner:
        def run(self, request: object, *, cancel: object = None) -> object:
            raise RuntimeError("socket closed")

    report = validate_bank(fixture_bank, LiveGrader(BrokenRunner()))  # type: ignore[arg-type]
    failed = {p.question_id for p in report.problems if "validation itself failed" in p.message}
    assert "fixture.linear-shape" in failed and "fixture.write-relu" in failed
    assert "fixture.why-zero-grad" not in failed  # recall runs nothing
    assert all("socket closed" in p.message for p in report.problems)
