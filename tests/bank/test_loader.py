"""The loader: every rule of docs/question-format.md, with file, line and field."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.bank import Difficulty, Kind, Problem, Question, load_bank, load_file
from quizapp.bank.loader import field_label

LoadText = Callable[[str], tuple[list[Question], list[Problem]]]

SPEC_EXAMPLE = """
format: 1
topic: autograd
questions:
  - id: autograd.squared-dot-grad
    kind: value
    title: Gradient through a squared dot product
    difficulty: hard
    tags: [chain-rule, backward]
    params:
      n: [3, 4, 5]
      scale: {min: 0.5, max: 2.0, step: 0.5}
    setup: |
      x = torch.arange(1., n + 1, requires_grad=True)
      loss = ((x * scale).sum()) ** 2
      loss.backward()
    prompt: |
      With n = {{n}} and scale = {{scale}}, what is `x.grad`?
    answer: x.grad
    tolerance: {rtol: 1.0e-4, atol: 1.0e-6}
    hints: ["Chain rule: dL/dx = dL/dz * dz/dx."]
    explanation: |
      dL/dx_i = 2 * (scale * sum(x)) * scale; with n = {{ n }} every entry is the same.
  - id: autograd.leaf
    kind: choice
    topic: tensors
    setup: y = torch.ones(2, requires_grad=True) * 2
    prompt: Is y a leaf tensor?
    options: ["yes", "no"]
    answer: "'yes' if y.is_leaf else 'no'"
"""


def one_problem(problems: list[Problem], needle: str) -> Problem:
    found = [p for p in problems if needle in p.message]
    assert len(found) == 1, "\n".join(map(str, problems))
    return found[0]


def test_spec_example_loads(load_text: LoadText) -> None:
    questions, problems = load_text(SPEC_EXAMPLE)
    assert problems == []
    first, second = questions
    assert first.id == "autograd.squared-dot-grad"
    assert first.kind is Kind.VALUE
    assert first.topic == "autograd"  # the file's default
    assert second.topic == "tensors"  # a question's own topic wins
    assert first.difficulty is Difficulty.HARD
    assert second.difficulty is Difficulty.MEDIUM  # the default
    assert first.tags == ("chain-rule", "backward")
    assert first.tolerance is not None and first.tolerance.rtol == 1e-4
    assert first.source_line == 4 and second.source_line == 23
    assert first.source_file is not None and first.source_file.name.endswith(".yaml")
    assert second.options == ("yes", "no")


def test_every_problem_of_a_file_is_reported_and_good_questions_still_load(
    load_text: LoadText,
) -> None:
    questions, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.bad
            kind: shape
            promt: typo
            answer: x.shape[
            timeout: -1
          - id: t.good
            kind: shape
            setup: x = torch.zeros(2)
            prompt: Shape?
            answer: x.shape
          - id: t.also-bad
            kind: recall
            prompt: Why?
        """
    )
    assert [q.id for q in questions] == ["t.good"]
    messages = [p.message for p in problems]
    assert any("unknown field 'promt'" in m for m in messages)
    assert any("Python syntax error in 'answer'" in m for m in messages)
    assert any("greater than 0" in m for m in messages)
    assert any("recall questions need 'key_points'" in m for m in messages)
    assert any("recall questions need 'model_answer'" in m for m in messages)
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
    assert {p.question_id for p in problems} == {"t.bad", "t.also-bad"}


