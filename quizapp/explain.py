"""Explain-by-running, parent side: typed results and rich renderables. No torch here.

The sandboxed child runs quizapp.runner.instruments and returns plain data in
`RunResult.instruments`; `Explanation.from_json` turns that into the dataclasses below, and
`render_trace` / `render_graph` / `render_modes` / `render_explanation` turn those into rich
renderables (for `quizapp show ID --trace/--graph/--modes` and the TUI's "Why?" panel).
Parsing never raises: a malformed section becomes an `InstrumentFailure`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from rich import box
from rich.console import Group, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from quizapp.bank.models import Question
from quizapp.runner.protocol import CodeRunner, RunRequest, RunResult, RunStatus, Step

Shape = tuple[int, ...]
_T = TypeVar("_T")
MAX_TREE_DEPTH = 40  # deeper chains (long RNN unrolls) are cut with a note
SNIPPET_STEP = "snippet"
# Shown as ≈0: float32 round-off (a BatchNorm output's mean, the gradient of a bias that a
# BatchNorm cancels) rather than a value worth reading.
TINY = 1e-6

# ------------------------------------------------------------------------------ dataclasses


@dataclass(frozen=True)
class InstrumentFailure:
    """An instrument that ran but could not explain (bad name, a model that cannot run...)."""

    section: str
    message: str


@dataclass(frozen=True)
class TensorData:
    shape: Shape
    dtype: str
    values: Any = None  # nested lists when the tensor is small
    summary: Mapping[str, float] | None = None  # mean/std/min/max/norm when it is big

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TensorData:
        summary = data.get("summary")
        return cls(
            shape=_shape(data.get("shape")),
            dtype=str(data.get("dtype", "")),
            values=data.get("values"),
            summary={str(k): float(v) for k, v in summary.items()} if summary else None,
        )


@dataclass(frozen=True)
class TraceRow:
    index: int
    name: str  # qualified module name; "" for the root
    type: str
    call: int  # 0 for a module's first call, 1 for its second (shared modules)...
    depth: int
    input_shapes: tuple[Shape, ...]
    output_shapes: tuple[Shape, ...]
    params: int  # the module's own parameters (not its children's)
    params_total: int
    mean: float | None = None
    std: float | None = None
    zeros: float | None = None  # fraction of exact zeros in the output
    dtype: str | None = None
    dead: tuple[int, int] | None = None  # (units zero for the whole batch, units) on dim 1
    status: str = "ok"  # ok | error (raised here) | raised (a child raised) | caught | running
    error: str | None = None
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceRow:
        return cls(
            index=int(data["index"]),
            name=str(data["name"]),
            type=str(data["type"]),
            call=int(data.get("call", 0)),
            depth=int(data.get("depth", 0)),
            input_shapes=_shapes(data.get("input_shapes")),
            output_shapes=_shapes(data.get("output_shapes")),
            params=int(data.get("params", 0)),
            params_total=int(data.get("params_total", 0)),
            mean=_float(data.get("mean")),
            std=_float(data.get("std")),
            zeros=_float(data.get("zeros")),
            dtype=data.get("dtype"),
            dead=_pair(data.get("dead")),
            status=str(data.get("status", "ok")),
            error=data.get("error"),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
        )


@dataclass(frozen=True)
class TraceFailure:
    """Where a traced forward raised: the innermost module running and what it was given."""

    message: str
    type: str
    module: str | None
    module_type: str | None
    call: int | None
    input_shapes: tuple[Shape, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceFailure:
        call = data.get("call")
        return cls(
            message=str(data.get("message", "")),
            type=str(data.get("type", "")),
            module=data.get("module"),
            module_type=data.get("module_type"),
            call=int(call) if call is not None else None,
            input_shapes=_shapes(data.get("input_shapes")),
        )


@dataclass(frozen=True)
class TraceResult:
    model: str
    input: str
    training: bool
    rows: tuple[TraceRow, ...]
    error: TraceFailure | None = None
    output_shapes: tuple[Shape, ...] = ()
    params_total: int = 0
    dropped: int = 0  # calls past the row cap

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceResult:
        error = data.get("error")
        return cls(
            model=str(data.get("model", "")),
            input=str(data.get("input", "")),
            training=bool(data.get("training", False)),
            rows=tuple(TraceRow.from_json(r) for r in data.get("rows") or ()),
            error=TraceFailure.from_json(error) if error else None,
            output_shapes=_shapes(data.get("output_shapes")),
            params_total=int(data.get("params_total", 0)),
            dropped=int(data.get("dropped", 0)),
        )

    def row(self, name: str, call: int = 0) -> TraceRow | None:
        return next((r for r in self.rows if r.name == name and r.call == call), None)


@dataclass(frozen=True)
class GraphLeaf:
    names: tuple[str, ...]  # namespace names of the leaf tensor (model.fc.weight for params)
    shape: Shape
    dtype: str
    requires_grad: bool
    grad: TensorData | None  # set once backward() has run

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GraphLeaf:
        grad = data.get("grad")
        return cls(
            names=tuple(str(n) for n in data.get("names") or ()),
            shape=_shape(data.get("shape")),
            dtype=str(data.get("dtype", "")),
            requires_grad=bool(data.get("requires_grad", False)),
            grad=TensorData.from_json(grad) if grad else None,
        )


@dataclass(frozen=True)
class GraphNode:
    id: int
    name: str  # the grad_fn class: MulBackward0, AccumulateGrad...
    tensors: tuple[str, ...] = ()  # namespace tensors this node produced
    grads: Mapping[str, TensorData] = field(default_factory=dict)  # theirs, if retained
    leaf: GraphLeaf | None = None  # AccumulateGrad nodes: the leaf they feed
    saved: tuple[tuple[str, Shape], ...] = ()  # tensors the node saved for backward

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GraphNode:
        leaf = data.get("leaf")
        return cls(
            id=int(data["id"]),
            name=str(data["name"]),
            tensors=tuple(str(t) for t in data.get("tensors") or ()),
            grads={str(k): TensorData.from_json(v) for k, v in (data.get("grads") or {}).items()},
            leaf=GraphLeaf.from_json(leaf) if leaf else None,
            saved=tuple((str(s["name"]), _shape(s.get("shape"))) for s in data.get("saved") or ()),
        )


@dataclass(frozen=True)
class GraphResult:
    tensor: str  # the name or expression asked about
    shape: Shape
    dtype: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    message: str | None = None  # why there is no graph, when there is none
    grad: TensorData | None = None  # the tensor's own .grad (leaves)
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[tuple[int, int], ...] = ()  # (from, to): gradients flow from -> to
    truncated: bool = False
    freed: bool = False  # backward() has freed the saved tensors

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GraphResult:
        grad = data.get("grad")
        return cls(
            tensor=str(data.get("tensor", "")),
            shape=_shape(data.get("shape")),
            dtype=str(data.get("dtype", "")),
            requires_grad=bool(data.get("requires_grad", False)),
            is_leaf=bool(data.get("is_leaf", False)),
            grad_fn=data.get("grad_fn"),
            message=data.get("message"),
            grad=TensorData.from_json(grad) if grad else None,
            nodes=tuple(GraphNode.from_json(n) for n in data.get("nodes") or ()),
            edges=tuple((int(e["src"]), int(e["dst"])) for e in data.get("edges") or ()),
            truncated=bool(data.get("truncated", False)),
            freed=bool(data.get("freed", False)),
        )

    @property
    def has_graph(self) -> bool:
        return bool(self.nodes)

    @property
    def leaves(self) -> tuple[GraphNode, ...]:
        return tuple(n for n in self.nodes if n.leaf is not None)

    def children(self, node_id: int) -> list[int]:
        return [dst for src, dst in self.edges if src == node_id]


@dataclass(frozen=True)
class NormChange:
    """What one forward did to one BatchNorm-style module's running statistics."""

    module: str
    type: str
    num_batches_before: int | None
    num_batches_after: int | None
    mean_change: float
    var_change: float
    changed: bool
    momentum: float | None = None
    mean_before: TensorData | None = None
    mean_after: TensorData | None = None
    var_before: TensorData | None = None
    var_after: TensorData | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NormChange:
        def tensor(key: str) -> TensorData | None:
            value = data.get(key)
            return TensorData.from_json(value) if value else None

        return cls(
            module=str(data["module"]),
            type=str(data.get("type", "")),
            num_batches_before=_int(data.get("num_batches_before")),
            num_batches_after=_int(data.get("num_batches_after")),
            mean_change=float(data.get("mean_change", 0.0)),
            var_change=float(data.get("var_change", 0.0)),
            changed=bool(data.get("changed", False)),
            momentum=_float(data.get("momentum")),
            mean_before=tensor("mean_before"),
            mean_after=tensor("mean_after"),
            var_before=tensor("var_before"),
            var_after=tensor("var_after"),
        )


