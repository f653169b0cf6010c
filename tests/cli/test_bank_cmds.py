"""`quizapp validate | check | show | list` end to end (CliRunner, and one real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from quizapp.cli import cli

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "tests" / "fixtures" / "bank"
RELU_SOLUTION = "def relu(t):\n    return t.clamp(min=0)\n"


@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    from quizapp.runner import Runner

    shared = Runner()
    shared.start()
    yield shared
    shared.close()


def invoke(args: list[str], runner: Any = None, input: str | None = None) -> Result:
    obj = {"runner": runner} if runner is not None else None
    return CliRunner().invoke(cli, args, obj=obj, input=input, catch_exceptions=False)


def bank_args() -> list[str]:
    return ["--bank", str(BANK)]


# -- list ---------------------------------------------------------------------------------------


def test_list_json_and_filters() -> None:
    everything = json.loads(invoke(["list", "--json", *bank_args()]).stdout)
    assert len(everything) == 9
    assert {q["kind"] for q in everything} == {
        "shape",
        "value",
        "choice",
        "output",
        "code",
        "recall",
    }
    values = json.loads(invoke(["list", "--json", "--kind", "value", *bank_args()]).stdout)
    assert sorted(q["id"] for q in values) == [
        "fixture.is-leaf",
        "fixture.scaled-mean",
        "fixture.square-grad",
    ]
    easy = json.loads(invoke(["list", "--json", "--difficulty", "easy", *bank_args()]).stdout)
    assert all(q["difficulty"] == "easy" for q in easy) and len(easy) == 4
    found = json.loads(invoke(["list", "--json", "--search", "LEAF", *bank_args()]).stdout)
    assert [q["id"] for q in found] == ["fixture.is-leaf"]
    tagged = json.loads(invoke(["list", "--json", "--tag", "linear", *bank_args()]).stdout)
    assert [q["id"] for q in tagged] == ["fixture.linear-shape"]
    topic = json.loads(invoke(["list", "--json", "--topic", "autograd", *bank_args()]).stdout)
    assert len(topic) == 3 and topic[0]["file"].endswith("values.yaml") and topic[0]["line"]


def test_list_table_and_summary() -> None:
    table = invoke(["list", *bank_args()])
    assert table.exit_code == 0
    assert "fixture.linear-shape" in table.stdout and "9 question(s)" in table.stdout
    rows = json.loads(invoke(["list", "--summary", "--json", *bank_args()]).stdout)
    assert sum(r["count"] for r in rows) == 9
    assert {"topic": "autograd", "kind": "value", "difficulty": "medium", "count": 2} in rows
    summary = invoke(["list", "--summary", *bank_args()])
    assert "all" in summary.stdout and "medium" in summary.stdout


def test_list_bad_flags() -> None:
    unknown = invoke(["list", "--topic", "shape", *bank_args()])
    assert unknown.exit_code == 2 and "did you mean 'shapes'" in unknown.stderr
    bad_kind = invoke(["list", "--kind", "essay", *bank_args()])
    assert bad_kind.exit_code == 2 and "essay" in bad_kind.stderr


def test_missing_bank_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke(["list", "--bank", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr and "no usable questions" in result.stderr
    assert "Traceback" not in result.output


def test_group_bank_option_is_used() -> None:
    result = invoke(["--bank", str(BANK), "list", "--json"])
    assert len(json.loads(result.stdout)) == 9


# -- show ---------------------------------------------------------------------------------------


def test_show_renders_a_variant() -> None:
    result = invoke(["show", "fixture.matmul-shape", "--seed", "3", *bank_args()])
    assert result.exit_code == 0
    out = result.stdout
    assert "Batched matmul" in out and "shapes · shape · medium" in out
    assert "b = " in out and "n = " in out and "a = torch.randn(b, n, 8)" in out
    assert "{{b}}" not in out and "With b = " in out
    assert "--seed 3" in out


def test_show_choice_options_and_code_starter() -> None:
    choice = invoke(["show", "fixture.no-grad-choice", "--seed", "1", *bank_args()]).stdout
    assert "A) " in choice and "B) " in choice and "C) " in choice
    code = invoke(["show", "fixture.write-relu", "--seed", "0", *bank_args()]).stdout
    assert "starter:" in code and "def relu(t):" in code


def test_show_unknown_id_suggests() -> None:
    result = invoke(["show", "fixture.linear", *bank_args()])
    assert result.exit_code == 2
    assert "no question with id 'fixture.linear'" in result.stderr
    assert "fixture.linear-shape" in result.stderr


# -- check --------------------------------------------------------------------------------------

JSON_KEYS = {"id", "seed", "status", "correct", "given", "expected", "feedback", "misconception"}


def check(runner: Any, *args: str, input: str | None = None) -> Result:
    return invoke(["check", *args, *bank_args()], runner=runner, input=input)


def test_check_correct_incorrect_invalid(runner: Any) -> None:
    ok = check(runner, "fixture.linear-shape", "16x64", "--seed", "0", "--json")
    assert ok.exit_code == 0
    data = json.loads(ok.stdout)
    assert set(data) == JSON_KEYS
    assert data == {
        "id": "fixture.linear-shape",
        "seed": 0,
        "status": "correct",
        "correct": True,
        "given": "16x64",
        "expected": [16, 64],
        "feedback": "",
        "misconception": None,
    }
    wrong = check(runner, "fixture.linear-shape", "(64, 16)", "--seed", "0", "--json")
    assert wrong.exit_code == 1
    assert json.loads(wrong.stdout)["status"] == "incorrect"
    invalid = check(runner, "fixture.linear-shape", "sixteen", "--seed", "0", "--json")
    assert invalid.exit_code == 2
    assert json.loads(invalid.stdout)["status"] == "invalid"


def test_check_text_output_and_random_seed(runner: Any) -> None:
    result = check(runner, "fixture.square-grad", "[2, 4, 7]")
    assert result.exit_code == 1
    out = result.stdout
    assert "incorrect" in out and "seed:" in out
    assert "expected: tensor([2.0, 4.0, 6.0])" in out
    assert "element [2] is 7, expected 6.0" in out
    seeded = check(runner, "fixture.square-grad", "[2, 4, 6]", "--seed", "5")
    assert seeded.exit_code == 0 and "seed:" not in seeded.stdout


def test_check_json_without_seed_reports_the_drawn_seed(runner: Any) -> None:
    result = check(runner, "fixture.matmul-shape", "(1, 1, 1)", "--json")
    data = json.loads(result.stdout)
    assert isinstance(data["seed"], int) and data["status"] == "incorrect"


def test_check_code_from_file_and_stdin(runner: Any, tmp_path: Path) -> None:
    answer = tmp_path / "relu.py"
    answer.write_text(RELU_SOLUTION)
    from_file = check(runner, "fixture.write-relu", f"@{answer}", "--seed", "0", "--json")
    assert from_file.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["given"] == RELU_SOLUTION
    from_stdin = check(runner, "fixture.write-relu", "-", "--seed", "0", input=RELU_SOLUTION)
    assert from_stdin.exit_code == 0 and "correct" in from_stdin.stdout
    exits = check(runner, "fixture.write-relu", "-", "--json", input="import os\nos._exit(0)\n")
    assert exits.exit_code == 1 and json.loads(exits.stdout)["status"] == "incorrect"
    missing = check(runner, "fixture.write-relu", f"@{tmp_path / 'nope.py'}")
    assert missing.exit_code == 2 and "cannot read the answer file" in missing.stderr


def test_check_recall_with_ticks(runner: Any) -> None:
    good = check(runner, "fixture.why-zero-grad", "they accumulate", "--tick", "1", "--tick", "2,3")
    assert good.exit_code == 0 and "score: 100%" in good.stdout
    # 2 of 3 key points is under the default pass mark of 75%
    short = check(runner, "fixture.why-zero-grad", "they accumulate", "--tick", "1", "--tick", "2")
    assert short.exit_code == 1 and "score: 67%" in short.stdout
    poor = check(runner, "fixture.why-zero-grad", "no idea", "--json")
    assert poor.exit_code == 1 and json.loads(poor.stdout)["status"] == "incorrect"
    listed = check(runner, "fixture.why-zero-grad", "they accumulate", "--tick", "1,2,3", "--json")
    assert json.loads(listed.stdout)["status"] == "correct"
    out_of_range = check(runner, "fixture.why-zero-grad", "x", "--tick", "4", "--json")
    assert out_of_range.exit_code == 2
    assert "tick numbers 1 to 3" in json.loads(out_of_range.stdout)["feedback"]
    bad = check(runner, "fixture.why-zero-grad", "x", "--tick", "0,1")
    assert bad.exit_code == 2 and "give key point numbers from 1" in bad.output


def test_check_takes_a_negative_number_as_the_answer(runner: Any) -> None:
    # `-1.5` is an answer, not an option, wherever it stands among the options
    for args in (("-1.5", "--seed", "0"), ("--seed", "0", "-1.5"), ("--seed", "0", "--", "-1.5")):
        cmd = ["check", *bank_args(), "--json", "fixture.scaled-mean", *args]
        result = invoke(cmd, runner=runner)
        assert result.exit_code == 1, result.output  # graded: incorrect, not a usage error
        assert json.loads(result.stdout)["given"] == "-1.5"
    typo = check(runner, "fixture.scaled-mean", "--sed", "0", "-1.5")
    assert typo.exit_code == 2 and "No such option '--sed'" in typo.output


def test_answer_command_moves_only_bare_negative_numbers() -> None:
    import click

    from quizapp.cli.options import AnswerCommand

    @click.command(cls=AnswerCommand)
    @click.argument("qid")
    @click.argument("answer")
    @click.option("--seed", type=int, default=None)
    @click.option("--json", "as_json", is_flag=True)
    def cmd(qid: str, answer: str, seed: int | None, as_json: bool) -> None:
        click.echo(f"{qid}|{answer}|{seed}|{as_json}")

    def run(*args: str) -> str:
        return CliRunner().invoke(cmd, list(args)).output.strip()

    assert run("q", "-4") == "q|-4|None|False"
    assert run("q", "--json", "-.5") == "q|-.5|None|True"
    assert run("q", "-inf", "--seed", "3") == "q|-inf|3|False"
    assert run("q", "--seed", "-3", "7") == "q|7|-3|False"  # an option's value stays put
    assert "No such option '-x'" in run("q", "-x", "1")


def test_check_unknown_id(runner: Any) -> None:
    result = check(runner, "fixture.square", "1")
    assert result.exit_code == 2 and "did you mean 'fixture.square-grad'" in result.stderr


def test_check_works_despite_bank_problems(runner: Any, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text((BANK / "shapes.yaml").read_text())
    (tmp_path / "broken.yaml").write_text("format: 1\nquestions:\n  - id: x\n    kind: nope\n")
    result = invoke(
        ["check", "fixture.linear-shape", "16x64", "--seed", "0", "--bank", str(tmp_path)],
        runner=runner,
    )
    assert result.exit_code == 0
    assert "broken.yaml:4: x: kind:" in result.stderr and "problem(s)" in result.stderr


def test_check_records_for_a_user(runner: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "progress.sqlite3")
    added = invoke(["users", "add", "ada", "--db", db])
    if added.exit_code != 0:
        pytest.skip(f"profiles are not available yet: {added.output}")
    args = ["fixture.linear-shape", "16x64", "--seed", "0", "--user", "ada", "--db", db]
    assert check(runner, *args).exit_code == 0
    from quizapp.progress import ProgressService
    from quizapp.store import open_store

    progress = ProgressService(open_store(f"sqlite:///{db}"))
    try:
        exported = progress.export_user("ada")
    finally:
        progress.close()
    assert "fixture.linear-shape" in json.dumps(exported)
    nobody = check(runner, *args[:-4], "--user", "nobody", "--db", db)
    assert nobody.exit_code == 2 and "nobody" in nobody.stderr


# -- validate -----------------------------------------------------------------------------------


def test_validate_fixture_bank(runner: Any) -> None:
    result = invoke(["validate", str(BANK)], runner=runner)
    assert result.exit_code == 0, result.output
    assert "no problems" in result.stderr and result.stdout == ""


def test_validate_reports_every_problem(runner: Any, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "format: 1\ntopic: t\nquestions:\n"
        "  - id: bad.shape\n    kind: shape\n    setup: 'y = torch.ones(2)'\n"
        "    prompt: y?\n    answer: y\n"
        "  - id: bad.output\n    kind: output\n    setup: 'x = 1'\n    prompt: what?\n"
    )
    (tmp_path / "worse.yaml").write_text("format: 2\nquestions: []\n")
    result = invoke(["validate", str(tmp_path)], runner=runner)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    bad = str(tmp_path / "bad.yaml")
    assert f"{bad}:4: bad.shape: answer: `answer` gave a float32 tensor" in result.stdout
    assert any(line.startswith(f"{bad}:9: bad.output: setup: ") for line in lines)
    assert any("worse.yaml" in line and "format" in line for line in lines)
    as_json = json.loads(invoke(["validate", str(tmp_path), "--json"], runner=runner).stdout)
    assert not as_json["ok"] and len(as_json["problems"]) == len(lines)
    assert {p["id"] for p in as_json["problems"]} >= {"bad.shape", "bad.output"}


# -- the process boundary -----------------------------------------------------------------------


def test_check_never_imports_torch_in_the_cli_process() -> None:
    program = (
        "import sys, json\n"
        "from click.testing import CliRunner\n"
        "from quizapp.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['check', 'fixture.square-grad', '[2, 4, 6]', '--seed', '0',"
        f" '--json', '--bank', {str(BANK)!r}])\n"
        "print(json.dumps({'exit': r.exit_code, 'out': r.stdout,"
        " 'torch': 'torch' in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["exit"] == 0, report
    assert json.loads(report["out"])["correct"] is True
    assert report["torch"] is False


def test_real_subprocess_check() -> None:
    quizapp = Path(sys.executable).parent / "quizapp"
    command = [str(quizapp)] if quizapp.exists() else [sys.executable, "-m", "quizapp"]
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [
            *command,
            "check",
            "fixture.no-grad-choice",
            "False",
            "--seed",
            "2",
            "--json",
            *bank_args(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "correct" and data["expected"] == "False"


# -- misconceptions (a bank written from docs/question-format.md only) ---------------------------

MISC_BANK = ROOT / "tests" / "fixtures" / "misconceptions"


def check_misc(runner: Any, *args: str) -> Result:
    return invoke(["check", *args, "--bank", str(MISC_BANK)], runner=runner)


def test_check_json_names_the_misconception_a_wrong_answer_matches(runner: Any) -> None:
    from quizapp.bank import draw_variant, load_bank

    params = draw_variant(load_bank([MISC_BANK]).get("misc.linear-weight-shape"), 2).params
    fan_in, fan_out = params["fan_in"], params["fan_out"]
    wrong = check_misc(
        runner, "misc.linear-weight-shape", f"({fan_in}, {fan_out})", "--seed", "2", "--json"
    )
    assert wrong.exit_code == 1
    assert json.loads(wrong.stdout)["misconception"] == {
        "name": "transposed-weight",
        "summary": "Takes nn.Linear.weight to be (in_features, out_features)",
        "source": "authored",
        "basis": "answer",
    }
    other = check_misc(runner, "misc.linear-weight-shape", "(7, 7, 7, 7)", "--seed", "2", "--json")
    assert json.loads(other.stdout)["status"] == "incorrect"
    assert json.loads(other.stdout)["misconception"] is None
    right = check_misc(
        runner, "misc.linear-weight-shape", f"({fan_out}, {fan_in})", "--seed", "2", "--json"
    )
    assert json.loads(right.stdout)["misconception"] is None and right.exit_code == 0
    choice = check_misc(runner, "misc.choice-eval", "no", "--seed", "0", "--json")
    assert json.loads(choice.stdout)["misconception"]["name"] == "eval-disables-autograd"
    automatic = check_misc(runner, "misc.dropout-eval", "-6", "--json")
    assert json.loads(automatic.stdout)["misconception"] == {
        "name": "sign-flipped",
        "summary": "The right magnitude with the wrong sign",
        "source": "automatic",
        "basis": "answer",
    }


def test_check_text_shows_the_likely_misconception_with_its_explanation(runner: Any) -> None:
    result = check_misc(runner, "misc.choice-eval", "no", "--seed", "0")
    assert result.exit_code == 1
    assert "Likely misconception: Thinks eval() turns off autograd" in result.stdout
    assert "torch.no_grad() turns autograd off" in result.stdout


def test_validate_fails_when_the_check_accepts_a_code_misconception(runner: Any) -> None:
    result = invoke(["validate", str(MISC_BANK / "misconceptions.yaml")], runner=runner)
    assert result.exit_code == 1
    assert (
        "misc.code-relu-weak: misconceptions: the check accepts misconception relu-after-logits"
        in result.stdout
    )
    assert "misconception square-transpose gives the truth on seed 0" in result.stdout
    assert "no-hidden-layer" not in result.stdout


def test_check_names_the_known_wrong_solution_failing_code_matches(runner: Any) -> None:
    """`check` runs once: it waits for the code misconceptions' run (the app prepares it ahead)."""
    wrong = "def center(x):\n    return x - x.mean(0)\n"
    result = check_misc(runner, "misc.code-center-rows", wrong, "--seed", "2")
    assert result.exit_code == 1
    told = "Fails like a known mistake: Subtracts each column's mean"
    assert told in result.stdout, result.stdout