@pytest.mark.parametrize(
    ("kind", "fields", "needle"),
    [
        ("shape", {}, "shape questions need 'answer'"),
        ("value", {}, "value questions need 'answer'"),
        ("choice", {"options": ["a", "b"]}, "choice questions need 'answer'"),
        ("choice", {"answer": "'a'"}, "choice questions need 'options'"),
        ("output", {"setup": "print(1)", "answer": "1"}, "output questions have no 'answer'"),
        ("code", {"solution": "x = 1"}, "code questions need 'check'"),
        ("code", {"check": "assert True"}, "code questions need 'solution'"),
        ("recall", {"model_answer": "m"}, "recall questions need 'key_points'"),
        ("recall", {"key_points": ["k"]}, "recall questions need 'model_answer'"),
        ("shape", {"answer": "x", "options": ["a", "b"]}, "'options' does not apply to shape"),
        ("shape", {"answer": "x", "tolerance": {"rtol": 0.1}}, "'tolerance' does not apply"),
        ("choice", {"answer": "'a'", "options": ["a", "b"], "tolerance": {}}, "'tolerance'"),
        ("value", {"answer": "x", "check": "assert True"}, "'check' does not apply to value"),
        ("value", {"answer": "x", "starter": "x = 1"}, "'starter' does not apply to value"),
        ("recall", {"key_points": ["k"], "model_answer": "m", "answer": "1"}, "'answer' does not"),
        ("code", {"check": "pass", "solution": "pass", "key_points": ["k"]}, "'key_points'"),
        ("shape", {"answer": "x", "model_answer": "m"}, "'model_answer' does not apply"),
        ("recall", {"key_points": ["k"], "model_answer": "m", "expect": 1}, "'expect' does not"),
        ("choice", {"answer": "'a'", "options": ["a", ""]}, "an option must not be empty"),
        ("choice", {"answer": "'a'", "options": [f"o{i}" for i in range(27)]}, "at most 26"),
        ("recall", {"key_points": ["k", " "], "model_answer": "m"}, "a key point must not be"),
        ("recall", {"key_points": [], "model_answer": "m"}, "need 'key_points'"),
        ("code", {"check": "", "solution": "pass"}, "code questions need 'check'"),
    ],
)
def test_kind_rules(tmp_path: Path, kind: str, fields: dict[str, object], needle: str) -> None:
    import yaml

    question = {"id": "t.q", "kind": kind, "prompt": "p", **fields}
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"format": 1, "topic": "t", "questions": [question]}))
    questions, problems = load_file(path)
    assert questions == []
    one_problem(problems, needle)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "shape", "answer": "x.shape"},
        {"kind": "value", "answer": "x.sum()", "tolerance": {"atol": 0.01}, "expect": 3.0},
        {"kind": "choice", "answer": "'a'", "options": ["a", "b"], "expect": "a"},
        {"kind": "output", "setup": "print(1)", "expect": "1"},
        {"kind": "code", "check": "assert f() == 1", "solution": "def f():\n    return 1\n"},
        {"kind": "recall", "key_points": ["k"], "model_answer": "m"},
    ],
)
def test_each_kind_with_its_fields_is_valid(tmp_path: Path, fields: dict[str, object]) -> None:
    import yaml

    question = {"id": "t.q", "prompt": "p", "setup": "x = torch.ones(3)", **fields}
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"format": 1, "topic": "t", "questions": [question]}))
    questions, problems = load_file(path)
    assert problems == []
    assert len(questions) == 1


def test_setup_syntax_error_points_at_the_yaml_line(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: output
            prompt: What is printed?
            setup: |

              a = 1
              print(a +)
        """
    )
    problem = one_problem(problems, "Python syntax error in 'setup' (its line 3)")
    assert problem.line == 10  # the blank line inside the block counts too
    assert problem.field == "setup"


def test_plain_scalar_syntax_error_line(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: code
            prompt: p
            check: assert f( == 1
            solution: "def f():\\n    return 1\\n"
        """
    )
    assert one_problem(problems, "syntax error in 'check'").line == 7


def test_missing_field_points_at_the_question(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: shape
            answer: x
        """
    )
    problem = one_problem(problems, "missing required field 'prompt'")
    assert (problem.line, problem.field, problem.question_id) == (4, "prompt", "t.q")


def test_missing_nested_field(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: shape
            prompt: p
            answer: x
            trace:
              model: net
        """
    )
    problem = one_problem(problems, "missing required field 'input'")
    assert (problem.line, problem.field) == (9, "trace.input")


def test_typo_suggests_and_does_not_also_say_missing(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: shape
            promtp: p
            answr: x
        """
    )
    assert not [p for p in problems if "missing" in p.message]
    assert one_problem(problems, "'promtp' (did you mean 'prompt'?)").line == 6
    assert one_problem(problems, "'answr' (did you mean 'answer'?)").line == 7


def test_unknown_field_without_a_close_match(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - {id: t.q, kind: shape, prompt: p, answer: x, zzzzzz: 1}
        """
    )
    assert one_problem(problems, "unknown field 'zzzzzz'").field == "zzzzzz"


def test_params_rules(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: shape
            prompt: "{{ n }} {{n}} {{bad}}"
            answer: x
            params:
              n: [1, 2]
              F: [1]
              class: [1]
              inf: [.inf]
              when: [2024-01-01]
              r: {min: 1, max: 2, step: 1, stride: 3}
              b: {min: true, max: 2, step: 1}
        """
    )
    one_problem(problems, "'{{bad}}' names no param (params: n, F, class, inf, when, r, b)")
    one_problem(problems, "param name 'F' would hide")
    one_problem(problems, "param name 'class' is not a valid Python name")
    assert one_problem(problems, "has no Python literal").field == "params.inf[0]"
    one_problem(problems, "a date value cannot be a param value")
    assert one_problem(problems, "unknown field 'stride'").field == "params.r.stride"
    assert one_problem(problems, "should be a number, got True").field == "params.b.min"


def test_placeholder_line_inside_block(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: shape
            answer: x
            prompt: p
            explanation: |
              First line.
              Second {{nope}} line.
        """
    )
    problem = one_problem(problems, "'{{nope}}' names no param (this question has no params)")
    assert (problem.line, problem.field) == (10, "explanation")