@dataclass(frozen=True)
class ModeRun:
    mode: str  # "train", "train + no_grad", "eval", "eval + no_grad", "eval + inference_mode"
    training: bool
    grad_mode: str  # grad | no_grad | inference_mode
    output_shapes: tuple[Shape, ...]
    requires_grad: bool | None
    grad_fn: str | None
    is_inference: bool | None
    diff: Mapping[str, float | None]  # max |output difference| to each other mode
    norm_stats: tuple[NormChange, ...] = ()
    error: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModeRun:
        return cls(
            mode=str(data["mode"]),
            training=bool(data.get("training", False)),
            grad_mode=str(data.get("grad_mode", "")),
            output_shapes=_shapes(data.get("output_shapes")),
            requires_grad=data.get("requires_grad"),
            grad_fn=data.get("grad_fn"),
            is_inference=data.get("is_inference"),
            diff={str(k): _float(v) for k, v in (data.get("diff") or {}).items()},
            norm_stats=tuple(NormChange.from_json(c) for c in data.get("norm_stats") or ()),
            error=data.get("error"),
        )

    @property
    def built_graph(self) -> bool:
        return bool(self.requires_grad)


@dataclass(frozen=True)
class ModesResult:
    model: str
    input: str
    seed: int
    training: bool  # the mode the user's model was left in
    runs: tuple[ModeRun, ...]
    dropout: tuple[tuple[str, str, float], ...] = ()  # (module, type, p)
    norm_modules: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModesResult:
        return cls(
            model=str(data.get("model", "")),
            input=str(data.get("input", "")),
            seed=int(data.get("seed", 0)),
            training=bool(data.get("training", False)),
            runs=tuple(ModeRun.from_json(r) for r in data.get("runs") or ()),
            dropout=tuple(
                (str(d["module"]), str(d.get("type", "")), float(d.get("p", 0.0)))
                for d in data.get("dropout") or ()
            ),
            norm_modules=tuple(str(n) for n in data.get("norm_modules") or ()),
        )

    def run(self, mode: str) -> ModeRun | None:
        return next((r for r in self.runs if r.mode == mode), None)

    def differ(self, a: str, b: str, atol: float = 0.0) -> bool | None:
        """Whether modes a and b gave different outputs (None when not comparable)."""
        run = self.run(a)
        value = run.diff.get(b) if run else None
        return None if value is None else value > atol


