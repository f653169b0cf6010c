"""The parent side of explain-by-running: parsing the child's plain data and rendering it.

No torch here: the data below is what quizapp.runner.instruments returns.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from rich.console import Console, RenderableType
from rich.tree import Tree

from quizapp.bank import draw_variant
from quizapp.bank.models import Question
from quizapp.explain import (
    Explanation,
    GraphResult,
    InstrumentFailure,
    ModesResult,
    TraceResult,
    explain_snippet,
    explain_variant,
    explicit_instrument_problems,
    format_number,
    format_shape,
    format_values,
    instrument_spec,
    render_explanation,
    render_graph,
    render_modes,
    render_trace,
)
from quizapp.runner.protocol import RunError, RunRequest, RunResult, RunStatus


def text_of(renderable: RenderableType, width: int = 160) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def row(index: int, name: str, type_: str, depth: int, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "index": index,
        "name": name,
        "aliases": [],
        "type": type_,
        "call": 0,
        "depth": depth,
        "input_shapes": [[5, 4]],
        "output_shapes": [[5, 8]],
        "params": 0,
        "params_total": 0,
        "mean": 0.25,
        "std": 1.5,
        "zeros": 0.0,
        "dtype": "float32",
        "status": "ok",
        "error": None,
    }
    data.update(extra)
    return data


TRACE = {
    "model": "model",
    "input": "x",
    "training": True,
    "rows": [
        row(0, "", "Net", 0, params_total=58),
        row(1, "fc", "Linear", 1, params=40, params_total=40),
        row(2, "act", "ReLU", 1, zeros=0.75, dead=[3, 8]),
        row(3, "fc", "Linear", 1, call=1, params=40, params_total=40),
        row(4, "head", "Linear", 1, params=18, params_total=18, output_shapes=[[5, 2]]),
    ],
    "dropped": 0,
    "error": None,
    "output_shapes": [[5, 2]],
    "params_total": 58,
}

FAILED_TRACE = {
    "model": "model",
    "input": "x",
    "training": False,
    "rows": [
        row(0, "", "Sequential", 0, status="raised", output_shapes=[], mean=None),
        row(1, "0", "Linear", 1, status="error", output_shapes=[], input_shapes=[[5, 4]]),
    ],
    "dropped": 0,
    "error": {
        "message": "RuntimeError: mat1 and mat2 shapes cannot be multiplied (5x4 and 3x8)",
        "type": "RuntimeError",
        "module": "0",
        "module_type": "Linear",
        "call": 0,
        "input_shapes": [[5, 4]],
    },
    "output_shapes": [],
    "params_total": 32,
}


def leaf(node_id: int, names: list[str], shape: list[int], grad: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "name": "AccumulateGrad",
        "tensors": [],
        "saved": [],
        "leaf": {
            "names": names,
            "shape": shape,
            "dtype": "float32",
            "requires_grad": True,
            "grad": grad,
        },
    }


GRAPH = {
    "tensor": "loss",
    "shape": [],
    "dtype": "float32",
    "requires_grad": True,
    "is_leaf": False,
    "grad_fn": "SumBackward0",
    "message": None,
    "grad": None,
    "nodes": [
        {"id": 0, "name": "SumBackward0", "tensors": ["loss"], "leaf": None, "saved": []},
        {
            "id": 1,
            "name": "AddBackward0",
            "tensors": ["z"],
            "grads": {"z": {"shape": [3], "dtype": "float32", "values": [1.0, 1.0, 1.0]}},
            "leaf": None,
            "saved": [],
        },
        {
            "id": 2,
            "name": "MulBackward0",
            "tensors": ["y"],
            "leaf": None,
            "saved": [{"name": "self", "shape": [3]}],
        },
        leaf(
            3,
            ["x"],
            [3],
            {"shape": [3], "dtype": "float32", "values": [4.0, 4.0, 4.0], "summary": None},
        ),
        leaf(
            4,
            ["model.weight"],
            [64, 64],
            {
                "shape": [64, 64],
                "dtype": "float32",
                "values": None,
                "summary": {"mean": 0.5, "std": 0.1, "min": 0.0, "max": 1.0, "norm": 32.0},
            },
        ),
    ],
    "edges": [
        {"src": 0, "dst": 1, "slot": 0},
        {"src": 1, "dst": 2, "slot": 0},
        {"src": 1, "dst": 2, "slot": 1},
        {"src": 2, "dst": 3, "slot": 0},
        {"src": 0, "dst": 4, "slot": 0},
    ],
    "truncated": False,
    "freed": True,
}

NO_GRAPH = {
    "tensor": "y",
    "shape": [3],
    "dtype": "float32",
    "requires_grad": False,
    "is_leaf": True,
    "grad_fn": None,
    "message": "y has no grad_fn and does not require grad, so autograd does not track it",
    "grad": None,
    "nodes": [],
    "edges": [],
    "truncated": False,
    "freed": False,
}


def norm(changed: bool) -> dict[str, Any]:
    small = {"shape": [2], "dtype": "float32", "values": [0.0, 0.0], "summary": None}
    return {
        "module": "bn",
        "type": "BatchNorm1d",
        "momentum": 0.1,
        "num_batches_before": 0,
        "num_batches_after": 1 if changed else 0,
        "mean_before": small,
        "mean_after": small,
        "var_before": small,
        "var_after": small,
        "mean_change": 0.05 if changed else 0.0,
        "var_change": 0.02 if changed else 0.0,
        "changed": changed,
    }


def mode_run(mode: str, training: bool, grad_fn: str | None, diff: dict[str, float]) -> Any:
    return {
        "mode": mode,
        "training": training,
        "grad_mode": "grad" if grad_fn else "no_grad",
        "output_shapes": [[4, 2]],
        "requires_grad": grad_fn is not None,
        "grad_fn": grad_fn,
        "is_inference": False,
        "diff": diff,
        "norm_stats": [norm(training)],
        "error": None,
    }


MODES = {
    "model": "model",
    "input": "x",
    "seed": 7,
    "training": True,
    "dropout": [{"module": "drop", "type": "Dropout", "p": 0.5}],
    "norm_modules": ["bn"],
    "runs": [
        mode_run("train", True, "AddmmBackward0", {"eval": 0.4}),
        mode_run("eval", False, "AddmmBackward0", {"train": 0.4}),
        mode_run("eval + no_grad", False, None, {"train": 0.4, "eval": 0.0}),
        {
            **mode_run("train + no_grad", True, None, {}),
            "error": "ValueError: Expected more than 1 value per channel when training",
        },
    ],
}


# ------------------------------------------------------------------------------------ parse


def test_explanation_parses_every_section() -> None:
    explanation = Explanation.from_json(
        {"trace": TRACE, "graph": GRAPH, "modes": MODES, "notes": ["a note"]}
    )
    assert isinstance(explanation.trace, TraceResult)
    assert isinstance(explanation.graph, GraphResult)
    assert isinstance(explanation.modes, ModesResult)
    assert explanation.notes == ("a note",)
    assert not explanation.empty

    trace = explanation.trace
    assert trace.row("fc", call=1) is not None
    assert trace.rows[1].input_shapes == ((5, 4),)
    graph = explanation.graph
    assert graph.children(1) == [2, 2]
    assert [n.leaf.names for n in graph.leaves if n.leaf] == [("x",), ("model.weight",)]
    modes = explanation.modes
    assert modes.differ("train", "eval") is True
    assert modes.differ("eval + no_grad", "eval") is False
    assert modes.differ("train", "train + no_grad") is None


def test_errors_and_absent_sections() -> None:
    explanation = Explanation.from_json(
        {"trace": {"error": "trace: `m` is a int, not an nn.Module"}, "graph": None, "notes": []}
    )
    assert explanation.trace == InstrumentFailure("trace", "trace: `m` is a int, not an nn.Module")
    assert explanation.graph is None and explanation.modes is None
    assert Explanation.from_json(None).empty
    ambiguous = Explanation.from_json({"notes": [], "unresolved": ["trace: found a, b"]})
    assert ambiguous.empty  # nothing for a user to see
    assert "found a, b" not in text_of(render_explanation(ambiguous))
    assert "found a, b" in text_of(render_explanation(ambiguous, authoring=True))
    crashed = Explanation.from_json({"error": "instruments failed: MemoryError: "})
    assert crashed.notes == ("instruments failed: MemoryError: ",)


def test_malformed_data_becomes_a_failure_not_an_exception() -> None:
    explanation = Explanation.from_json(
        {"trace": {"rows": [{"name": "x"}]}, "graph": {"nodes": "oops"}, "modes": 3}
    )
    for section in (explanation.trace, explanation.graph, explanation.modes):
        assert isinstance(section, InstrumentFailure)
        assert "malformed" in section.message
    assert "malformed" in text_of(render_explanation(explanation))


# ----------------------------------------------------------------------------------- render


def test_trace_table_shows_calls_shapes_and_statistics() -> None:
    text = text_of(render_trace(TraceResult.from_json(TRACE)))
    assert "model(x) in train mode" in text
    lines = text.splitlines()
    fc_lines = [line for line in lines if " fc" in line]
    assert len(fc_lines) == 2 and "(call 2)" in fc_lines[1]
    relu = next(line for line in lines if "ReLU" in line)
    assert "75% 3/8 dead" in relu and "(5, 4)" in relu and "(5, 8)" in relu
    assert "58 parameters; output (5, 2)" in text


def test_failed_trace_names_the_module_and_its_input() -> None:
    text = text_of(render_trace(TraceResult.from_json(FAILED_TRACE)))
    assert "in eval mode" in text
    assert "model.0 (Linear) raised" in text
    assert "5x4 and 3x8" in text
    assert "its input: (5, 4)" in text


def test_caught_exceptions_and_failures_outside_modules() -> None:
    caught = {**TRACE, "rows": [row(0, "", "Net", 0), row(1, "bad", "Linear", 1, status="caught")]}
    text = text_of(render_trace(TraceResult.from_json(caught)))
    assert "✗ raised (caught)" in text
    outside = {
        **FAILED_TRACE,
        "rows": [],
        "error": {**FAILED_TRACE["error"], "module": None, "module_type": None, "call": None},
    }
    text = text_of(render_trace(TraceResult.from_json(outside)))
    assert "model(x) failed: RuntimeError" in text and "its input" not in text


def test_graph_tree_from_output_to_leaves() -> None:
    rendered = render_graph(GraphResult.from_json(GRAPH))
    assert isinstance(rendered, Tree)
    text = text_of(rendered)
    assert "grad_fn=SumBackward0" in text
    assert "AddBackward0  → z  z.grad = [1, 1, 1]" in text
    assert text.count("MulBackward0") == 2  # reached twice: drawn once, then referenced
    assert "shared; shown above" in text
    assert "saves self (3,)" in text
    assert "AccumulateGrad → x  (3,)  .grad = [4, 4, 4]" in text
    assert "model.weight  (64, 64)  .grad = mean 0.5 std 0.1 min 0 max 1 norm 32" in text
    assert "retain_graph=True" in text
    # children are indented under their parents
    lines = text.splitlines()
    mul = next(i for i, line in enumerate(lines) if "#2 MulBackward0" in line)
    x_leaf = next(i for i, line in enumerate(lines) if "→ x" in line)
    assert x_leaf > mul and lines[x_leaf].index("#3") > lines[mul].index("#2")


def test_a_tensor_without_graph_says_why() -> None:
    text = text_of(render_graph(GraphResult.from_json(NO_GRAPH)))
    assert "grad_fn=None" in text
    assert "does not require grad" in text


def test_modes_table_shows_graphs_differences_and_running_stats() -> None:
    text = text_of(render_modes(ModesResult.from_json(MODES)))
    lines = text.splitlines()
    train = next(line for line in lines if line.strip().startswith("train "))
    assert "AddmmBackward0" in train and "0.4" in train and "updated" in train
    no_grad = next(line for line in lines if "eval + no_grad" in line)
    assert "none" in no_grad and "unchanged" in no_grad
    assert "model.bn (BatchNorm1d) in train: num_batches_tracked 0→1" in text
    assert "running_mean moved up to 0.05, running_var up to 0.02" in text
    assert "Expected more than 1 value" in text
    assert "model.drop (Dropout, p=0.5)" in text
    assert "seed 7" in text


def test_user_text_is_not_read_as_markup() -> None:
    data = {**TRACE, "rows": [row(0, "", "[bold]Evil[/bold]", 0)]}
    assert "[bold]Evil[/bold]" in text_of(render_trace(TraceResult.from_json(data)))


def test_absent_and_failed_sections_render_as_a_line() -> None:
    assert "No forward trace" in text_of(render_trace(None))
    assert "boom" in text_of(render_graph(InstrumentFailure("graph", "boom")))
    assert "No explanation" in text_of(render_explanation(Explanation()))
    whole = text_of(render_explanation(Explanation.from_json({"trace": TRACE, "notes": ["n1"]})))
    assert "model(x) in train mode" in whole and "n1" in whole


def test_formatting_helpers() -> None:
    assert format_shape(()) == "()"
    assert format_shape((3,)) == "(3,)"
    assert format_shape((2, 3)) == "(2, 3)"
    assert format_values([[1.0, 0.5], [True, 2]]) == "[[1, 0.5], [True, 2]]"
    assert format_values(list(range(10)), limit=3) == "[0, 1, 2, …]"
    assert format_number(3.7e-9) == "≈0" and format_number(-2.5e-5) == "-2.5e-05"
    assert format_number(float("nan")) == "nan" and format_number(None) == "—"


def test_explain_does_not_import_torch() -> None:
    code = "import sys, quizapp.explain; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------ asking the runner


class FakeRunner:
    """Records the request; answers with a canned result."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self.requests: list[RunRequest] = []

    def run(self, request: RunRequest) -> RunResult:
        self.requests.append(request)
        return self.result


