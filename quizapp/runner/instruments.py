"""Explain-by-running: look inside a question's model and tensors, in the sandboxed child.

`run_instruments(namespace, spec)` runs after a question's steps, in the same namespace, and
returns plain JSON-able data (the parent turns it into tables and trees, see quizapp.explain):

- trace: every module call of one forward pass (hooks on every submodule and the root), with
  input/output shapes, parameter counts and output statistics; a forward that raises shows the
  module that raised and the shapes it got.
- graph: the autograd graph behind a tensor (grad_fn and next_functions), its leaves mapped back
  to the namespace's names, and their .grad once backward() has run.
- modes: the same forward under train/eval and no_grad/inference_mode, with output differences
  and what each did to the BatchNorm running statistics.

"auto" requests are resolved from the namespace (docs/explain.md); `record_calls`, wrapped
around the steps by the child, remembers what each model was called with so that an unnamed
input (`model(torch.randn(5, 4))`) can be replayed. An ambiguous auto goes to "unresolved" (for
question authors); an auto with nothing to explain is simply null.

The user's objects are never changed: forwards run on deep copies (or, where a model cannot be
copied, on the model with its state saved and restored), hooks are always removed, inputs are
copied, the global RNG state is restored, and what the reruns print is discarded. Nothing here
raises: a failure becomes `{"error": ...}` or a note.
"""

from __future__ import annotations

import copy
import io
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import (
    AbstractContextManager,
    contextmanager,
    nullcontext,
    redirect_stderr,
    redirect_stdout,
)
from itertools import islice
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.dropout import _DropoutNd
from torch.nn.modules.loss import _Loss

from quizapp.runner import instrument_wire as wire

MAX_TRACE_ROWS = 300
MAX_GRAPH_NODES = 200
MAX_REACH_NODES = 2000  # when comparing graphs to find the top one
SMALL_TENSOR = 16  # tensors up to this many elements are shown in full
MAX_MESSAGE = 2000
MAX_SHAPES = 16  # tensors listed per call's inputs/outputs

# Names the runner puts in every namespace; never the subject of an explanation.
RESERVED_NAMES = frozenset({"torch", "nn", "F", "device", "seed", "__builtins__"})

# (label, train mode, grad mode); run in this order, each on a fresh copy, same seed.
# (label, train mode, grad mode), from the wire format the parent reads them with.
MODES: tuple[tuple[str, bool, str], ...] = tuple(
    (m.label, m.train, m.grad.value) for m in wire.MODES
)

Json = dict[str, Any]


def run_instruments(namespace: dict[str, Any], spec: dict[str, Any]) -> Json:
    """Run the requested instruments (quizapp.runner.instrument_wire.InstrumentsRequest, as
    JSON); see the module docstring. Never raises: a malformed section is that section's
    error."""
    result: Json = wire.empty_result()
    notes: list[str] = result[wire.ResultKey.NOTES]
    if not isinstance(spec, dict):
        notes.append(f"instruments: expected a dict of requests, got {type(spec).__name__}")
        return result
    # The forwards rerun the user's code: what it prints is not part of the run's output.
    with redirect_stdout(_DISCARD), redirect_stderr(_DISCARD):
        for key, section in _SECTIONS.items():
            if spec.get(key.value) is None:
                continue
            try:
                request = wire.plain(wire.parse_section(key, spec.get(key.value)))
                result[key.value] = section(namespace, request, spec, notes)
            except _Unresolved as why:
                if not why.quiet:
                    result[wire.ResultKey.UNRESOLVED].append(str(why))
            except Exception as exc:  # the instruments explain; they must never fail the run
                result[key.value] = {"error": _describe_error(exc)}
    return result


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


_DISCARD = _Discard()


# ---------------------------------------------------------------------------------- recording

RECORDING_KEY = "__quizapp_module_calls__"
MAX_RECORDED_MODULES = 16
MAX_RECORDED_ELEMENTS = 10_000_000