@dataclass(frozen=True)
class Explanation:
    trace: TraceResult | InstrumentFailure | None = None
    graph: GraphResult | InstrumentFailure | None = None
    modes: ModesResult | InstrumentFailure | None = None
    notes: tuple[str, ...] = field(default=())  # facts worth telling the user
    # "auto" requests the namespace left ambiguous, and how to name them: for question authors
    unresolved: tuple[str, ...] = ()
    run_error: str | None = None  # the code itself failed (described); sections may still exist
    stdout: str = ""  # what a scratchpad snippet printed (empty for questions)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Explanation:
        """From `RunResult.instruments`; None (nothing was asked) gives an empty Explanation."""
        if not isinstance(data, Mapping):
            return cls()
        notes = data.get("notes") or ()
        notes = [str(n) for n in notes] if isinstance(notes, list) else []
        if data.get("error"):  # the runner could not run the instruments at all
            notes.insert(0, str(data["error"]))
        return cls(
            trace=_section(data, "trace", TraceResult.from_json),
            graph=_section(data, "graph", GraphResult.from_json),
            modes=_section(data, "modes", ModesResult.from_json),
            notes=tuple(notes),
            unresolved=_strings(data.get("unresolved")),
        )

    @property
    def empty(self) -> bool:
        """Nothing to show: no section, no note, no failure, no output."""
        return (
            self.trace is None
            and self.graph is None
            and self.modes is None
            and not self.notes
            and self.run_error is None
            and not self.stdout
        )


