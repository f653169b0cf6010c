"""The explain-by-running instruments, called in-process (as the sandboxed child calls them)."""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from quizapp.explain import Explanation, GraphResult, ModesResult, TraceResult
from quizapp.runner.instruments import (
    MAX_GRAPH_NODES,
    RECORDING_KEY,
    record_calls,
    root_modules,
    run_instruments,
    trace_forward,
)


def namespace(**names: Any) -> dict[str, Any]:
    """What the runner's child builds: the fixed names, then what the question's setup made."""
    ns: dict[str, Any] = {"torch": torch, "nn": nn, "F": F, "device": torch.device("cpu")}
    ns["seed"] = 0
    ns.update(names)
    return ns


class Net(nn.Module):
    """A Sequential inside a Module, with BatchNorm and Dropout."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5))
        self.head = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class Shared(nn.Module):
    """One Linear used twice in a forward."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Linear(3, 3)
        self.act = nn.Tanh()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(self.act(self.block(x)))


def all_hooks(model: nn.Module) -> list[Any]:
    return [
        hook
        for m in model.modules()
        for hook in (*m._forward_hooks.values(), *m._forward_pre_hooks.values())
    ]


def state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    """What crosses the process boundary (the protocol allows NaN)."""
    loaded: dict[str, Any] = json.loads(json.dumps(result))
    return loaded


# ------------------------------------------------------------------------------------- trace


def test_trace_lists_every_call_of_nested_containers_in_order() -> None:
    torch.manual_seed(0)
    model, x = Net(), torch.randn(5, 4)
    result = as_json(run_instruments(namespace(model=model, x=x), {"trace": "auto"}))
    trace = TraceResult.from_json(result["trace"])

    assert (trace.model, trace.input, trace.training) == ("model", "x", True)
    names = [(r.name, r.type, r.depth) for r in trace.rows]
    assert names == [
        ("", "Net", 0),
        ("body", "Sequential", 1),
        ("body.0", "Linear", 2),
        ("body.1", "BatchNorm1d", 2),
        ("body.2", "ReLU", 2),
        ("body.3", "Dropout", 2),
        ("head", "Linear", 1),
    ]
    linear = trace.row("body.0")
    assert linear is not None
    assert linear.input_shapes == ((5, 4),)
    assert linear.output_shapes == ((5, 8),)
    assert (linear.params, linear.params_total) == (4 * 8 + 8, 4 * 8 + 8)
    root = trace.rows[0]
    assert root.params == 0
    assert root.params_total == sum(p.numel() for p in model.parameters())
    assert trace.output_shapes == ((5, 2),)
    assert trace.error is None
    relu = trace.row("body.2")
    assert relu is not None and relu.zeros is not None and 0 < relu.zeros < 1
    assert relu.mean is not None and relu.mean >= 0


def test_trace_output_statistics_are_those_of_the_output() -> None:
    layer = nn.Linear(2, 3)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.copy_(torch.tensor([-1.0, 0.0, 2.0]))
    model = nn.Sequential(layer, nn.ReLU())
    ns = namespace(model=model, x=torch.randn(4, 2))
    trace = TraceResult.from_json(run_instruments(ns, {"trace": "auto"})["trace"])

    relu = trace.row("1")
    assert relu is not None
    # every row is [0, 0, 2]: two thirds exact zeros (dead units), mean 2/3
    assert relu.zeros == pytest.approx(2 / 3)
    assert relu.mean == pytest.approx(2 / 3)
    assert relu.std == pytest.approx(torch.tensor([0.0, 0.0, 2.0] * 4).std().item())
    assert relu.dtype == "float32"
    assert relu.dead == (2, 3)  # units 0 and 1 are zero for all 4 samples


def test_one_sample_cannot_tell_dead_units_from_quiet_ones() -> None:
    ns = namespace(model=nn.Sequential(nn.Linear(2, 3), nn.ReLU()), x=torch.randn(1, 2))
    trace = TraceResult.from_json(run_instruments(ns, {"trace": "auto"})["trace"])
    assert all(row.dead is None for row in trace.rows)