@contextmanager
def record_calls(namespace: dict[str, Any]) -> Iterator[None]:
    """Wrap the question's steps in this when instruments are asked for: it remembers the first
    top-level call of each module (a copy of its arguments, and their namespace names), so an
    auto trace can replay `model(torch.randn(5, 4))` although that input has no name.

    Global forward hooks, removed on exit; the user's modules' own hooks are not touched.
    """
    calls: list[tuple[nn.Module, str, tuple[Any, ...]]] = []
    seen: set[int] = set()
    depth = 0

    def before(module: nn.Module, args: tuple[Any, ...]) -> None:
        nonlocal depth
        depth += 1
        if depth != 1 or id(module) in seen or len(calls) >= MAX_RECORDED_MODULES:
            return
        seen.add(id(module))
        tensors = list(_tensors_in(args))
        if sum(t.numel() for t in tensors) > MAX_RECORDED_ELEMENTS:
            return
        try:
            copied = tuple(_copy_tensor(a) if isinstance(a, torch.Tensor) else a for a in args)
        except Exception:  # an argument that cannot be copied: this call cannot be replayed
            return
        calls.append((module, _argument_label(namespace, args), copied))

    def after(module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        nonlocal depth
        depth = max(0, depth - 1)

    from torch.nn.modules.module import (
        register_module_forward_hook,
        register_module_forward_pre_hook,
    )

    namespace[RECORDING_KEY] = calls
    handles = [
        register_module_forward_pre_hook(before),
        register_module_forward_hook(after, always_call=True),
    ]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _argument_label(namespace: dict[str, Any], args: tuple[Any, ...]) -> str:
    """How to call the arguments: their namespace names, else their shapes."""
    parts = []
    for arg in args:
        name = next((k for k, v in _user_items(namespace) if v is arg), None)
        if name is not None:
            parts.append(name)
        elif isinstance(arg, torch.Tensor):
            parts.append("tensor(" + ", ".join(str(d) for d in arg.shape) + ")")
        else:
            parts.append(type(arg).__name__)
    return ", ".join(parts)


def _recorded_calls(namespace: dict[str, Any]) -> dict[int, tuple[str, tuple[Any, ...]]]:
    calls = namespace.get(RECORDING_KEY)
    if not isinstance(calls, list):
        return {}
    return {id(module): (label, args) for module, label, args in calls}


# ---------------------------------------------------------------------------------- resolving


class _Unresolved(Exception):
    """An "auto" request that the namespace does not answer: a note when the namespace is
    ambiguous, nothing at all (quiet) when it holds nothing to explain."""

    def __init__(self, message: str, *, quiet: bool = False) -> None:
        super().__init__(message)
        self.quiet = quiet


def _user_items(namespace: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (k, v) for k, v in namespace.items() if k not in RESERVED_NAMES and not k.startswith("_")
    ]


def _evaluate(expr: str, namespace: dict[str, Any], what: str) -> Any:
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(f"{what}: expected a name or expression, got {expr!r}")
    try:
        return eval(expr, namespace)
    except Exception as exc:
        raise ValueError(
            f"{what}: `{expr}` could not be evaluated: {_describe_error(exc)}"
        ) from exc


def root_modules(namespace: dict[str, Any]) -> list[tuple[str, nn.Module]]:
    """Namespace modules that are not part of another namespace module (losses left out)."""
    found: list[tuple[str, nn.Module]] = []
    seen: set[int] = set()
    for name, value in _user_items(namespace):
        if isinstance(value, nn.Module) and not isinstance(value, _Loss) and id(value) not in seen:
            seen.add(id(value))
            found.append((name, value))
    inner: set[int] = set()
    for _, module in found:
        inner.update(id(sub) for sub in module.modules() if sub is not module)
    return [(name, module) for name, module in found if id(module) not in inner]


def _input_candidates(namespace: dict[str, Any], model: nn.Module) -> list[tuple[str, Any]]:
    """Tensors that could be the model's input: no grad_fn, not the model's own state."""
    own = {id(t) for t in model.parameters()} | {id(t) for t in model.buffers()}
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for name, value in _user_items(namespace):
        if (
            isinstance(value, torch.Tensor)
            and not isinstance(value, nn.Parameter)
            and value.grad_fn is None
            and id(value) not in own
            and id(value) not in seen
        ):
            seen.add(id(value))
            found.append((name, value))
    return found


def _accepts(model: nn.Module, value: Any) -> bool:
    try:
        clone, restore = _scratch_copy(model)
        try:
            with torch.no_grad(), _rng_guard(value):
                clone(*_as_args(value))
        finally:
            restore()
    except Exception:
        return False
    return True


def _resolve_model_input(
    namespace: dict[str, Any], request: Any, what: str
) -> tuple[str, nn.Module, str, Any]:
    """(model label, model, input label, input value) from `{model, input}` or "auto"."""
    if request == "auto":
        roots = root_modules(namespace)
        recorded = _recorded_calls(namespace)
        called = [(name, m) for name, m in roots if id(m) in recorded]
        if len(roots) > 1 and len(called) == 1:
            roots = called  # only one of them was called in the setup
        if len(roots) != 1:
            listed = ", ".join(name for name, _ in roots) or "none"
            raise _Unresolved(
                f"{what}: auto needs exactly one model in the namespace (found: {listed}); "
                f"name them with `{what}: {{model: NAME, input: NAME}}`",
                quiet=not roots,
            )
        model_name, model = roots[0]
        if id(model) in recorded:  # what the setup called it with
            label, args = recorded[id(model)]
            return model_name, model, label, args
        candidates = _input_candidates(namespace, model)
        if len(candidates) > 1:
            candidates = [(n, v) for n, v in candidates if _accepts(model, v)]
        if len(candidates) != 1:
            listed = ", ".join(name for name, _ in candidates) or "none"
            raise _Unresolved(
                f"{what}: auto needs exactly one input tensor for `{model_name}` "
                f"(found: {listed}); name it with `{what}: {{model: {model_name}, input: NAME}}`",
                quiet=not candidates,  # never called, no tensor for it: nothing to replay
            )
        input_name, value = candidates[0]
        return model_name, model, input_name, value
    if not isinstance(request, dict) or set(request) != {"model", "input"}:
        raise ValueError(f"{what}: expected {{model: NAME, input: NAME}} or auto, got {request!r}")
    model = _evaluate(request["model"], namespace, what)
    if not isinstance(model, nn.Module):
        raise ValueError(
            f"{what}: `{request['model']}` is a {type(model).__name__}, not an nn.Module"
        )
    value = _evaluate(request["input"], namespace, what)
    return str(request["model"]), model, str(request["input"]), value


def _as_args(value: Any) -> tuple[Any, ...]:
    """An input is a tensor, or a tuple/list of positional arguments."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _fresh_inputs(value: Any) -> tuple[Any, ...]:
    """Copies of the input tensors, so an in-place op in the model cannot touch the user's."""
    return tuple(_copy_tensor(v) if isinstance(v, torch.Tensor) else v for v in _as_args(value))


def _copy_tensor(t: torch.Tensor) -> torch.Tensor:
    fresh = t.detach().clone()
    if t.requires_grad and t.is_leaf and (fresh.is_floating_point() or fresh.is_complex()):
        fresh.requires_grad_(True)
    return fresh


# ------------------------------------------------------------- not changing the user's model


def _scratch_copy(model: nn.Module) -> tuple[nn.Module, Callable[[], None]]:
    """A deep copy to run on, or (when the model cannot be copied) the model and a restorer."""
    try:
        return copy.deepcopy(model), _nothing
    except Exception:
        return model, _snapshot(model)


def _nothing() -> None:
    return None


def _snapshot(model: nn.Module) -> Callable[[], None]:
    modes = [(m, m.training) for m in model.modules()]
    tensors = [(t, t.detach().clone()) for t in (*model.parameters(), *model.buffers())]

    def restore() -> None:
        with torch.no_grad():
            for t, saved in tensors:
                t.copy_(saved)
        for m, training in modes:
            m.training = training

    return restore


@contextmanager
def _rng_guard(value: Any) -> Iterator[None]:
    """Restores the global RNG state (CPU, and the input's CUDA device) on exit.

    Not torch.random.fork_rng: that probes for an accelerator first, which a CPU run in a
    forked child has no reason to do."""
    cuda = next(
        (t.device for t in _as_args(value) if isinstance(t, torch.Tensor) and t.is_cuda), None
    )
    cpu_state = torch.get_rng_state()
    cuda_state = torch.cuda.get_rng_state(cuda) if cuda is not None else None
    try:
        yield
    finally:
        torch.set_rng_state(cpu_state)
        if cuda is not None and cuda_state is not None:
            torch.cuda.set_rng_state(cuda_state, cuda)


# ------------------------------------------------------------------------------ describing


def _describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _tensors_in(obj: Any, depth: int = 0) -> Iterator[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif depth < 4 and isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _tensors_in(item, depth + 1)
    elif depth < 4 and isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors_in(item, depth + 1)


def _shapes(obj: Any) -> list[list[int]]:
    return [[int(d) for d in t.shape] for t in islice(_tensors_in(obj), MAX_SHAPES)]


def _output_stats(obj: Any) -> Json:
    """mean/std/fraction of exact zeros of the first tensor in a module's output, and how many
    of its units (dim 1: features, channels) are zero for every sample of the batch: dead."""
    t = next(_tensors_in(obj), None)
    stats: Json = {"mean": None, "std": None, "zeros": None, "dtype": None, "dead": None}
    if t is None:
        return stats
    stats["dtype"] = str(t.dtype).removeprefix("torch.")
    if t.numel() == 0 or t.is_complex() or t.device.type == "meta":
        return stats
    try:
        with torch.no_grad():
            f = t.detach().float()
            stats["mean"] = float(f.mean().item())
            stats["std"] = float(f.std().item()) if f.numel() > 1 else None
            zero = f == 0
            stats["zeros"] = float(zero.float().mean().item())
            if f.dim() >= 2 and f.shape[0] > 1:  # one sample cannot tell dead from quiet
                per_unit = zero.transpose(0, 1).reshape(f.shape[1], -1).all(dim=1)
                stats["dead"] = [int(per_unit.sum().item()), int(f.shape[1])]
    except Exception:  # exotic tensors (quantized, sparse): the shapes are still worth showing
        pass
    return stats


def _summary(t: torch.Tensor) -> Json:
    f = t.detach().float()
    return {
        "mean": float(f.mean().item()),
        "std": float(f.std().item()) if f.numel() > 1 else 0.0,
        "min": float(f.min().item()),
        "max": float(f.max().item()),
        "norm": float(f.norm().item()),
    }


def _tensor_data(t: torch.Tensor) -> Json:
    """Shape and dtype, plus the values when small or a summary when big."""
    data: Json = {
        "shape": [int(d) for d in t.shape],
        "dtype": str(t.dtype).removeprefix("torch."),
        "values": None,
        "summary": None,
    }
    try:
        if t.numel() <= SMALL_TENSOR:
            data["values"] = t.detach().cpu().tolist()
        elif not t.is_complex():
            data["summary"] = _summary(t)
    except Exception:
        pass
    return data


# ----------------------------------------------------------------------------------- trace


def _trace_section(
    namespace: dict[str, Any], request: Any, spec: dict[str, Any], notes: list[str]
) -> Json | None:
    model_name, model, input_name, value = _resolve_model_input(namespace, request, "trace")
    if isinstance(model, torch.jit.ScriptModule):
        raise ValueError(
            f"trace: `{model_name}` is a TorchScript module, which takes no hooks; "
            "trace the module it was scripted from"
        )
    clone, restore = _scratch_copy(model)
    if restore is not _nothing:
        notes.append(f"trace: `{model_name}` could not be copied; it ran in place and was restored")
    try:
        with torch.no_grad(), _rng_guard(value):
            traced = trace_forward(clone, _fresh_inputs(value))
    finally:
        restore()
    return {"model": model_name, "input": input_name, "training": model.training, **traced}


def trace_forward(model: nn.Module, args: tuple[Any, ...], max_rows: int = MAX_TRACE_ROWS) -> Json:
    """Call `model(*args)` with hooks on every module; hooks are removed however it ends.

    Hooks the model it is given (callers pass a copy). Rows are in call order (a parent before
    its children); a module called twice has two rows (call 0, call 1). Forward hooks are
    "always called", so they also run when a forward raises: the first module to see an
    exception is where it was raised (status "error"), the modules it propagated through are
    "raised", and a module whose exception its caller caught is "caught".
    """
    names: dict[int, list[str]] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        names.setdefault(id(module), []).append(name)
    rows: list[Json] = []
    stack: list[tuple[nn.Module, Json]] = []
    calls: Counter[int] = Counter()
    totals: dict[int, int] = {}
    raised: list[tuple[Json, BaseException]] = []  # in the order the hooks saw them
    dropped = 0

    def before(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        nonlocal dropped
        if id(module) not in totals:
            totals[id(module)] = sum(p.numel() for p in module.parameters())
        aliases = names.get(id(module), ["?"])
        row: Json = {
            "index": len(rows),
            "name": aliases[0],
            "aliases": aliases[1:],
            "type": type(module).__name__,
            "call": calls[id(module)],
            "depth": len(stack),
            "input_shapes": _shapes((args, kwargs)),
            "output_shapes": [],
            "params": sum(p.numel() for p in module.parameters(recurse=False)),
            "params_total": totals[id(module)],
            "mean": None,
            "std": None,
            "zeros": None,
            "dtype": None,
            "dead": None,
            "status": "running",
            "error": None,
        }
        calls[id(module)] += 1
        if len(rows) < max_rows:
            rows.append(row)
        else:
            dropped += 1
        stack.append((module, row))

    def after(
        module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any
    ) -> None:
        while stack:
            entered, row = stack.pop()
            if entered is module:
                break
        else:
            return
        active = sys.exc_info()[1]
        # Torch calls an always-called hook from its `except` block with no output; a module
        # called normally from inside the user's own `except` block has an output.
        if output is None and active is not None:
            row["status"] = "raised"
            row["error"] = _describe_error(active)
            raised.append((row, active))
            return
        row["output_shapes"] = _shapes(output)
        row.update(_output_stats(output))
        row["status"] = "ok"

    handles = []
    failure: BaseException | None = None
    output: Any = None
    try:
        for module in {id(m): m for m in model.modules()}.values():
            handles.append(module.register_forward_pre_hook(before, with_kwargs=True))
            handles.append(module.register_forward_hook(after, with_kwargs=True, always_call=True))
        output = model(*args)
    except Exception as exc:
        failure = exc
    finally:
        for handle in handles:
            handle.remove()
    error = _classify_failures(raised, failure)
    return {
        "rows": rows,
        "dropped": dropped,
        "error": error,
        "output_shapes": _shapes(output) if failure is None else [],
        "params_total": sum(p.numel() for p in model.parameters()),
    }


def _classify_failures(
    raised: list[tuple[Json, BaseException]], failure: BaseException | None
) -> Json | None:
    """Mark rows error/raised/caught; describe where the forward failed (None if it did not)."""
    origin: Json | None = None
    for row, exc in raised:
        if exc is not failure:
            row["status"] = "caught"
        elif origin is None:
            origin = row
            row["status"] = "error"
    if failure is None:
        return None
    return {
        "message": _describe_error(failure),
        "type": type(failure).__name__,
        "module": origin["name"] if origin else None,
        "module_type": origin["type"] if origin else None,
        "call": origin["call"] if origin else None,
        "input_shapes": origin["input_shapes"] if origin else [],
    }


# ----------------------------------------------------------------------------------- graph


def _graph_section(
    namespace: dict[str, Any], request: Any, spec: dict[str, Any], notes: list[str]
) -> Json | None:
    if request == "auto":
        label, value = _auto_graph_target(namespace, spec.get("answer_expr"), notes)
    else:
        value = _evaluate(request, namespace, "graph")
        label = str(request)
    if not isinstance(value, torch.Tensor):
        raise ValueError(
            f"graph: `{label}` is a {type(value).__name__}, not a tensor, so it has no graph"
        )
    return graph_of(value, label, namespace)


def _auto_graph_target(
    namespace: dict[str, Any], answer_expr: Any, notes: list[str]
) -> tuple[str, torch.Tensor]:
    """The answer if it has a graph; else the one namespace tensor whose graph holds the others."""
    answer: Any = None
    if isinstance(answer_expr, str) and answer_expr.strip():
        try:
            answer = _evaluate(answer_expr, namespace, "graph")
        except ValueError:
            answer = None
        if isinstance(answer, torch.Tensor) and answer.grad_fn is not None:
            return answer_expr, answer
    with_graph: dict[Any, tuple[str, torch.Tensor]] = {}
    for name, value in _user_items(namespace):
        if isinstance(value, torch.Tensor) and value.grad_fn is not None:
            with_graph.setdefault(value.grad_fn, (name, value))
    inner: set[Any] = set()
    for fn in with_graph:
        inner.update(n for n in _reachable(fn) if n is not fn)
    tops = [target for fn, target in with_graph.items() if fn not in inner]
    if len(tops) == 1:
        if isinstance(answer, torch.Tensor):
            notes.append(f"graph: the answer `{answer_expr}` has no graph; showing `{tops[0][0]}`")
        return tops[0]
    autograd_in_play = any(
        isinstance(v, torch.Tensor) and v.requires_grad for _, v in _user_items(namespace)
    )
    if not tops and isinstance(answer, torch.Tensor) and autograd_in_play:
        return str(answer_expr), answer  # says why the answer has no graph
    listed = ", ".join(name for name, _ in tops) or "none"
    raise _Unresolved(
        f"graph: auto needs one tensor with a grad_fn that the others feed (found: {listed}); "
        "name it with `graph: NAME`",
        quiet=not tops,
    )


def _reachable(root: Any) -> set[Any]:
    seen: set[Any] = {root}
    todo = [root]
    while todo and len(seen) < MAX_REACH_NODES:
        for child, _ in todo.pop().next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _tensor_names(
    namespace: dict[str, Any],
) -> tuple[dict[int, list[str]], dict[Any, list[tuple[str, torch.Tensor]]]]:
    """Namespace names by tensor identity (module parameters as model.layer.weight), and the
    names of non-leaf tensors by their grad_fn node."""
    by_tensor: dict[int, list[str]] = {}
    by_node: dict[Any, list[tuple[str, torch.Tensor]]] = {}
    for name, value in _user_items(namespace):
        if isinstance(value, torch.Tensor):
            by_tensor.setdefault(id(value), []).append(name)
            if value.grad_fn is not None:
                by_node.setdefault(value.grad_fn, []).append((name, value))
        elif isinstance(value, nn.Module):
            for pname, param in value.named_parameters():
                by_tensor.setdefault(id(param), []).append(f"{name}.{pname}")
    return by_tensor, by_node


def graph_of(
    tensor: torch.Tensor,
    label: str,
    namespace: dict[str, Any],
    max_nodes: int = MAX_GRAPH_NODES,
) -> Json:
    """The autograd graph behind `tensor`: nodes in breadth-first order from its grad_fn (node 0),
    edges from a node to the nodes it passes gradients to, leaves mapped to namespace names."""
    by_tensor, by_node = _tensor_names(namespace)
    result: Json = {
        "tensor": label,
        "shape": [int(d) for d in tensor.shape],
        "dtype": str(tensor.dtype).removeprefix("torch."),
        "requires_grad": bool(tensor.requires_grad),
        "is_leaf": bool(tensor.is_leaf),
        "grad_fn": type(tensor.grad_fn).__name__ if tensor.grad_fn is not None else None,
        "message": None,
        "grad": None,
        "nodes": [],
        "edges": [],
        "truncated": False,
        "freed": False,
    }
    own_grad = _retained_grad(tensor)
    if own_grad is not None:
        result["grad"] = _tensor_data(own_grad)
    if tensor.grad_fn is None:
        result["message"] = _no_graph_message(label, tensor)
        return result
    ids: dict[Any, int] = {tensor.grad_fn: 0}
    order = [tensor.grad_fn]
    nodes: list[Json] = result["nodes"]
    edges: list[Json] = result["edges"]
    for fn in order:  # grows while we walk: breadth first
        node, freed = _node_data(fn, ids[fn], by_tensor, by_node)
        result["freed"] = result["freed"] or freed
        nodes.append(node)
        for slot, (child, _) in enumerate(fn.next_functions):
            if child is None:  # an input that does not require grad
                continue
            if child not in ids:
                if len(ids) >= max_nodes:
                    result["truncated"] = True
                    continue
                ids[child] = len(ids)
                order.append(child)
            edges.append({"src": ids[fn], "dst": ids[child], "slot": slot})
    return result


def _node_data(
    fn: Any,
    node_id: int,
    by_tensor: dict[int, list[str]],
    by_node: dict[Any, list[tuple[str, torch.Tensor]]],
) -> tuple[Json, bool]:
    node: Json = {
        "id": node_id,
        "name": type(fn).__name__,
        "tensors": [name for name, _ in by_node.get(fn, [])],
        "grads": {},  # of the tensors above that kept theirs (retain_grad)
        "leaf": None,
        "saved": [],
    }
    for name, t in by_node.get(fn, []):
        grad = _retained_grad(t)
        if grad is not None:
            node["grads"][name] = _tensor_data(grad)
    variable = getattr(fn, "variable", None)
    if isinstance(variable, torch.Tensor):  # AccumulateGrad: the leaf it accumulates into
        node["leaf"] = {
            "names": by_tensor.get(id(variable), []),
            "shape": [int(d) for d in variable.shape],
            "dtype": str(variable.dtype).removeprefix("torch."),
            "requires_grad": bool(variable.requires_grad),
            "grad": _tensor_data(variable.grad) if variable.grad is not None else None,
        }
        return node, False
    freed = False
    for attr in dir(fn):
        if not attr.startswith("_saved_"):
            continue
        try:
            saved = getattr(fn, attr)
        except RuntimeError:  # backward() has run and freed what the node saved
            freed = True
            break
        if isinstance(saved, torch.Tensor):
            node["saved"].append(
                {"name": attr.removeprefix("_saved_"), "shape": [int(d) for d in saved.shape]}
            )
    return node, freed


def _retained_grad(t: torch.Tensor) -> torch.Tensor | None:
    # Reading .grad of a non-leaf that did not retain it only warns; do not.
    return t.grad if (t.is_leaf or t.retains_grad) else None


def _no_graph_message(label: str, t: torch.Tensor) -> str:
    if t.requires_grad:
        return (
            f"{label} is a leaf tensor that requires grad: it starts graphs, so it has no grad_fn;"
            " backward() accumulates into its .grad"
        )
    if t.is_inference():
        return f"{label} has no grad_fn: it was made under torch.inference_mode()"
    return (
        f"{label} has no grad_fn and does not require grad, so autograd does not track it: it was"
        " made without requires_grad=True, under torch.no_grad(), or by .detach()"
    )


# ----------------------------------------------------------------------------------- modes


def _modes_section(
    namespace: dict[str, Any], request: Any, spec: dict[str, Any], notes: list[str]
) -> Json | None:
    model_name, model, input_name, value = _resolve_model_input(namespace, request, "modes")
    norms = [n for n, m in model.named_modules() if isinstance(m, _NormBase)]
    dropouts = [
        {"module": n, "type": type(m).__name__, "p": float(m.p)}
        for n, m in model.named_modules()
        if isinstance(m, _DropoutNd)
    ]
    if request == "auto" and not norms and not dropouts:
        return None  # train and eval behave the same: nothing to compare
    seed = namespace.get("seed", 0)
    seed = seed if isinstance(seed, int) else 0
    runs = [
        _run_in_mode(model, value, label=label, train=train, grad=grad, seed=seed)
        for label, train, grad in MODES
    ]
    _add_differences(runs)
    return {
        "model": model_name,
        "input": input_name,
        "seed": seed,
        "training": model.training,
        "dropout": dropouts,
        "norm_modules": norms,
        "runs": [{k: v for k, v in run.items() if k != "_output"} for run in runs],
    }


def _grad_context(grad: str) -> AbstractContextManager[Any]:
    if grad == "no_grad":
        return torch.no_grad()
    if grad == "inference_mode":
        return torch.inference_mode()
    return nullcontext()


def _run_in_mode(
    model: nn.Module, value: Any, *, label: str, train: bool, grad: str, seed: int
) -> Json:
    run: Json = {
        "mode": label,
        "training": train,
        "grad_mode": grad,
        "output_shapes": [],
        "requires_grad": None,
        "grad_fn": None,
        "is_inference": None,
        "diff": {},
        "norm_stats": [],
        "error": None,
        "_output": None,
    }
    clone, restore = _scratch_copy(model)
    try:
        before = _norm_state(clone)
        clone.train(train)
        with _rng_guard(value):
            _seed(seed, value)  # the same dropout masks in every mode
            with _grad_context(grad):
                output = clone(*_fresh_inputs(value))
        run["norm_stats"] = _norm_changes(clone, before)
    except Exception as exc:
        run["error"] = _describe_error(exc)
        return run
    finally:
        restore()
    first = next(_tensors_in(output), None)
    run["output_shapes"] = _shapes(output)
    if first is not None:
        run["requires_grad"] = bool(first.requires_grad)
        run["grad_fn"] = type(first.grad_fn).__name__ if first.grad_fn is not None else None
        run["is_inference"] = bool(first.is_inference())
        run["_output"] = first.detach()
    return run


def _seed(seed: int, value: Any) -> None:
    # torch.manual_seed also queues a lazy seeding of every CUDA device, recording a stack
    # trace each time (~0.7 ms); seed only the generators this input uses.
    torch.default_generator.manual_seed(seed)
    if any(t.device.type != "cpu" for t in _as_args(value) if isinstance(t, torch.Tensor)):
        torch.manual_seed(seed)


def _norm_state(model: nn.Module) -> dict[str, tuple[Any, Any, int | None]]:
    state: dict[str, tuple[Any, Any, int | None]] = {}
    for name, m in model.named_modules():
        if isinstance(m, _NormBase) and m.running_mean is not None:
            tracked = m.num_batches_tracked
            state[name] = (
                m.running_mean.detach().clone(),
                m.running_var.detach().clone() if m.running_var is not None else None,
                int(tracked.item()) if tracked is not None else None,
            )
    return state


def _norm_changes(model: nn.Module, before: dict[str, tuple[Any, Any, int | None]]) -> list[Json]:
    after = _norm_state(model)
    changes: list[Json] = []
    modules = dict(model.named_modules())
    for name, (mean0, var0, n0) in before.items():
        mean1, var1, n1 = after[name]
        mean_change = _max_abs_diff(mean0, mean1)
        var_change = _max_abs_diff(var0, var1) if var0 is not None else 0.0
        changes.append(
            {
                "module": name,
                "type": type(modules[name]).__name__,
                "momentum": getattr(modules[name], "momentum", None),
                "num_batches_before": n0,
                "num_batches_after": n1,
                "mean_before": _tensor_data(mean0),
                "mean_after": _tensor_data(mean1),
                "var_before": _tensor_data(var0) if var0 is not None else None,
                "var_after": _tensor_data(var1) if var1 is not None else None,
                "mean_change": mean_change,
                "var_change": var_change,
                "changed": bool(mean_change or var_change or n0 != n1),
            }
        )
    return changes


def _max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.shape != b.shape:
        return math.inf
    if a.numel() == 0:
        return 0.0
    return float((a.float() - b.float()).abs().max().item())


def _add_differences(runs: list[Json]) -> None:
    """Each run's max |difference| to every other run's output (same seed, same input)."""
    for run in runs:
        for other in runs:
            if other is run or run["_output"] is None or other["_output"] is None:
                continue
            a, b = run["_output"], other["_output"]
            try:
                comparable = a.shape == b.shape and not (a.is_complex() or b.is_complex())
                diff = _max_abs_diff(a, b) if comparable else None
            except Exception:  # meta or exotic tensors: not comparable
                diff = None
            run["diff"][other["mode"]] = diff


_Section = Callable[[dict[str, Any], Any, dict[str, Any], list[str]], Json | None]
# The graph first: it only reads, and it evaluates the answer before any forward has run the
# user's own hooks again (a hook appending to a list the answer reads, say).
_SECTIONS: dict[wire.Section, _Section] = {
    wire.Section.GRAPH: _graph_section,
    wire.Section.TRACE: _trace_section,
    wire.Section.MODES: _modes_section,
}