def _section(
    data: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any]], _T]
) -> _T | InstrumentFailure | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return InstrumentFailure(key, f"malformed {key} data (a {type(value).__name__})")
    if set(value) == {"error"}:
        return InstrumentFailure(key, str(value["error"]))
    try:
        return parse(value)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return InstrumentFailure(key, f"malformed {key} data ({type(exc).__name__}: {exc})")


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _pair(value: Any) -> tuple[int, int] | None:
    return None if value is None else (int(value[0]), int(value[1]))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _shape(value: Any) -> Shape:
    return tuple(int(d) for d in value or ())


def _shapes(value: Any) -> tuple[Shape, ...]:
    return tuple(_shape(s) for s in value or ())


# ------------------------------------------------------------------------------- formatting


def format_shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def format_shapes(shapes: Iterable[Sequence[int]]) -> str:
    text = ", ".join(format_shape(s) for s in shapes)
    return text or "—"


def format_number(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) < TINY:
        return "≈0"
    return f"{value:.3g}"


def format_values(values: Any, limit: int = 8) -> str:
    """Nested lists of numbers, compactly: [[0.5, -1], [2, 0]]; long rows end in '…'."""
    if isinstance(values, list):
        shown = [format_values(v, limit) for v in values[:limit]]
        return "[" + ", ".join(shown) + (", …" if len(values) > limit else "") + "]"
    if isinstance(values, bool):
        return str(values)
    if isinstance(values, (int, float)):
        return format_number(float(values))
    return str(values)


def format_tensor(data: TensorData) -> str:
    if data.values is not None:
        return format_values(data.values)
    if data.summary:
        keys = ("mean", "std", "min", "max", "norm")
        return " ".join(f"{k} {format_number(data.summary[k])}" for k in keys if k in data.summary)
    return f"{format_shape(data.shape)} {data.dtype}"


def _failure(item: InstrumentFailure) -> Text:
    return Text(f"{item.section}: {item.message}", style="red")


def _absent(what: str) -> Text:
    return Text(f"No {what} for this question.", style="dim")


# ----------------------------------------------------------------------------------- trace


def render_trace(trace: TraceResult | InstrumentFailure | None) -> RenderableType:
    """A table of every module call in order, indented by nesting; a failure is shown below."""
    if trace is None:
        return _absent("forward trace")
    if isinstance(trace, InstrumentFailure):
        return _failure(trace)
    mode = "train" if trace.training else "eval"
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        title=Text(f"{trace.model}({trace.input}) in {mode} mode"),
        caption=Text(
            f"{trace.params_total:,} parameters; output {format_shapes(trace.output_shapes)}"
            + (f"; {trace.dropped} more calls not shown" if trace.dropped else "")
        ),
        expand=False,
    )
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("module", "left"),
        ("type", "left"),
        ("input", "left"),
        ("output", "left"),
        ("params", "right"),
        ("mean", "right"),
        ("std", "right"),
        ("zeros", "right"),
    )
    for header, justify in columns:
        table.add_column(header, justify=justify)
    for row in trace.rows:
        name = row.name or trace.model
        if row.call:
            name += f" (call {row.call + 1})"
        style = {"error": "bold red", "raised": "red", "caught": "yellow"}.get(row.status, "")
        table.add_row(
            Text("  " * row.depth + name),
            Text(row.type),
            format_shapes(row.input_shapes),
            _output_cell(row),
            _params_cell(row),
            format_number(row.mean),
            format_number(row.std),
            _zeros_cell(row),
            style=style,
        )
    if trace.error is None:
        return table
    return Group(table, _trace_error(trace))


def _output_cell(row: TraceRow) -> str:
    if row.status in ("error", "raised"):
        return "✗ raised"
    if row.status == "caught":
        return "✗ raised (caught)"
    return format_shapes(row.output_shapes)