def test_a_shared_module_called_twice_has_a_row_per_call() -> None:
    ns = namespace(model=Shared(), x=torch.randn(2, 3))
    trace = TraceResult.from_json(run_instruments(ns, {"trace": "auto"})["trace"])

    assert [(r.name, r.call) for r in trace.rows] == [
        ("", 0),
        ("block", 0),
        ("act", 0),
        ("block", 1),
    ]
    second = trace.row("block", call=1)
    assert second is not None and second.status == "ok"
    assert second.input_shapes == ((2, 3),)


def test_a_forward_that_raises_shows_the_failing_module_and_removes_every_hook() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(3, 2)))
    with torch.no_grad():
        traced = trace_forward(model, (torch.randn(5, 4),))

    assert all_hooks(model) == []
    error = traced["error"]
    assert error["module"] == "2.0"
    assert error["module_type"] == "Linear"
    assert error["input_shapes"] == [[5, 8]]
    assert "5x8 and 3x2" in error["message"]
    statuses = {(r["name"], r["status"]) for r in traced["rows"]}
    assert statuses == {("", "raised"), ("0", "ok"), ("1", "ok"), ("2", "raised"), ("2.0", "error")}
    # the model still works normally: no hook left behind changes its forward
    assert model[:2](torch.randn(1, 4)).shape == (1, 8)


def test_a_failing_trace_reaches_the_parent_as_data() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(3, 2))
    ns = namespace(model=model, x=torch.randn(5, 4))
    result = as_json(run_instruments(ns, {"trace": {"model": "model", "input": "x"}}))
    trace = TraceResult.from_json(result["trace"])

    assert all_hooks(model) == []
    assert trace.error is not None
    assert (trace.error.module, trace.error.input_shapes) == ("1", ((5, 8),))
    assert trace.output_shapes == ()