def question(**fields: Any) -> Question:
    base: dict[str, Any] = {
        "id": "t.q",
        "kind": "shape",
        "topic": "t",
        "prompt": "?",
        "setup": "model = nn.Linear(n, 2)\nx = torch.randn(3, n)\ny = model(x)",
        "answer": "y.shape",
        "params": {"n": [4]},
    }
    base.update(fields)
    return Question(**base)


def test_instrument_spec_uses_the_question_fields_and_auto_for_the_rest() -> None:
    assert instrument_spec(question()) == {
        "trace": "auto",
        "graph": "auto",
        "modes": "auto",
        "answer_expr": "y.shape",
    }
    named = question(trace={"model": "model", "input": "x"}, graph="y", modes=None)
    spec = instrument_spec(named)
    assert spec["trace"] == {"model": "model", "input": "x"}
    assert spec["graph"] == "y"


def test_explain_variant_reruns_the_setup_with_instruments() -> None:
    runner = FakeRunner(RunResult(status=RunStatus.OK, instruments={"trace": TRACE, "notes": []}))
    q = question(timeout=2.0)
    explanation = explain_variant(runner, draw_variant(q, 11))

    (request,) = runner.requests
    assert [s.label for s in request.steps] == ["setup"]
    assert request.seed == 11 and request.params == {"n": 4}
    assert request.instruments == instrument_spec(q)
    assert request.evaluate is None
    assert request.timeout > q.timeout  # room for the extra forwards
    assert explanation is not None and isinstance(explanation.trace, TraceResult)
    assert explanation.run_error is None