def _zeros_cell(row: TraceRow) -> Text:
    text = Text(format_percent(row.zeros), style="yellow" if (row.zeros or 0) >= 0.5 else "")
    if row.dead and row.dead[0]:
        text.append(f" {row.dead[0]}/{row.dead[1]} dead", style="bold yellow")
    return text


def format_percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _params_cell(row: TraceRow) -> Text:
    if row.params_total == 0:
        return Text("")
    if row.params == row.params_total:
        return Text(f"{row.params:,}")
    text = Text(f"{row.params:,}" if row.params else "")
    text.append(f" Σ{row.params_total:,}", style="dim")
    return text


def _trace_error(trace: TraceResult) -> Text:
    error = trace.error
    assert error is not None
    text = Text("✗ ", style="bold red")
    if error.module is None:  # it failed outside every module's forward
        text.append(f"{trace.model}({trace.input}) failed: ", style="bold red")
        text.append(error.message)
        return text
    where = trace.model if not error.module else f"{trace.model}.{error.module}"
    call = f", call {error.call + 1}" if error.call else ""
    text.append(f"{where} ({error.module_type}{call}) raised: ", style="bold red")
    text.append(error.message)
    text.append(f"\n  its input: {format_shapes(error.input_shapes)}", style="red")
    return text


# ----------------------------------------------------------------------------------- graph


def render_graph(graph: GraphResult | InstrumentFailure | None) -> RenderableType:
    """The autograd graph as a tree from the tensor's grad_fn down to the leaves."""
    if graph is None:
        return _absent("autograd graph")
    if isinstance(graph, InstrumentFailure):
        return _failure(graph)
    head = Text(graph.tensor, style="bold")
    head.append(f"  {format_shape(graph.shape)} {graph.dtype}")
    head.append(f"  requires_grad={graph.requires_grad}")
    head.append(f"  grad_fn={graph.grad_fn}", style="cyan" if graph.grad_fn else "dim")
    tree = Tree(head)
    if graph.grad is not None:
        tree.add(Text(f"{graph.tensor}.grad = {format_tensor(graph.grad)}", style="green"))
    if not graph.has_graph:
        tree.add(Text(graph.message or "no graph", style="yellow"))
        return tree
    nodes = {n.id: n for n in graph.nodes}
    shown: set[int] = set()
    _add_node(tree, nodes, graph, 0, shown=shown, depth=0)
    if graph.truncated:
        tree.add(Text(f"… graph cut at {len(graph.nodes)} nodes", style="dim"))
    if graph.freed:
        tree.add(
            Text(
                "backward() (or autograd.grad) has run and freed the saved tensors: going "
                "through this graph again needs retain_graph=True the first time",
                style="dim",
            )
        )
    return tree


def _add_node(
    parent: Tree,
    nodes: Mapping[int, GraphNode],
    graph: GraphResult,
    node_id: int,
    *,
    shown: set[int],
    depth: int,
) -> None:
    node = nodes.get(node_id)
    if node is None:
        return
    if node_id in shown:  # a DAG: a node reached twice is drawn once
        parent.add(Text(f"#{node.id} {node.name} (shared; shown above)", style="dim"))
        return
    shown.add(node_id)
    branch = parent.add(_node_label(node))
    if depth >= MAX_TREE_DEPTH:
        if graph.children(node_id):
            branch.add(Text("… deeper nodes not shown", style="dim"))
        return
    for child in graph.children(node_id):
        _add_node(branch, nodes, graph, child, shown=shown, depth=depth + 1)


def _node_label(node: GraphNode) -> Text:
    label = Text(f"#{node.id} ", style="dim")
    if node.leaf is not None:
        leaf = node.leaf
        label.append("AccumulateGrad → ", style="green")
        label.append(", ".join(leaf.names) or "(unnamed leaf)", style="bold green")
        label.append(f"  {format_shape(leaf.shape)}")
        if leaf.grad is not None:
            label.append(f"  .grad = {format_tensor(leaf.grad)}")
        else:
            label.append("  .grad = None", style="dim")
        return label
    label.append(node.name, style="cyan")
    if node.tensors:
        label.append(f"  → {', '.join(node.tensors)}", style="bold")
    for name, grad in node.grads.items():
        label.append(f"  {name}.grad = {format_tensor(grad)}", style="green")
    if node.saved:
        saved = ", ".join(f"{name} {format_shape(shape)}" for name, shape in node.saved)
        label.append(f"  saves {saved}", style="dim")
    return label