def test_an_exception_caught_inside_forward_marks_the_child_and_carries_on() -> None:
    class Careful(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bad = nn.Linear(3, 3)
            self.good = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            try:
                return self.bad(x)
            except RuntimeError:
                return self.good(x)

    with torch.no_grad():
        traced = trace_forward(Careful(), (torch.randn(1, 4),))
    assert traced["error"] is None
    assert [(r["name"], r["status"]) for r in traced["rows"]] == [
        ("", "ok"),
        ("bad", "caught"),
        ("good", "ok"),
    ]
    assert traced["rows"][2]["depth"] == 1


def test_tracing_leaves_the_users_model_and_input_untouched() -> None:
    torch.manual_seed(0)
    model, x = Net(), torch.randn(5, 4)
    before, x_before, rng = state(model), x.clone(), torch.get_rng_state()

    run_instruments(namespace(model=model, x=x), {"trace": "auto", "modes": "auto"})

    assert same_state(before, state(model))  # BatchNorm running stats included
    assert model.training
    assert torch.equal(x, x_before)
    assert torch.equal(rng, torch.get_rng_state())
    assert all_hooks(model) == []


def test_a_model_that_cannot_be_copied_runs_in_place_and_is_restored() -> None:
    class Cached(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.BatchNorm1d(3)
            # a non-leaf tensor attribute makes copy.deepcopy refuse the module
            self.cache = nn.Parameter(torch.ones(3)) * 2

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.norm(x)

    model = Cached()
    with pytest.raises(RuntimeError):
        copy.deepcopy(model)
    before = state(model)

    result = run_instruments(namespace(model=model, x=torch.randn(4, 3)), {"trace": "auto"})

    assert result["trace"]["error"] is None
    assert any("could not be copied" in note for note in result["notes"])
    assert same_state(before, state(model))
    assert all_hooks(model) == []


def test_a_tuple_input_is_passed_as_positional_arguments() -> None:
    class Pair(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(3, 3)

        def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return self.proj(a) + b

    ns = namespace(model=Pair(), inputs=(torch.randn(2, 3), torch.randn(2, 3)))
    result = run_instruments(ns, {"trace": {"model": "model", "input": "inputs"}})
    trace = TraceResult.from_json(result["trace"])
    assert trace.rows[0].input_shapes == ((2, 3), (2, 3))
    assert trace.output_shapes == ((2, 3),)


# ------------------------------------------------------------------------------------- graph


def test_graph_names_leaves_and_intermediates_before_backward() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.tensor([0.5, 0.5, 0.5], requires_grad=True)
    y = x * w
    loss = y.sum()
    result = as_json(run_instruments(namespace(x=x, w=w, y=y, loss=loss), {"graph": "loss"}))
    graph = GraphResult.from_json(result["graph"])

    assert [n.name for n in graph.nodes][:2] == ["SumBackward0", "MulBackward0"]
    assert graph.nodes[0].tensors == ("loss",)
    assert graph.nodes[1].tensors == ("y",)
    leaves = {n.leaf.names: n.leaf for n in graph.leaves if n.leaf is not None}
    assert set(leaves) == {("x",), ("w",)}
    assert all(leaf.grad is None for leaf in leaves.values())
    assert {name for name, _ in graph.nodes[1].saved} == {"self", "other"}
    assert not graph.freed
    assert graph.children(0) == [1]
    assert sorted(graph.children(1)) == [2, 3]


def test_graph_after_backward_carries_the_leaf_gradients() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x**2).sum()
    loss.backward()
    ns = namespace(x=x, loss=loss)
    graph = GraphResult.from_json(run_instruments(ns, {"graph": "loss"})["graph"])

    (leaf_node,) = graph.leaves
    assert leaf_node.leaf is not None and leaf_node.leaf.grad is not None
    assert leaf_node.leaf.grad.values == pytest.approx([2.0, 4.0, 6.0])
    assert graph.freed  # backward() freed what PowBackward0 saved


def test_retained_gradients_of_intermediate_tensors_are_shown() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3
    hidden.retain_grad()
    other = hidden + 1  # did not retain its grad: reading it would only warn
    loss = (other * hidden).sum()
    loss.backward()
    ns = namespace(x=x, hidden=hidden, other=other, loss=loss)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "The .grad attribute of a non-leaf Tensor..."
        graph = GraphResult.from_json(run_instruments(ns, {"graph": "loss"})["graph"])
    by_name = {name: node for node in graph.nodes for name in node.tensors}
    assert by_name["hidden"].grads["hidden"].values == pytest.approx((2 * hidden + 1).tolist())
    assert by_name["other"].grads == {}
    assert graph.grad is None  # loss did not retain its gradient

    own = run_instruments(ns, {"graph": "hidden"})["graph"]
    assert own["grad"]["values"] == pytest.approx((2 * hidden + 1).tolist())


def test_big_gradients_are_summarised_and_parameters_named_through_the_model() -> None:
    model = nn.Linear(10, 10)
    out = model(torch.randn(4, 10)).sum()
    out.backward()
    graph = GraphResult.from_json(
        run_instruments(namespace(model=model, out=out), {"graph": "out"})["graph"]
    )

    leaves = {n.leaf.names[0]: n.leaf for n in graph.leaves if n.leaf is not None}
    weight = leaves["model.weight"]
    assert weight.grad is not None and weight.grad.values is None
    assert weight.grad.summary is not None
    assert weight.grad.summary["norm"] == pytest.approx(model.weight.grad.norm().item(), rel=1e-5)
    assert leaves["model.bias"].grad is not None and leaves["model.bias"].grad.values is not None


def test_a_node_reached_twice_appears_once() -> None:
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    z = y + y
    graph = GraphResult.from_json(run_instruments(namespace(x=x, z=z), {"graph": "z"})["graph"])

    assert [n.name for n in graph.nodes] == ["AddBackward0", "MulBackward0", "AccumulateGrad"]
    assert graph.edges.count((0, 1)) == 2


def test_a_long_graph_is_cut_at_the_node_cap() -> None:
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(MAX_GRAPH_NODES + 50):
        y = y * 1.0
    graph = GraphResult.from_json(run_instruments(namespace(x=x, y=y), {"graph": "y"})["graph"])
    assert len(graph.nodes) == MAX_GRAPH_NODES
    assert graph.truncated


def test_tensors_without_a_graph_say_why() -> None:
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    with torch.inference_mode():
        z = torch.ones(2) * 3
    d = (x * 2).detach()
    ns = namespace(x=x, y=y, z=z, d=d, n=3.5)

    def graph(name: str) -> dict[str, Any]:
        section: dict[str, Any] = run_instruments(ns, {"graph": name})["graph"]
        return section

    assert "leaf" in graph("x")["message"] and graph("x")["nodes"] == []
    assert "no_grad" in graph("y")["message"] and graph("y")["grad_fn"] is None
    assert "inference_mode" in graph("z")["message"]
    assert "detach" in graph("d")["message"]
    assert "float, not a tensor" in graph("n")["error"]
    assert "nope" in graph("nope")["error"] and "NameError" in graph("nope")["error"]


def test_a_leaf_graph_shows_its_gradient() -> None:
    x = torch.ones(3, requires_grad=True)
    (x * 3).sum().backward()
    graph = run_instruments(namespace(x=x), {"graph": "x"})["graph"]
    assert graph["grad"]["values"] == [3.0, 3.0, 3.0]


# ------------------------------------------------------------------------------------- modes


def test_modes_compare_dropout_batchnorm_and_grad_modes() -> None:
    torch.manual_seed(0)
    model, x = Net(), torch.randn(6, 4)
    result = as_json(run_instruments(namespace(model=model, x=x), {"modes": "auto"}))
    modes = ModesResult.from_json(result["modes"])

    assert [r.mode for r in modes.runs] == [
        "train",
        "train + no_grad",
        "eval",
        "eval + no_grad",
        "eval + inference_mode",
    ]
    assert modes.dropout == (("body.3", "Dropout", 0.5),)
    assert modes.norm_modules == ("body.1",)
    # the same seed before each run: dropout masks agree, so only the mode matters
    assert modes.differ("train", "train + no_grad") is False
    assert modes.differ("train", "eval") is True
    assert modes.differ("eval", "eval + no_grad") is False
    assert modes.differ("eval", "eval + inference_mode") is False

    graphs = {r.mode: (r.requires_grad, r.grad_fn, r.is_inference) for r in modes.runs}
    assert graphs["train"] == (True, "AddmmBackward0", False)
    assert graphs["eval + no_grad"] == (False, None, False)
    assert graphs["eval + inference_mode"] == (False, None, True)

    for run in modes.runs:
        (bn,) = run.norm_stats
        assert bn.module == "body.1"
        if run.training:  # BatchNorm updates its statistics in train mode, even under no_grad
            assert bn.changed and bn.num_batches_after == bn.num_batches_before + 1  # type: ignore[operator]
            assert bn.mean_change > 0
        else:
            assert not bn.changed and bn.num_batches_after == bn.num_batches_before
    assert all(r.output_shapes == ((6, 2),) for r in modes.runs)


def test_modes_keep_the_users_eval_model_in_eval() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).eval()
    before = state(model)
    result = run_instruments(namespace(model=model, x=torch.randn(4, 3)), {"modes": "auto"})
    assert result["modes"]["training"] is False
    assert not model.training and not model[1].training
    assert same_state(before, state(model))


def test_a_forward_that_fails_in_one_mode_reports_it_per_run() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    # one sample: BatchNorm refuses it in train mode only
    result = run_instruments(namespace(model=model, x=torch.randn(1, 3)), {"modes": "auto"})
    runs = {r["mode"]: r for r in result["modes"]["runs"]}
    assert "Expected more than 1 value per channel" in runs["train"]["error"]
    assert runs["eval"]["error"] is None and runs["eval"]["output_shapes"] == [[1, 3]]


# ------------------------------------------------------------------------------- resolution


def test_auto_ignores_children_in_the_namespace_and_loss_modules() -> None:
    layer = nn.Linear(4, 2)
    model = nn.Sequential(layer, nn.Dropout(0.1))
    ns = namespace(layer=layer, model=model, loss_fn=nn.MSELoss(), x=torch.randn(3, 4))
    assert [name for name, _ in root_modules(ns)] == ["model"]
    result = run_instruments(ns, {"trace": "auto", "modes": "auto"})
    assert result["trace"]["model"] == "model" and result["trace"]["input"] == "x"
    assert result["modes"]["model"] == "model"
    assert result["notes"] == []


def test_auto_input_skips_outputs_and_picks_the_one_tensor_the_model_accepts() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    x = torch.randn(3, 4)
    target = torch.randint(0, 2, (3,))
    out = model(x)
    with torch.no_grad():
        frozen = model(x)  # no grad_fn: a candidate by itself, but the model refuses (3, 2)
    ns = namespace(model=model, x=x, target=target, out=out, frozen=frozen)
    result = run_instruments(ns, {"trace": "auto"})
    assert result["trace"]["input"] == "x"


def test_unresolvable_auto_gives_null_and_a_note() -> None:
    ns = namespace(a=nn.Linear(2, 2), b=nn.Linear(2, 2), x=torch.randn(1, 2))
    result = run_instruments(ns, {"trace": "auto", "modes": "auto", "graph": "auto"})
    assert result["trace"] is None and result["modes"] is None and result["graph"] is None
    # two models is ambiguous (a note each for trace and modes); no graph at all is not
    assert len(result["unresolved"]) == 2
    assert "found: a, b" in result["unresolved"][0]
    assert result["notes"] == []

    two_inputs = namespace(model=nn.Linear(2, 2), x1=torch.randn(1, 2), x2=torch.randn(3, 2))
    ambiguous = run_instruments(two_inputs, {"trace": "auto"})
    assert ambiguous["trace"] is None
    assert "exactly one input tensor for `model` (found: x1, x2)" in ambiguous["unresolved"][0]

    never_called = run_instruments(namespace(model=nn.Linear(2, 2)), {"trace": "auto"})
    assert never_called["trace"] is None and never_called["unresolved"] == []


def test_auto_modes_only_for_models_with_dropout_or_batchnorm() -> None:
    ns = namespace(model=nn.Sequential(nn.Linear(2, 2), nn.ReLU()), x=torch.randn(3, 2))
    result = run_instruments(ns, {"modes": "auto"})
    assert result["modes"] is None
    assert result["notes"] == []
    named = run_instruments(ns, {"modes": {"model": "model", "input": "x"}})
    assert named["modes"] is not None and len(named["modes"]["runs"]) == 5


def test_auto_graph_prefers_the_answer_then_the_top_tensor() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    loss = y.sum()
    ns = namespace(x=x, y=y, loss=loss)

    answer = run_instruments(ns, {"graph": "auto", "answer_expr": "y"})
    assert answer["graph"]["tensor"] == "y"

    loss.backward()
    grad = run_instruments(ns, {"graph": "auto", "answer_expr": "x.grad"})
    assert grad["graph"]["tensor"] == "loss"  # y's graph is part of loss's
    assert "x.grad" in grad["notes"][0]

    detached = namespace(x=torch.ones(2, requires_grad=True))
    explained = run_instruments(detached, {"graph": "auto", "answer_expr": "x.detach() * 2"})
    assert explained["graph"]["tensor"] == "x.detach() * 2"
    assert "does not require grad" in explained["graph"]["message"]


def test_the_answer_is_read_before_the_reruns_fire_the_users_hooks() -> None:
    ns = run_setup(
        "net = nn.Linear(2, 2)\n"
        "outs = []\n"
        "net.register_forward_hook(lambda m, i, o: outs.append(o))\n"
        "y = net(torch.ones(1, 2))\n"
    )
    spec = {"trace": "auto", "graph": "auto", "answer_expr": "outs[-1]"}
    result = run_instruments(ns, spec)
    assert result["trace"]["error"] is None
    # the trace's forward ran the copied hook (outs grew), but the graph was taken first
    assert len(ns["outs"]) == 2
    assert (
        result["graph"]["tensor"] == "outs[-1]" and result["graph"]["grad_fn"] == "AddmmBackward0"
    )
    assert result["graph"]["nodes"][0]["tensors"] == ["y"]


def test_auto_is_quiet_where_there_is_nothing_to_explain() -> None:
    ns = namespace(x=torch.arange(6.0).view(2, 3))
    spec = {"trace": "auto", "graph": "auto", "modes": "auto", "answer_expr": "x.t()"}
    expected = {"trace": None, "graph": None, "modes": None, "notes": [], "unresolved": []}
    assert run_instruments(ns, spec) == expected


def run_setup(code: str) -> dict[str, Any]:
    """Run a question's setup the way the child does when instruments are asked for."""
    ns = namespace()
    torch.manual_seed(0)
    with record_calls(ns):
        exec(code, ns)
    return ns


def global_hooks() -> int:
    from torch.nn.modules import module

    return len(module._global_forward_hooks) + len(module._global_forward_pre_hooks)


def test_the_setups_call_is_replayed_when_its_input_has_no_name() -> None:
    ns = run_setup(
        "mlp = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        "y = mlp(torch.randn(5, 4))\n"
    )
    assert global_hooks() == 0
    result = run_instruments(ns, {"trace": "auto", "modes": {"model": "mlp", "input": "y"}})
    trace = TraceResult.from_json(result["trace"])
    assert (trace.model, trace.input) == ("mlp", "tensor(5, 4)")
    assert [r.input_shapes for r in trace.rows[:2]] == [((5, 4),), ((5, 4),)]


def test_the_recorded_call_names_its_input_and_beats_guessing() -> None:
    ns = run_setup(
        "drop = nn.Dropout(0.5)\nacts = torch.randn(4, 6)\nout = drop(acts)\n"
        "other = nn.Linear(6, 6)\n"
    )
    # two root modules and two candidate inputs, but the setup called only drop(acts)
    result = run_instruments(ns, {"trace": "auto", "modes": "auto"})
    assert (result["trace"]["model"], result["trace"]["input"]) == ("drop", "acts")
    assert result["modes"]["input"] == "acts"
    assert result["unresolved"] == []


def test_recording_keeps_only_top_level_calls_and_always_unhooks() -> None:
    ns = run_setup("net = nn.Sequential(nn.Linear(3, 3), nn.Tanh())\nz = net(torch.ones(2, 3))\n")
    calls = ns[RECORDING_KEY]
    assert [type(module).__name__ for module, _, _ in calls] == ["Sequential"]

    with pytest.raises(RuntimeError):
        run_setup("bad = nn.Linear(3, 3)\nbad(torch.ones(2, 4))\n")
    assert global_hooks() == 0


def test_a_recorded_input_is_a_copy_taken_at_call_time() -> None:
    ns = run_setup("m = nn.Linear(2, 2)\nx = torch.zeros(1, 2)\ny = m(x)\nx += 5\n")
    ((_, label, args),) = ns[RECORDING_KEY]
    assert label == "x"
    assert torch.equal(args[0], torch.zeros(1, 2))


def test_bad_requests_become_errors_never_exceptions() -> None:
    ns = namespace(model=nn.Linear(2, 2), x=torch.randn(1, 2), n=3)
    result = run_instruments(
        ns,
        {
            "trace": {"model": "n", "input": "x"},
            "graph": "undefined_name",
            "modes": {"model": "model"},
        },
    )
    assert "not an nn.Module" in result["trace"]["error"]
    assert "NameError" in result["graph"]["error"]
    assert "expected {model: NAME, input: NAME}" in result["modes"]["error"]
    assert run_instruments(ns, "trace")["notes"]  # type: ignore[arg-type]


def test_what_the_reruns_print_is_not_output(capsys: pytest.CaptureFixture[str]) -> None:
    class Loud(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.drop = nn.Dropout(0.5)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            print("forward!")
            return self.drop(x)

    ns = namespace(model=Loud(), x=torch.ones(2, 2))
    result = run_instruments(ns, {"trace": "auto", "modes": "auto"})
    assert result["trace"]["error"] is None and len(result["modes"]["runs"]) == 5
    assert capsys.readouterr().out == ""


def test_unsupported_models_say_so() -> None:
    scripted = torch.jit.script(nn.Linear(3, 3))
    ns = namespace(m=scripted, x=torch.randn(2, 3))
    result = run_instruments(ns, {"trace": {"model": "m", "input": "x"}})
    assert "TorchScript" in result["trace"]["error"]

    meta = namespace(m=nn.Dropout(0.5), x=torch.empty(2, 3, device="meta"))
    modes = run_instruments(meta, {"modes": "auto"})["modes"]
    assert all(run["error"] is None for run in modes["runs"])
    assert modes["runs"][0]["diff"]["eval"] is None  # meta tensors hold no values


# ------------------------------------------------------------------------ whole round trip


def test_result_is_json_and_parses_into_an_explanation() -> None:
    torch.manual_seed(0)
    model, x = Net(), torch.randn(5, 4)
    loss = model(x).pow(2).mean()
    loss.backward()
    ns = namespace(model=model, x=x, loss=loss)
    spec = {"trace": "auto", "graph": "auto", "modes": "auto", "answer_expr": "loss"}
    explanation = Explanation.from_json(as_json(run_instruments(ns, spec)))

    assert isinstance(explanation.trace, TraceResult)
    assert isinstance(explanation.graph, GraphResult)
    assert isinstance(explanation.modes, ModesResult)
    assert explanation.notes == ()
    names = {name for node in explanation.graph.leaves if node.leaf for name in node.leaf.names}
    assert names == {f"model.{name}" for name, _ in model.named_parameters()}


# --------------------------------------------------------------- through the real runner


@pytest.mark.slow
def test_the_runner_child_returns_instruments_that_parse(runner: Any) -> None:
    from quizapp.runner.protocol import RunRequest, Step

    setup = """
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
x = torch.randn(3, 4)
loss = model(x).sum()
loss.backward()
"""
    spec = {"trace": "auto", "graph": "auto", "modes": "auto", "answer_expr": "loss"}
    request = RunRequest(steps=(Step(setup, "setup"),), evaluate="loss", instruments=spec)
    result = runner.run(request)
    assert result.ok, result.describe()
    explanation = Explanation.from_json(result.instruments)
    assert isinstance(explanation.trace, TraceResult)
    assert [r.type for r in explanation.trace.rows] == [
        "Sequential",
        "Linear",
        "ReLU",
        "Dropout",
        "Linear",
    ]
    assert isinstance(explanation.graph, GraphResult) and explanation.graph.tensor == "loss"
    assert isinstance(explanation.modes, ModesResult)
    assert explanation.modes.differ("train", "eval") is True


@pytest.mark.slow
def test_explain_variant_and_snippet_through_the_runner(runner: Any) -> None:
    from quizapp.bank import draw_variant
    from quizapp.bank.models import Question
    from quizapp.explain import explain_snippet, explain_variant

    q = Question(
        id="t.bn",
        kind="shape",
        topic="t",
        prompt="?",
        params={"n": [6]},
        setup="model = nn.Sequential(nn.Linear(n, 4), nn.BatchNorm1d(4))\n"
        "y = model(torch.randn(5, n))",
        answer="y.shape",
    )
    explanation = explain_variant(runner, draw_variant(q, 3))
    assert explanation is not None and explanation.run_error is None
    assert isinstance(explanation.trace, TraceResult)
    assert explanation.trace.input == "tensor(5, 6)"  # replayed from the setup's own call
    assert explanation.trace.rows[1].input_shapes == ((5, 6),)
    assert isinstance(explanation.modes, ModesResult)
    assert isinstance(explanation.graph, GraphResult) and explanation.graph.tensor == "y"

    broken = explain_snippet(
        runner, "m = nn.Linear(3, 2)\nx = torch.randn(4, 5)\nprint('hi')\nm(x)\n"
    )
    assert broken.run_error is not None and "RuntimeError" in broken.run_error
    assert broken.stdout == "hi\n"
    assert isinstance(broken.trace, TraceResult) and broken.trace.error is not None
    assert broken.trace.error.input_shapes == ((4, 5),)