def test_expect_is_refused_with_params(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: value
            prompt: p
            answer: n
            params: {n: [1, 2]}
            expect: 1
        """
    )
    assert one_problem(problems, "'expect' is only for questions without params").line == 9


@pytest.mark.parametrize(
    ("spec", "ok"), [(">=2.1", True), (">=2.1,<3", True), ("==2.13.*", True), ("2.1", False)]
)
def test_requires_torch_specifier(load_text: LoadText, spec: str, ok: bool) -> None:
    _, problems = load_text(
        f"""
        format: 1
        topic: t
        questions:
          - {{id: t.q, kind: shape, prompt: p, answer: x, requires: {{torch: "{spec}"}}}}
        """
    )
    assert (problems == []) is ok


@pytest.mark.parametrize(
    ("field", "source", "needle"),
    [
        ("setup", "x = (", "syntax error in 'setup'"),
        ("answer", "x.shape)", "syntax error in 'answer'"),
        ("answer", "y = x.shape", "must be one Python expression"),
        ("graph", "a b", "syntax error in 'graph'"),
        ("setup", "return 1", "'return' outside function"),
    ],
)
def test_python_syntax_is_checked(tmp_path: Path, field: str, source: str, needle: str) -> None:
    import yaml

    question = {"id": "t.q", "kind": "shape", "prompt": "p", "answer": "x", field: source}
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"format": 1, "topic": "t", "questions": [question]}))
    _, problems = load_file(path)
    one_problem(problems, needle)


def test_trace_and_modes_fields_are_expressions(load_text: LoadText) -> None:
    questions, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - id: t.q
            kind: shape
            prompt: p
            answer: net(x).shape
            setup: |
              net = nn.Linear(3, 2)
              x = torch.ones(4, 3)
            trace: {model: net, input: x}
            modes: {model: net, input: x}
            graph: net(x)
        """
    )
    assert problems == []
    assert questions[0].trace is not None and questions[0].trace.model == "net"


def test_yaml_anchors_and_merge_keys(load_text: LoadText) -> None:
    questions, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - &base
            id: t.one
            kind: shape
            setup: x = torch.zeros(2, 3)
            prompt: Shape of x?
            answer: x.shape
          - <<: *base
            id: t.two
            answer: x.T.shape
        """
    )
    assert problems == []
    assert [q.answer for q in questions] == ["x.shape", "x.T.shape"]


def test_unquoted_yes_no_options(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        topic: t
        questions:
          - {id: t.q, kind: choice, prompt: p, answer: "'yes'", options: [yes, no]}
        """
    )
    problem = one_problem(problems, "got the boolean true; YAML reads yes/no")
    assert problem.field == "options[0]"


def test_blank_prompt_and_topic(load_text: LoadText) -> None:
    _, problems = load_text(
        """
        format: 1
        questions:
          - {id: t.q, kind: shape, answer: x, prompt: "  ", topic: ""}
        """
    )
    assert one_problem(problems, "'prompt' must not be empty").field == "prompt"
    assert one_problem(problems, "'topic' must not be empty").line == 3


def test_file_topic_must_be_text(load_text: LoadText) -> None:
    _, problems = load_text("format: 1\ntopic: [a]\nquestions: []\n")
    assert one_problem(problems, "file's 'topic' should be a short text").line == 2


def test_empty_questions_is_fine(load_text: LoadText) -> None:
    assert load_text("format: 1\ntopic: t\nquestions:\n") == ([], [])
    assert load_text("format: 1\nquestions: []\n") == ([], [])


def test_missing_questions(load_text: LoadText) -> None:
    _, problems = load_text("format: 1\ntopic: t\n")
    one_problem(problems, "missing 'questions:'")


def test_format_true_is_not_format_1(load_text: LoadText) -> None:
    _, problems = load_text("format: true\nquestions: []\n")
    one_problem(problems, "format: True is not supported")


def test_unreadable_path_is_a_problem(tmp_path: Path) -> None:
    questions, problems = load_file(tmp_path / "missing.yaml")
    assert questions == []
    one_problem(problems, "cannot read the file")


def test_field_label() -> None:
    assert field_label(("params", "n")) == "params.n"
    assert field_label(("options", 1)) == "options[1]"
    assert field_label(("params", "n", 0)) == "params.n[0]"
    assert field_label(()) is None


