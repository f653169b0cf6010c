"""Runs that end normally: values, output, namespace, seeds, and errors that name their step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from quizapp.runner import Runner, RunRequest, RunStatus, Step

if TYPE_CHECKING:
    from conftest import CodeRun


def tensor_of(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict) and "__tensor__" in value, value
    info: dict[str, Any] = value["__tensor__"]
    return info


def test_ok_run_encodes_values(run: CodeRun) -> None:
    code = "x = torch.arange(6.0).reshape(2, 3)\ny = x.sum(0)"
    evaluate = "(x, x.shape, [[1, 2], [3]], True, float('nan'), y.tolist(), {'n': 2})"
    result = run(code, evaluate)
    assert result.status is RunStatus.OK, result.describe()
    items = result.value["__tuple__"]
    x = tensor_of(items[0])
    assert x["shape"] == [2, 3] and x["dtype"] == "float32"
    assert x["values"] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert items[1] == {"__size__": [2, 3]}
    assert items[2] == {"__list__": [{"__list__": [1, 2]}, {"__list__": [3]}]}
    assert items[3] is True
    assert math.isnan(items[4])
    assert items[5] == {"__list__": [3.0, 5.0, 7.0]}
    assert items[6] == {"__dict__": {"n": 2}}
    assert result.device == "cpu" and result.torch_version
    assert result.error is None


def test_autograd_result_and_grad_fn(run: CodeRun) -> None:
    code = "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).sum()\ny.backward()"
    result = run(code, "(x.grad, y)")
    grad, y = result.value["__tuple__"]
    assert tensor_of(grad)["values"] == [2.0, 4.0]
    assert tensor_of(y)["grad_fn"] == "SumBackward0"


def test_namespace_has_torch_nn_f_device_seed_and_params(runner: Runner) -> None:
    request = RunRequest(
        steps=(Step("out = F.relu(nn.Identity()(torch.tensor([-n, n])))", "setup"),),
        params={"n": 3, "name": "abc"},
        seed=42,
        evaluate="(out.tolist(), str(device), seed, name)",
    )
    result = runner.run(request)
    assert result.status is RunStatus.OK, result.describe()
    assert result.value == {"__tuple__": [{"__list__": [0, 3]}, "cpu", 42, "abc"]}


def test_seed_makes_randn_reproducible(runner: Runner) -> None:
    def draw(seed: int) -> list[float]:
        request = RunRequest(steps=(Step("x = torch.randn(4)", "setup"),), seed=seed, evaluate="x")
        values: list[float] = tensor_of(runner.run(request).value)["values"]
        return values

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)


def test_steps_share_one_namespace_in_order(runner: Runner) -> None:
    request = RunRequest(
        steps=(Step("a = 2", "setup"), Step("b = a * 5", "user"), Step("c = b + 1", "check")),
        evaluate="c",
    )
    assert runner.run(request).value == 11


def test_error_names_step_label_and_line(runner: Runner) -> None:
    request = RunRequest(
        steps=(Step("a = 1", "setup"), Step("b = 2\nc = undefined_name\nd = 4", "your code")),
    )
    result = runner.run(request)
    assert result.status is RunStatus.ERROR
    assert result.error is not None
    assert result.error.type == "NameError"
    assert result.error.step == "your code" and result.error.line == 2
    assert "undefined_name" in result.error.message
    assert '"<your code>", line 2' in result.error.traceback
    assert "c = undefined_name" in result.error.traceback  # the source line is shown
    assert "quizapp" not in result.error.traceback  # the child's own frames are left out
    assert "NameError in your code line 2" in result.describe()


def test_error_inside_a_function_points_at_the_raising_line(runner: Runner) -> None:
    request = RunRequest(
        steps=(
            Step("def f(t):\n    return t @ t", "setup"),
            Step("x = torch.ones(2, 3)\nf(x)", "user"),
        )
    )
    result = runner.run(request)
    assert result.error is not None and result.error.type == "RuntimeError"
    assert (result.error.step, result.error.line) == ("setup", 2)
    assert '"<user>", line 2' in result.error.traceback


def test_syntax_error_names_step_and_line(run: CodeRun) -> None:
    result = run("x = 1\ny = (", label="check")
    assert result.status is RunStatus.ERROR and result.error is not None
    assert result.error.type == "SyntaxError"
    assert result.error.step == "check" and result.error.line == 2


def test_error_in_evaluate(run: CodeRun) -> None:
    result = run("x = 1", "x.nope")
    assert result.error is not None and result.error.step == "evaluate"
    assert result.error.type == "AttributeError"


def test_assertion_message_is_kept(run: CodeRun) -> None:
    result = run("assert 1 == 2, 'expected 2 rows'", label="check")
    assert result.error is not None and result.error.type == "AssertionError"
    assert result.error.message == "expected 2 rows"


def test_stdout_and_stderr_are_captured_apart(run: CodeRun) -> None:
    code = (
        "import sys, warnings\n"
        "print('out', 1)\n"
        "print('err', file=sys.stderr)\n"
        "warnings.warn('careful')\n"
        "print(torch.tensor([1, 2]))"
    )
    result = run(code)
    assert result.stdout == "out 1\ntensor([1, 2])\n"
    assert "err" in result.stderr and "careful" in result.stderr
    assert not result.stdout_truncated


def test_output_printed_before_an_error_is_kept(run: CodeRun) -> None:
    result = run("print('before')\nraise ValueError('boom')")
    assert result.status is RunStatus.ERROR
    assert result.stdout == "before\n"


def test_instruments_never_fail_the_run(runner: Runner) -> None:
    request = RunRequest(
        steps=(Step("model = nn.Linear(2, 2)\nx = torch.ones(1, 2)", "setup"),),
        instruments={"trace": "auto", "bogus": True},
    )
    result = runner.run(request)
    assert result.status is RunStatus.OK, result.describe()
    assert isinstance(result.instruments, dict)


def test_no_instruments_unless_asked(run: CodeRun) -> None:
    assert run("x = 1").instruments is None


def test_a_value_too_large_to_return_is_an_error(run: CodeRun) -> None:
    result = run("big = ['x' * 99_999] * 700", "big", timeout=20)
    assert result.status is RunStatus.ERROR, result.describe()
    assert result.error is not None and "cannot be returned" in result.error.message