def test_explain_variant_runs_a_code_questions_solution_and_skips_recall() -> None:
    runner = FakeRunner(RunResult(status=RunStatus.OK, instruments={"notes": []}))
    code_q = question(kind="code", answer=None, check="assert ok", solution="ok = True")
    explain_variant(runner, draw_variant(code_q, 1))
    assert [s.label for s in runner.requests[0].steps] == ["setup", "solution"]

    recall = question(kind="recall", answer=None, setup="", key_points=["a"], model_answer="a")
    assert explain_variant(runner, draw_variant(recall, 1)) is None
    assert len(runner.requests) == 1


def test_a_failed_run_is_described_and_keeps_what_was_instrumented() -> None:
    failed = RunResult(
        status=RunStatus.ERROR,
        error=RunError(type="ValueError", message="bad", step="snippet", line=2),
        stdout="hello\n",
        instruments={"trace": FAILED_TRACE, "notes": []},
    )
    runner = FakeRunner(failed)
    explanation = explain_snippet(runner, "print('hello')\nraise ValueError('bad')", timeout=3)
    (request,) = runner.requests
    assert request.timeout == 3 and request.steps[0].code.startswith("print")
    assert explanation.run_error == "ValueError in snippet line 2: bad"
    assert explanation.stdout == "hello\n"
    assert isinstance(explanation.trace, TraceResult)
    text = text_of(render_explanation(explanation))
    assert text.index("ValueError in snippet") < text.index("hello") < text.index("model(x)")

    timed_out = FakeRunner(RunResult(status=RunStatus.TIMEOUT))
    explanation = explain_snippet(timed_out, "while True: pass")
    assert explanation.run_error is not None and "time limit" in explanation.run_error
    assert explanation.trace is None and not explanation.empty


def test_problems_with_named_instruments_for_validation() -> None:
    q = question(trace={"model": "nett", "input": "x"}, graph="y")
    broken = Explanation.from_json(
        {"trace": {"error": "trace: `nett` could not be evaluated: NameError"}, "graph": GRAPH}
    )
    assert explicit_instrument_problems(q, broken) == [
        "`trace`: trace: `nett` could not be evaluated: NameError"
    ]
    failing_forward = Explanation.from_json({"trace": FAILED_TRACE, "graph": GRAPH})
    assert explicit_instrument_problems(q, failing_forward) == []
    assert explicit_instrument_problems(question(), broken) == []  # auto: never a problem