# ----------------------------------------------------------------------------------- modes


def render_modes(modes: ModesResult | InstrumentFailure | None) -> RenderableType:
    """One row per mode: the output, whether a graph was built, output differences, and
    whether the running statistics moved; then what moved, module by module."""
    if modes is None:
        return _absent("train/eval comparison")
    if isinstance(modes, InstrumentFailure):
        return _failure(modes)
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        title=Text(f"{modes.model}({modes.input}) by mode, seed {modes.seed}"),
    )
    table.add_column("mode", no_wrap=True)
    table.add_column("output")
    table.add_column("grad_fn", min_width=12)
    table.add_column("Δ train", justify="right")
    table.add_column("Δ eval", justify="right")
    if modes.norm_modules:
        table.add_column("norm stats")  # BatchNorm running statistics: updated or unchanged
    for run in modes.runs:
        if run.error:
            table.add_row(Text(run.mode), Text(run.error, style="red"))
            continue
        graph = Text(run.grad_fn or "none", style="cyan" if run.grad_fn else "dim")
        if run.is_inference:
            graph.append(" (inference)", style="dim")
        cells: list[RenderableType] = [
            Text(run.mode),
            format_shapes(run.output_shapes),
            graph,
            _diff_cell(run, "train"),
            _diff_cell(run, "eval"),
        ]
        if modes.norm_modules:
            cells.append(_norm_cell(run.norm_stats))
        table.add_row(*cells)
    parts: list[RenderableType] = [table]
    if modes.dropout:
        listed = ", ".join(
            f"{_qualified(modes.model, m)} ({t}, p={p:g})" for m, t, p in modes.dropout
        )
        parts.append(Text(f"Dropout: {listed}", style="dim"))
    parts.extend(_norm_details(modes))
    return Group(*parts)


def _diff_cell(run: ModeRun, other: str) -> Text:
    if run.mode == other:
        return Text("·", style="dim")
    value = run.diff.get(other)
    if value is None:
        return Text("—", style="dim")
    return Text(format_number(value), style="yellow" if value > 0 else "green")


def _qualified(model: str, module: str) -> str:
    return f"{model}.{module}" if module else model


def _norm_cell(changes: Sequence[NormChange]) -> Text:
    moved = sum(c.changed for c in changes)
    if not moved:
        return Text("unchanged", style="green")
    return Text(
        "updated" if moved == len(changes) else f"{moved}/{len(changes)} updated", style="yellow"
    )


def _norm_details(modes: ModesResult) -> list[Text]:
    """For each normalisation module, what the first mode that moved its statistics did."""
    lines: list[Text] = []
    for name in modes.norm_modules:
        change, mode = next(
            (
                (c, run.mode)
                for run in modes.runs
                for c in run.norm_stats
                if c.module == name and c.changed
            ),
            (None, None),
        )
        label = _qualified(modes.model, name)
        if change is None:
            lines.append(Text(f"{label}: running statistics never changed", style="dim"))
            continue
        lines.append(
            Text(
                f"{label} ({change.type}) in {mode}: num_batches_tracked "
                f"{change.num_batches_before}→{change.num_batches_after}, running_mean moved "
                f"up to {format_number(change.mean_change)}, running_var up to "
                f"{format_number(change.var_change)}",
                style="dim",
            )
        )
    return lines


# ----------------------------------------------------------------------------------- whole