# --- load_bank ------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def shape_file(*ids: str, topic: str = "t") -> str:
    body = "".join(
        f"  - {{id: {i}, kind: shape, prompt: p, setup: 'x = torch.zeros(1)', answer: x.shape}}\n"
        for i in ids
    )
    return f"format: 1\ntopic: {topic}\nquestions:\n{body}"


def test_load_bank_searches_recursively_in_file_order(tmp_path: Path) -> None:
    write(tmp_path / "b.yaml", shape_file("b.one", "b.two"))
    write(tmp_path / "a.yaml", shape_file("a.one"))
    write(tmp_path / "sub" / "deeper" / "c.yaml", shape_file("c.one"))
    write(tmp_path / ".hidden" / "d.yaml", shape_file("d.one"))
    write(tmp_path / "notes.txt", "not a question file")
    bank = load_bank([tmp_path])
    assert bank.problems == []
    assert list(bank.questions) == ["a.one", "b.one", "b.two", "c.one"]
    assert bank.dirs == [tmp_path]


def test_load_bank_several_paths_and_a_single_file(tmp_path: Path) -> None:
    write(tmp_path / "one" / "a.yaml", shape_file("a.one"))
    single = write(tmp_path / "two" / "b.yaml", shape_file("b.one"))
    write(tmp_path / "two" / "c.yaml", shape_file("c.one"))
    bank = load_bank([tmp_path / "one", single])
    assert bank.problems == []
    assert list(bank.questions) == ["a.one", "b.one"]


def test_load_bank_path_problems(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    text_file = write(tmp_path / "q.txt", "hello")
    bank = load_bank([tmp_path / "nope", tmp_path / "empty", text_file])
    assert bank.questions == {}
    assert [p.message for p in bank.problems] == [
        "no such file or folder",
        "no question files (*.yaml) in this folder",
        "not a question file: question files end in .yaml",
    ]
    assert str(bank.problems[0]) == f"{tmp_path / 'nope'}: no such file or folder"


def test_a_yml_file_is_pointed_out(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", shape_file("a.one"))
    write(tmp_path / "b.yml", shape_file("b.one"))
    bank = load_bank([tmp_path])
    assert list(bank.questions) == ["a.one"]
    [problem] = bank.problems
    assert problem.file == tmp_path / "b.yml"
    assert "question files end in .yaml" in problem.message


def test_the_same_file_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", shape_file("a.one"))
    bank = load_bank([tmp_path, path])
    assert bank.problems == []
    assert list(bank.questions) == ["a.one"]


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", shape_file("x.one", "x.two"))
    write(tmp_path / "b.yaml", shape_file("x.three", "x.two"))
    bank = load_bank([tmp_path])
    [problem] = bank.problems
    assert problem.file == tmp_path / "b.yaml" and problem.line == 5
    assert f"{tmp_path / 'a.yaml'}:5" in problem.message
    assert bank.get("x.two").source_file == tmp_path / "a.yaml"
    assert list(bank.questions) == ["x.one", "x.two", "x.three"]


def test_a_broken_question_still_claims_its_id(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "format: 1\ntopic: t\nquestions:\n  - {id: x.one, kind: shape}\n")
    write(tmp_path / "b.yaml", shape_file("x.one"))
    bank = load_bank([tmp_path])
    assert any("duplicate id 'x.one'" in p.message for p in bank.problems)


def test_problem_str() -> None:
    full = Problem("boom", Path("questions/a.yaml"), 12, "answer", "autograd.x")
    assert str(full) == "questions/a.yaml:12: autograd.x: field 'answer': boom"
    assert str(Problem("boom")) == "boom"
    assert str(Problem("boom", Path("a.yaml"))) == "a.yaml: boom"
    assert str(Problem("boom", Path("a.yaml"), 3)) == "a.yaml:3: boom"


# --- never a traceback ----------------------------------------------------------------

yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "id",
        "kind",
        "prompt",
        "answer",
        "options",
        "params",
        "setup",
        "check",
        "tolerance",
        "expect",
        "hints",
        "requires",
        "timeout",
        "key_points",
        "trace",
        "topic",
        "promt",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_any_text_gives_problems_not_exceptions(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _, problems = load_file(path)
    assert all(isinstance(p, Problem) for p in problems)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.dictionaries(field_names, yaml_values, max_size=8), max_size=3))
def test_any_structure_gives_problems_not_exceptions(
    tmp_path: Path, questions: list[dict[str, object]]
) -> None:
    import yaml

    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump({"format": 1, "topic": "t", "questions": questions}))
    loaded, problems = load_file(path)
    for problem in problems:
        assert problem.file == path and problem.line is not None
    broken = {p.question_id for p in problems}
    for question in loaded:
        assert question.id not in broken
        assert question.source_file == path