def render_explanation(explanation: Explanation, *, authoring: bool = False) -> RenderableType:
    """The run's failure and output, every section there is, then the notes (the TUI's "Why?"
    panel). `authoring` adds what "auto" could not resolve, for question authors."""
    parts: list[RenderableType] = []
    if explanation.run_error is not None:
        parts.append(Text(explanation.run_error, style="red"))
    if explanation.stdout:
        parts.append(Text(explanation.stdout.rstrip("\n")))
    if explanation.trace is not None:
        parts.append(render_trace(explanation.trace))
    if explanation.graph is not None:
        parts.append(render_graph(explanation.graph))
    if explanation.modes is not None:
        parts.append(render_modes(explanation.modes))
    parts.extend(Text(note, style="dim italic") for note in explanation.notes)
    if authoring:
        parts.extend(Text(note, style="yellow") for note in explanation.unresolved)
    if not parts:
        return _absent("explanation")
    return Group(*parts)


# ------------------------------------------------------------------------- running for them


class VariantLike(Protocol):
    """What explaining needs of quizapp.bank.Variant."""

    @property
    def question(self) -> Question: ...
    @property
    def seed(self) -> int: ...
    @property
    def params(self) -> Mapping[str, Any]: ...


def instrument_spec(question: Question) -> dict[str, Any]:
    """The instruments request for a question: its `trace`/`graph`/`modes` fields, "auto" for
    each one it leaves out (see docs/explain.md)."""
    trace = question.trace
    modes = question.modes
    return {
        "trace": {"model": trace.model, "input": trace.input} if trace else "auto",
        "graph": question.graph or "auto",
        "modes": {"model": modes.model, "input": modes.input} if modes else "auto",
        "answer_expr": question.answer,
    }


def explicit_instrument_problems(question: Question, explanation: Explanation) -> list[str]:
    """What is wrong with the instruments a question names (for `quizapp validate`): a name
    that does not evaluate, a model that is not a module, a graph asked of a non-tensor.
    A traced forward that raises is not a problem: showing where it fails can be the point."""
    problems = []
    named = {"trace": question.trace, "graph": question.graph, "modes": question.modes}
    for key, spec in named.items():
        if spec is None:
            continue
        section = getattr(explanation, key)
        if isinstance(section, InstrumentFailure):
            problems.append(f"`{key}`: {section.message}")
        elif section is None:
            problems.append(f"`{key}`: the run ended before it could be explained")
    return problems


def instrument_timeout(question_timeout: float) -> float:
    """Instruments rerun the model's forward about six times (trace, five modes)."""
    return min(60.0, 4 * question_timeout + 1.0)


def explain_variant(runner: CodeRunner, variant: VariantLike) -> Explanation | None:
    """BLOCKING: reruns a question variant's setup (and, for code questions, its solution) in
    the sandbox with the instruments attached. None when the question runs no code."""
    from quizapp.grading.pipeline import explain_request

    q = variant.question
    request = explain_request(variant, instrument_spec(q), instrument_timeout(q.timeout))
    if request is None:
        return None
    return explanation_of(runner.run(request))


def explain_snippet(
    runner: CodeRunner,
    code: str,
    *,
    timeout: float = 5.0,
    cancel: threading.Event | None = None,
) -> Explanation:
    """BLOCKING: runs a user's snippet in the sandbox and explains whatever it built (all
    instruments on "auto"); a snippet that raises still shows what it built before. Setting
    `cancel` kills the run (the scratchpad's Esc)."""
    request = RunRequest(
        steps=(Step(code=code, label=SNIPPET_STEP),),
        timeout=timeout,
        instruments={"trace": "auto", "graph": "auto", "modes": "auto", "answer_expr": None},
    )
    result = runner.run(request) if cancel is None else runner.run(request, cancel=cancel)
    return explanation_of(result, with_stdout=True)


def explanation_of(result: RunResult, *, with_stdout: bool = False) -> Explanation:
    """The Explanation in a run's result, with the run's own failure (if any) described."""
    explanation = Explanation.from_json(result.instruments)
    run_error = None if result.status is RunStatus.OK else result.describe()
    stdout = result.stdout if with_stdout else ""
    if with_stdout and result.stdout_truncated:
        stdout += "\n… (output cut)"
    return Explanation(
        trace=explanation.trace,
        graph=explanation.graph,
        modes=explanation.modes,
        notes=explanation.notes,
        unresolved=explanation.unresolved,
        run_error=run_error,
        stdout=stdout,
    )
