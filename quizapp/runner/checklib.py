"""Helpers for a code question's `check:`, written once instead of in every question.

A check tests a user's function; what every such check must also assert is the same everywhere
and easy to get wrong by hand, so reviewers kept finding holes in it:

- `guard_calls(fn)`: each call must leave the caller's inputs (tensors, their `.grad`, modules'
  parameters, buffers, training flags and hooks) and torch's global switches (grad mode,
  inference mode, default dtype, autocast, anomaly mode, deterministic algorithms) as it found
  them. The switches are put back after every call, pass or fail, so that one solution's leftover
  state never decides the rest of its check.
- `run_reference(reference, args)` then `.check(fn)`: the user's function against PyTorch's own
  on the same inputs: the outputs (shape, dtype, values at a tolerance set by the dtype, so a
  float64 answer computed in float32 fails) *and the gradients* of every floating input and
  parameter under one random upstream gradient, so a detached statistic, a `no_grad` body or
  an `.item()` rebuild fails even when every value is right.
- `refuse_ops(globals(), {...})`: while it is active, the built-ins a build-it-from-scratch
  question forbids fail, however the user reached them (an alias, a default argument,
  `functools.partial`, `torch.ops.aten.*`, `torch.special`, a module that calls them).

Checks import it (`from quizapp.runner.checklib import guard_calls, refuse_ops`); it runs inside
the sandboxed child next to the user's code, so it may import torch. The zygote preloads it.
"""

from __future__ import annotations

import contextlib
import copy
import dis
import functools
import inspect
import math
import re
import types
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import torch
import torch.autograd.functional
import torch.func
import torch.nn.functional as F
import torch.nn.utils
import torch.overrides

__all__ = [
    "GlobalState",
    "Guarded",
    "MayChange",
    "Reference",
    "close",
    "guard_calls",
    "max_abs_difference",
    "refuse_ops",
    "run_reference",
    "same_tensor",
]


class MayChange(StrEnum):
    """How far a guarded call may change one of its arguments."""

    NOTHING = "nothing"
    VALUES = "values"  # tensor values, .grad, parameters' and buffers' values (a training step)
    TRAINING = "training"  # VALUES and train/eval flags too (a fit or evaluate function)
    ANYTHING = "anything"  # not looked at (a KV cache the call extends, an optimizer)


# -- torch's global switches -------------------------------------------------------------------


def _autocast_enabled(device_type: str) -> bool:
    try:
        return bool(torch.is_autocast_enabled(device_type))
    except (RuntimeError, TypeError):  # a device type this build does not know
        return False


_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)


def _global_hook_dicts() -> list[dict[int, Any]]:
    """The dicts that hold nn.Module's global hooks (every module runs them)."""
    import torch.nn.modules.module as module_mod

    return [getattr(module_mod, name, {}) for name in _GLOBAL_HOOKS]


@dataclass(frozen=True)
class GlobalState:
    """The process-wide switches a function may flip and forget to flip back."""

    grad_enabled: bool
    inference_mode: bool
    default_dtype: torch.dtype
    autocast_cpu: bool
    autocast_cuda: bool
    anomaly: bool
    deterministic: bool
    module_hooks: tuple[frozenset[int], ...]  # handles of nn.modules.module's global hooks

    @classmethod
    def capture(cls) -> GlobalState:
        return cls(
            grad_enabled=torch.is_grad_enabled(),
            inference_mode=torch.is_inference_mode_enabled(),
            default_dtype=torch.get_default_dtype(),
            autocast_cpu=_autocast_enabled("cpu"),
            autocast_cuda=_autocast_enabled("cuda"),
            anomaly=torch.is_anomaly_enabled(),
            deterministic=torch.are_deterministic_algorithms_enabled(),
            module_hooks=tuple(frozenset(hooks) for hooks in _global_hook_dicts()),
        )

    def restore(self) -> None:
        """Puts back every switch that differs now (inference mode cannot be left from outside
        its context, so it is only reported). Only what changed is touched: the first call to
        torch.use_deterministic_algorithms imports torch._dynamo, about a second."""
        now = GlobalState.capture()
        if now.grad_enabled != self.grad_enabled:
            torch.set_grad_enabled(self.grad_enabled)
        if now.default_dtype != self.default_dtype:
            torch.set_default_dtype(self.default_dtype)
        if now.autocast_cpu != self.autocast_cpu:
            with contextlib.suppress(RuntimeError, TypeError):
                torch.set_autocast_enabled("cpu", self.autocast_cpu)
        if now.autocast_cuda != self.autocast_cuda:
            with contextlib.suppress(RuntimeError, TypeError):
                torch.set_autocast_enabled("cuda", self.autocast_cuda)
        if now.anomaly != self.anomaly:
            torch.set_anomaly_enabled(self.anomaly)
        if now.deterministic != self.deterministic:
            torch.use_deterministic_algorithms(self.deterministic)
        for hooks, kept in zip(_global_hook_dicts(), self.module_hooks, strict=True):
            for handle in set(hooks) - kept:  # a global hook the call registered and left
                del hooks[handle]

    def changes(self, after: GlobalState) -> list[str]:
        """What differs in `after`, each with the way to do it without touching global state."""
        found = []
        if after.grad_enabled != self.grad_enabled:
            # Which block fits depends on what the code meant, which a check cannot tell: the
            # same leak comes from forcing recording on, and from switching it off and back
            # "on" by hand under a caller that had it off. A `with` block is right for both.
            found.append(
                f"autograd's grad mode ({self.grad_enabled} before the call, {after.grad_enabled}"
                " after): the call must leave it as it found it; switch it inside a `with "
                "torch.no_grad():` or `with torch.enable_grad():` block, which restores the "
                "caller's mode on exit, not with `torch.set_grad_enabled(...)`"
            )
        if after.inference_mode != self.inference_mode:
            found.append(
                "inference mode (left on): use `with torch.inference_mode():` around the work"
            )
        if after.default_dtype != self.default_dtype:
            found.append(
                f"the default dtype ({self.default_dtype} -> {after.default_dtype}): pass "
                "`dtype=` to the tensors you create instead"
            )
        if (after.autocast_cpu, after.autocast_cuda) != (self.autocast_cpu, self.autocast_cuda):
            found.append(
                "autocast (left on): `with torch.autocast(...):` turns it off again on exit"
            )
        if after.anomaly != self.anomaly:
            found.append("anomaly detection: use `with torch.autograd.detect_anomaly():`")
        if any(a - b for a, b in zip(after.module_hooks, self.module_hooks, strict=True)):
            found.append(
                "a global module hook (nn.modules.module.register_module_forward_hook and the "
                "like) was left registered: keep its handle and remove it in a `finally:`"
            )
        if after.deterministic != self.deterministic:
            found.append("torch.use_deterministic_algorithms: leave it as the caller set it")
        return found


# -- what a call may not change in its arguments -----------------------------------------------

_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
)


def same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same shape, dtype and values, NaN equal to NaN (torch.equal says NaN != NaN)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point() or a.is_complex():
        return bool(torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
    return bool(torch.equal(a, b))


def _copy(t: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return t.detach().clone()


def _version(t: torch.Tensor) -> int | None:
    """The version counter (bumped by every in-place write); inference tensors have none."""
    try:
        return int(t._version)
    except RuntimeError:
        return None


@dataclass
class _TensorRecord:
    label: str
    tensor: torch.Tensor
    values: torch.Tensor
    version: int | None
    requires_grad: bool
    grad: torch.Tensor | None
    hooks: int
    # For a buffer of a submodule in training mode (BatchNorm's running statistics): that
    # submodule's label. A training-mode forward updates such a buffer itself, so the advice for
    # a change is about the mode, not about writing in place.
    trained_by: str | None = None

    @classmethod
    def of(cls, label: str, t: torch.Tensor, trained_by: str | None = None) -> _TensorRecord:
        grad = t.grad if t.is_leaf else None
        hooks = getattr(t, "_backward_hooks", None)
        return cls(
            label,
            t,
            _copy(t),
            _version(t),
            t.requires_grad,
            None if grad is None else _copy(grad),
            len(hooks) if hooks else 0,
            trained_by,
        )

    def changes(self, allowed: MayChange) -> list[str]:
        t, found, what = self.tensor, [], f"the caller's `{self.label}`"
        if allowed is MayChange.NOTHING:
            if not same_tensor(t.detach(), self.values) and self.trained_by is not None:
                found.append(
                    f"{what} (a buffer) was updated: `{self.trained_by}` ran in training mode, "
                    "where layers such as BatchNorm update their running statistics on every "
                    "forward; run it in eval mode (`model.eval()`, the mode restored afterwards) "
                    "or leave the buffer as it was"
                )
            elif not same_tensor(t.detach(), self.values):
                found.append(
                    f"{what} was changed in place: compute into a new tensor "
                    "(`y = x * 2`, not `x *= 2` or `x[...] = ...`) and leave the caller's data"
                )
            elif _version(t) != self.version:
                found.append(
                    f"{what} was written in place (and put back): the caller's tensor must not "
                    "be modified at all, since autograd and other threads may be reading it"
                )
            grad = t.grad if t.is_leaf else None
            if (grad is None) != (self.grad is None) or (
                grad is not None and self.grad is not None and not same_tensor(grad, self.grad)
            ):
                found.append(f"`{self.label}.grad` was changed: leave the caller's gradients alone")
        if t.requires_grad != self.requires_grad:
            found.append(
                f"`{self.label}.requires_grad` was switched {'on' if t.requires_grad else 'off'}: "
                + (
                    "leave which parameters train to the caller (freeze them only if the task "
                    "says so, and then put them back)"
                    if isinstance(t, torch.nn.Parameter)
                    else "work on a copy (`x.detach()` or `x.clone()`) instead of the caller's "
                    "tensor"
                )
            )
        hooks = getattr(t, "_backward_hooks", None)
        if (len(hooks) if hooks else 0) != self.hooks:
            found.append(f"a hook was left on {what}: remove it (handle.remove()) when done")
        return found


def _held(m: torch.nn.Module) -> dict[str, tuple[int, bool]]:
    """name -> (identity, is a parameter) for every parameter and buffer."""
    params = {name: (id(p), True) for name, p in m.named_parameters(remove_duplicate=False)}
    buffers = {
        name: (id(b), False) for name, b in m.named_buffers(remove_duplicate=False) if b is not None
    }
    return {**buffers, **params}


def _trained_by(label: str, buffer: str, subs: Mapping[str, torch.nn.Module]) -> str | None:
    """The label of the submodule owning `buffer` if it is a normalisation layer that updates
    its running statistics in training mode, and is in training mode; else None. Only those:
    a buffer some other module's code writes into (a mask scaled in its forward) is the
    user's own write, and "run it in eval mode" would mislead (a reviewer's report)."""
    owner = buffer.rpartition(".")[0]
    sub = subs.get(owner)
    norm = torch.nn.modules.batchnorm._NormBase  # BatchNorm*, SyncBatchNorm, InstanceNorm*
    if not isinstance(sub, norm) or not sub.training or not sub.track_running_stats:
        return None
    return f"{label}.{owner}" if owner else label


@dataclass
class _ModuleRecord:
    label: str
    module: torch.nn.Module
    training: dict[str, bool]
    hooks: dict[str, tuple[frozenset[int], ...]]  # the handles' ids in each hook dict
    tensors: list[_TensorRecord]
    held: dict[str, tuple[int, bool]]  # parameters' and buffers' identities: rebinding one
    parts: dict[str, int]  # each submodule's identity

    @classmethod
    def of(cls, label: str, m: torch.nn.Module) -> _ModuleRecord:
        subs = dict(m.named_modules(remove_duplicate=False))
        tensors = [
            _TensorRecord.of(f"{label}.{name}", p)
            for name, p in m.named_parameters(remove_duplicate=False)
        ] + [
            _TensorRecord.of(f"{label}.{name}", b, _trained_by(label, name, subs))
            for name, b in m.named_buffers(remove_duplicate=False)
            if b is not None
        ]
        return cls(
            label,
            m,
            {name: sub.training for name, sub in subs.items()},
            {
                name: tuple(frozenset(getattr(sub, d, None) or ()) for d in _HOOK_DICTS)
                for name, sub in subs.items()
            },
            tensors,
            _held(m),
            {name: id(sub) for name, sub in subs.items()},
        )

    def changes(self, allowed: MayChange) -> list[str]:
        subs = dict(self.module.named_modules(remove_duplicate=False))
        found = []
        held = _held(self.module)
        swapped = [n for n, ident in self.parts.items() if n in subs and id(subs[n]) != ident]
        if swapped and allowed is MayChange.NOTHING:
            found.append(
                f"`{self.label}.{swapped[0]}` was replaced by another module: leave the "
                "caller's model as it was"
            )
        # A submodule the task replaces (a new head) brings its own tensors. A buffer a call
        # may update can be rebound (`self.running_mean = ...` is a common, correct style); a
        # parameter never: the caller's optimizer holds the old one.
        watched = {
            name: ident
            for name, (ident, is_param) in self.held.items()
            if (is_param or allowed is MayChange.NOTHING)
            and not any(name.startswith(f"{part}.") for part in swapped)
        }
        replaced = sorted(n for n, ident in watched.items() if held.get(n, (ident,))[0] != ident)
        gone = sorted(set(watched) - set(held))
        if replaced or gone:
            names = ", ".join(f"`{self.label}.{n}`" for n in (replaced + gone)[:3])
            found.append(
                f"{names} {'was' if len(replaced + gone) == 1 else 'were'} replaced or removed: "
                "a module's parameters and buffers must stay the same tensors (the caller and "
                "its optimizer hold them); update them in place, under `torch.no_grad()`, or "
                "compute into a new local tensor"
            )
        flipped = [
            f"`{self.label}{'.' + name if name else ''}` is now "
            f"{'train' if subs[name].training else 'eval'}"
            for name, was in self.training.items()
            if name in subs and subs[name].training != was
        ]
        if flipped and allowed is not MayChange.TRAINING:
            found.append(
                f"the train/eval mode of the caller's `{self.label}` was changed ("
                f"{', '.join(flipped[:3])}"
                f"{' ...' if len(flipped) > 3 else ''}): put each module back in the mode it "
                "was in (remember `was = m.training`, then `m.train(was)`)"
            )
        for name, counts in self.hooks.items():
            sub = subs.get(name)
            if sub is None:
                continue
            now = tuple(frozenset(getattr(sub, d, None) or ()) for d in _HOOK_DICTS)
            where = f"`{self.label}{'.' + name if name else ''}`"
            if any(a - b for a, b in zip(now, counts, strict=True)):
                found.append(
                    f"a hook was left registered on {where}: keep the handle and call "
                    "handle.remove() when done (in a `finally:`)"
                )
            if any(b - a for a, b in zip(now, counts, strict=True)):
                found.append(
                    f"a hook the caller had registered on {where} was removed: remove only the "
                    "handles your code created (clearing `_forward_hooks` removes everyone's)"
                )
        if set(subs) != set(self.training):
            found.append(f"the submodules of the caller's `{self.label}` were replaced or added to")
        for record in self.tensors:
            # VALUES (a training step): values and gradients may change, requires_grad and
            # hooks still may not
            found.extend(record.changes(allowed))  # TRAINING: as VALUES for tensors
        return found


def _walk(label: str, value: Any, seen: set[int], depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every tensor and module reachable through the argument's lists, tuples and dicts."""
    if id(value) in seen or depth > 4:
        return
    if isinstance(value, (torch.Tensor, torch.nn.Module)):
        seen.add(id(value))
        yield label, value
    elif isinstance(value, (list, tuple)):
        seen.add(id(value))
        for i, item in enumerate(value):
            yield from _walk(f"{label}[{i}]", item, seen, depth + 1)
    elif isinstance(value, dict):
        seen.add(id(value))
        for key, item in value.items():
            yield from _walk(f"{label}[{key!r}]", item, seen, depth + 1)


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without one
        return None


def _argument_labels(
    signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[tuple[str, str | int, Any]]:
    """(label for messages, key a `may_change` entry names, value) for every argument."""
    try:
        if signature is None:
            raise TypeError
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return [(f"args[{i}]", i, a) for i, a in enumerate(args)] + [
            (k, k, v) for k, v in kwargs.items()
        ]
    out: list[tuple[str, str | int, Any]] = []
    params = signature.parameters
    position = 0
    for name, value in bound.arguments.items():
        kind = params[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            for v in value:
                out.append((f"args[{position}]", position, v))
                position += 1
        elif kind is inspect.Parameter.VAR_KEYWORD:
            out.extend((k, k, v) for k, v in value.items())
        else:
            out.append((name, name, value))
            if kind is not inspect.Parameter.KEYWORD_ONLY:
                position += 1
    return out


def _detached_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """A copy to call with again later: tensors as fresh leaves (keeping requires_grad and
    .grad), modules deep-copied, containers rebuilt, anything else shared. One `memo` across a
    call's arguments keeps their sharing: a module passed with one of its submodules gets the
    copy's submodule."""
    memo = {} if memo is None else memo
    if id(value) in memo:
        return memo[id(value)]
    copied: Any = value
    if isinstance(value, torch.Tensor):
        copied = _copy(value)
        if isinstance(value, torch.nn.Parameter):
            copied = torch.nn.Parameter(copied, requires_grad=value.requires_grad)
        if copied.is_floating_point() or copied.is_complex():
            copied.requires_grad_(value.requires_grad)
            if value.is_leaf and value.grad is not None:
                copied.grad = _copy(value.grad)  # a step that reads p.grad replays with it
    elif isinstance(value, torch.nn.Module):
        try:
            copied = copy.deepcopy(value, memo)
        except Exception:  # a module holding a non-leaf tensor: share it
            copied = value
    elif isinstance(value, tuple):
        copied = tuple(_detached_copy(v, memo) for v in value)
    elif isinstance(value, list):
        copied = [_detached_copy(v, memo) for v in value]
    elif isinstance(value, dict):
        copied = {k: _detached_copy(v, memo) for k, v in value.items()}
    memo[id(value)] = copied
    return copied


@dataclass
class Guarded:
    """The user's function, wrapped: call it as the function. Every call asserts that it left its
    arguments and torch's global switches alone (see `guard_calls`)."""

    fn: Callable[..., Any]
    name: str
    may_change: Mapping[str | int, MayChange]
    calls: int = 0
    first_call: tuple[tuple[Any, ...], dict[str, Any]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # lets refuse_ops scan the user's function behind the wrapper
        self.__wrapped__ = self.fn
        self._signature = _signature(self.fn)  # once, not on every call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.first_call is None:
            self.first_call = _detached_copy((args, kwargs))
        self.calls += 1
        before = GlobalState.capture()
        records: list[tuple[Any, MayChange]] = []
        seen: set[int] = set()
        for label, key, value in _argument_labels(self._signature, args, kwargs):
            allowed = MayChange(self.may_change.get(key, MayChange.NOTHING))
            if allowed is MayChange.ANYTHING:
                continue
            for sub_label, item in _walk(label, value, seen):
                if isinstance(item, torch.Tensor):
                    records.append((_TensorRecord.of(sub_label, item), allowed))
                else:
                    records.append((_ModuleRecord.of(sub_label, item), allowed))
        try:
            result = self.fn(*args, **kwargs)
        except BaseException as exc:
            # A call that raises must clean up too (a mode restored in a `finally:`): what it
            # left behind is the finding; otherwise the check sees the exception it may expect.
            self._settle(before, records, raised=exc)
            raise
        self._settle(before, records)
        return result

    def _settle(
        self,
        before: GlobalState,
        records: list[tuple[Any, MayChange]],
        raised: BaseException | None = None,
    ) -> None:
        after = GlobalState.capture()
        if after != before:
            before.restore()
        problems = before.changes(after)
        with torch.no_grad():
            for record, allowed in records:
                problems.extend(record.changes(allowed))
        if not problems:
            return
        shown = "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
        if raised is None:
            raise AssertionError(f"{self.name} left a side effect behind: {shown}")
        raise AssertionError(
            f"{self.name} raised {type(raised).__name__} and left a side effect behind (undo it "
            f"in a `finally:` or use a `with` block, so that it is undone on errors too): {shown}"
        ) from raised

    def replay_in_grad_modes(self) -> None:
        """Calls the function again with copies of its first call's arguments, once under
        `torch.no_grad()` and once with grad on: each call asserts that it left the mode as the
        caller had it (a solution that forces grad on or off is caught whichever way it errs)."""
        assert self.first_call is not None, f"the check never called {self.name}"
        for mode, advice in (
            (
                torch.no_grad,
                "Code that needs autograd inside must switch it on itself, in a local `with "
                "torch.enable_grad():` block (`torch.func` transforms work either way).",
            ),
            (torch.enable_grad, "The result must not depend on the caller's grad mode."),
        ):
            args, kwargs = self.first_call
            with mode():
                args_copy, kwargs_copy = _detached_copy((args, kwargs))
                try:
                    self(*args_copy, **kwargs_copy)
                except AssertionError:
                    raise  # the guard's own verdict (or the code's assert) says what it is
                except Exception as exc:
                    # A bare "element 0 of tensors does not require grad" does not say that
                    # the call was a repeat under another grad mode.
                    raise AssertionError(
                        f"{self.name} raised {type(exc).__name__} when called again under "
                        f"`with torch.{mode.__name__}():` (a caller may do that): {exc}. {advice}"
                    ) from None


def guard_calls(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    may_change: Mapping[str | int, MayChange | str] | Iterable[str | int] = (),
) -> Guarded:
    """Wraps the user's `fn` so that every call asserts it left its inputs and torch's global
    state as they were. `may_change` names the arguments (by parameter name or position) the
    task means it to change: a mapping to "values" (a training step: values and gradients may
    change, but not training flags, requires_grad or hooks) or "anything" (not checked), or a
    plain list of names, each "anything"."""
    if isinstance(may_change, Mapping):
        allowed = {k: MayChange(v) for k, v in may_change.items()}
    else:
        allowed = {k: MayChange.ANYTHING for k in may_change}
    label = name or getattr(fn, "__name__", None) or type(fn).__name__
    return Guarded(fn, label, allowed)


# -- forbidden built-ins -----------------------------------------------------------------------

_OWNERS: tuple[Any, ...] = (
    torch,
    F,
    torch.nn,
    torch.special,
    torch.linalg,
    torch.fft,
    torch.Tensor,
    torch.func,
    torch.autograd,
    torch.autograd.functional,
    torch.nn.utils,
)


# Python-level functions are also replaced on these for the duration (clip_grad_norm_ and
# torch.func's transforms are not torch functions: the mode never sees them).
_PATCHED_OWNERS: tuple[Any, ...] = (
    torch,
    F,
    torch.special,
    torch.linalg,
    torch.func,
    torch.autograd,
    torch.autograd.functional,
    torch.nn.utils,
    torch.nn.utils.clip_grad,
)


def _op_name(func: Any) -> str:
    if isinstance(func, torch._ops.OpOverload):
        name = func._schema.name.split("::")[-1]
    elif isinstance(func, torch._ops.OpOverloadPacket):
        name = func._qualified_op_name.split("::")[-1]
    else:
        name = getattr(func, "__name__", "") or ""
    # torch.special.log_softmax is special_log_softmax; torch.linalg.norm is linalg_norm
    return _normal(name)


# Words that make an op an implementation of another rather than a different op:
# native_batch_norm, _batch_norm_with_update, nll_loss2d_forward, max_pool2d_with_indices,
# scaled_dot_product_flash_attention_for_cpu are the op they decorate.
_VARIANT_WORDS = frozenset(
    {
        "native", "forward", "with", "update", "indices", "legit", "functional", "no",
        "training", "impl", "fused", "cpu", "cuda", "cudnn", "miopen", "mkldnn",
        "math", "flash", "efficient", "overrideable", "for", "slow", "thnn", "nd", "1d", "2d",
        "3d", "out", "default", "int", "data", "padding", "nested", "memory", "quantized",
        "mps", "xpu", "input", "weight", "stats", "elemt",
    }
)  # fmt: skip


def _words(name: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+[a-z]*", name.lower())


def _is_banned(name: str, banned: frozenset[str]) -> bool:
    """Whether `name` is a banned op or one of its implementations (the banned op's words plus
    only implementation words, such as native, forward, with_indices, 2d)."""
    op = _normal(name)
    if op in banned:
        return True
    words = _words(op)
    for ban in banned:
        rest = list(words)
        for word in _words(ban):
            if word not in rest:
                break
            rest.remove(word)
        else:
            if all(word in _VARIANT_WORDS for word in rest):
                return True
    return False


def _normal(name: str) -> str:
    """One spelling per op: private (`_softmax`), in-place (`relu_`) and namespaced
    (`special_log_softmax`) forms are the op itself."""
    name = name.strip("_")
    for prefix in ("special_", "linalg_", "fft_"):
        name = name.removeprefix(prefix)
    return name


# the instructions that name a global, an attribute or an imported name (not a local variable)
_NAME_OPS = frozenset(
    {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_ATTR", "LOAD_METHOD", "IMPORT_NAME", "IMPORT_FROM"}
)


_CHECK_FILENAME = "<check>"  # how quizapp.runner.child compiles a question's check


def _user_code_names(namespace: Mapping[str, Any]) -> set[str]:
    """Names the user's own functions and classes use, minus names that are the user's own
    (a hand-written helper may share a built-in's name, e.g. logsumexp)."""
    own = {
        k
        for k, v in namespace.items()
        if isinstance(v, (type, types.FunctionType)) and getattr(v, "__module__", "") == "__main__"
    }
    own_methods = {
        attr
        for v in namespace.values()
        if isinstance(v, type) and v.__module__ == "__main__"
        for attr, member in vars(v).items()
        if isinstance(getattr(member, "__func__", member), (types.FunctionType, property))
    }

    codes: list[types.CodeType] = []

    def collect(code: types.CodeType) -> None:
        codes.append(code)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                collect(const)

    for entry in list(namespace.values()):
        value = getattr(entry, "__wrapped__", entry)
        members = vars(value).values() if isinstance(value, type) else (value,)
        for member in members:
            fn = getattr(member, "__func__", member)
            if isinstance(fn, property):
                fn = fn.fget
            # the check's own functions (a reference it defines) are not the user's code
            if (
                isinstance(fn, types.FunctionType)
                and fn.__module__ == "__main__"
                and fn.__code__.co_filename != _CHECK_FILENAME
            ):
                collect(fn.__code__)
    # attributes the user's code assigns (`self.layer_norm = MyNorm()`) are the user's own too
    own_attrs = own_methods | {
        ins.argval
        for code in codes
        for ins in dis.get_instructions(code)
        if ins.opname == "STORE_ATTR" and isinstance(ins.argval, str)
    }
    used: set[str] = set()
    for code in codes:
        for ins in dis.get_instructions(code):
            if not isinstance(ins.argval, str) or ins.opname not in _NAME_OPS:
                continue
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME") and ins.argval in own:
                continue
            if ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and ins.argval in own_attrs:
                continue
            used.add(ins.argval)
    return used


@contextlib.contextmanager
def refuse_ops(
    namespace: Mapping[str, Any], banned: Collection[str], *, hint: str = "write it yourself"
) -> Iterator[None]:
    """Fails the check when the user's code names or calls a banned built-in. Names are op names
    (`layer_norm`, `softmax`, `scaled_dot_product_attention`); `torch.layer_norm`,
    `F.layer_norm`, `torch.ops.aten.layer_norm`, `x.softmax` and the in-place `_` forms all count.

    On entry it scans the user's functions and classes for the names and the namespace for
    aliases (`fused = F.layer_norm`, a `functools.partial` of one); while active, a torch
    function mode refuses any call to a banned op, however it was reached. Compute the reference
    results before entering: the check's own calls are refused too."""
    spellings = {
        form for b in banned for form in (b, _normal(b), f"{_normal(b)}_", f"_{_normal(b)}")
    }
    refused = frozenset(_normal(b) for b in banned)
    objects = {
        id(obj): f"{getattr(owner, '__name__', '?')}.{name}"
        for name in spellings
        for owner in _OWNERS
        if (obj := getattr(owner, name, None)) is not None and callable(obj)
    }
    verdicts: dict[str, bool] = {}

    def banned_behind(value: Any) -> str | None:
        while isinstance(value, functools.partial):
            value = value.func
        if id(value) in objects:
            return objects[id(value)]
        if isinstance(value, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
            op = _op_name(value)
            return f"torch.ops.aten.{op}" if _is_banned(op, refused) else None
        module = getattr(value, "__module__", None) or ""
        called = getattr(value, "__name__", None)
        # functions only: a check keeps classes it builds references from (`_cls = AdamW`)
        plain = isinstance(value, (types.FunctionType, types.BuiltinFunctionType))
        if plain and module.startswith("torch") and isinstance(called, str):
            return f"{module}.{called}" if _is_banned(called, refused) else None
        return None

    aliases = sorted(
        f"{k} (which is {target})"
        for k, v in namespace.items()
        if not k.startswith("__") and (target := banned_behind(v))
    )
    named = sorted({n for n in _user_code_names(namespace) if _is_banned(n, refused)})
    if aliases or named:
        raise AssertionError(
            f"your code uses {', '.join(named + aliases)}, which this task forbids: {hint}"
        )

    def refuse(op: str) -> None:
        raise AssertionError(f"your code called {op}, which this task forbids: {hint}")

    class _RefuseBanned(torch.overrides.TorchFunctionMode):
        def __torch_function__(
            self,
            func: Any,
            types: Any,
            args: tuple[Any, ...] = (),
            kwargs: dict[str, Any] | None = None,
        ) -> Any:
            name = _op_name(func)
            if name not in verdicts:  # every op call passes here: decide each name once
                verdicts[name] = _is_banned(name, refused)
            if verdicts[name]:
                refuse(name)
            return func(*args, **(kwargs or {}))

    # Python-level functions that would not reach the mode (no tensor argument yet) are also
    # replaced on their owners for the duration.
    saved = [
        (owner, name, getattr(owner, name))
        for name in spellings
        for owner in _PATCHED_OWNERS
        if isinstance(getattr(owner, name, None), types.FunctionType)
    ]
    for owner, name, _ in saved:
        setattr(owner, name, functools.partial(lambda op, *a, **k: refuse(op), name))
    mode = _RefuseBanned()
    try:
        with mode:
            yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def close(a: torch.Tensor, b: torch.Tensor, *, rtol: float, atol: float) -> bool:
    """allclose without broadcasting: a shape mismatch is never close."""
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol))


def max_abs_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    """For messages: the largest absolute difference (`inf` when the shapes differ); equal
    entries count 0, infinities and NaN included (inf - inf would be NaN)."""
    if a.shape != b.shape:
        return math.inf
    if not a.numel():
        return 0.0
    a, b = a.detach().double(), b.detach().double()
    same = (a == b) | (a.isnan() & b.isnan())
    return float(torch.where(same, 0.0, (a - b).abs().nan_to_num(math.inf, math.inf)).max())


# -- values and gradients against a reference ---------------------------------------------------

# (rtol, atol) per dtype; atol is scaled by the reference's largest magnitude (at least 1). A
# float64 answer computed in float32 and cast back is off by about 1e-7 relative: 1e-9 sees it.
_VALUE_TOLERANCE: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-9, 1e-10),
    torch.float32: (1e-4, 1e-5),
    torch.float16: (2e-3, 2e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
}
# How far a float64 result computed through float32 lands: a few float32 roundings (eps is
# 1.2e-7). A float64 miss within this is told about float32; a larger one (`std + eps` for
# `sqrt(var + eps)`) is a wrong formula and is not.
_FLOAT32_ROUNDING = (3e-6, 3e-7)
# the same for a gradient, which goes through more float32 operations (backward included)
_FLOAT32_GRAD_ROUNDING = (3e-5, 3e-6)
# gradients go through more operations than the values: float32 gets ten times the slack
_GRAD_TOLERANCE: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-8, 1e-10),
    torch.float32: (1e-3, 1e-4),
    torch.float16: (1e-2, 1e-2),
    torch.bfloat16: (5e-2, 5e-2),
}


def _tolerance(
    table: Mapping[torch.dtype, tuple[float, float]], dtype: torch.dtype
) -> tuple[float, float]:
    return table.get(dtype, table[torch.float32])


def _differentiable(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and (t.is_floating_point() or t.is_complex())


def _finer_digits(t: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """`t` (just widened to float64 from a narrower dtype) with random digits below the old
    dtype's precision: data that came from float32 is exactly representable in float32, so a
    solution that casts an input to float32 would lose nothing and pass. Each non-integer
    value moves by under half a float32 step (so it never crosses an integer, and masks,
    labels and 0/1 stay as they are); a float32 round trip then loses about 1e-8 relative,
    which the float64 tolerance (1e-9) sees."""
    if t.dtype != torch.float64 or not t.numel():
        return t
    narrow = t.float()
    step = (torch.nextafter(narrow, torch.full_like(narrow, math.inf)) - narrow).double()
    jitter = (torch.rand(t.shape, generator=generator, dtype=torch.float64) - 0.5) * 0.9
    moved = t + step * jitter
    return torch.where((t == t.round()) | ~t.isfinite(), t, moved)


def _cast(value: Any, dtype: torch.dtype | None, memo: dict[int, Any]) -> Any:
    """A copy of the arguments with every floating tensor (and module) in `dtype`; widened to
    float64, values gain digits float32 cannot hold (see `_finer_digits`)."""
    if dtype is None or id(value) in memo:
        return memo.get(id(value), value)
    generator = memo.setdefault(-1, torch.Generator().manual_seed(64))  # one stream per call
    copied: Any = value
    if _differentiable(value):
        widened = dtype == torch.float64 and value.dtype in (
            torch.float32,
            torch.float16,
            torch.bfloat16,
        )
        copied = value.detach().to(dtype)
        if widened:
            copied = _finer_digits(copied, generator)
    elif isinstance(value, torch.nn.Module):
        was = {name: t.dtype for name, t in value.state_dict().items()}
        copied = copy.deepcopy(value).to(dtype)
        if dtype == torch.float64:
            with torch.no_grad():
                for name, t in copied.state_dict(keep_vars=True).items():
                    if was.get(name) in (torch.float32, torch.float16, torch.bfloat16):
                        t.copy_(_finer_digits(t.detach(), generator))
    elif isinstance(value, tuple):
        copied = tuple(_cast(v, dtype, memo) for v in value)
    elif isinstance(value, list):
        copied = [_cast(v, dtype, memo) for v in value]
    elif isinstance(value, dict):
        copied = {k: _cast(v, dtype, memo) for k, v in value.items()}
    memo[id(value)] = copied
    return copied


def _inputs(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], constant: Collection[str | int]
) -> list[tuple[str, Any]]:
    """(path, value) for every tensor and module in the arguments not named in `constant`; the
    path is the position (`#0`, `#1[2]`) or keyword, so that the reference's call and the
    user's, whose parameter names differ, line up."""
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for i, item in enumerate(args):
        if i not in constant:
            found.extend(_walk(f"#{i}", item, seen))
    for key, item in kwargs.items():
        if key not in constant:
            found.extend(_walk(key, item, seen))
    return found


def _leaves(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], constant: Collection[str | int]
) -> list[tuple[str, torch.Tensor]]:
    """The inputs whose gradient is compared: every floating tensor argument and every
    parameter of a module argument that requires grad."""
    found: list[tuple[str, torch.Tensor]] = []
    seen: set[int] = set()
    for path, thing in _inputs(args, kwargs, constant):
        if isinstance(thing, torch.nn.Module):
            for name, p in thing.named_parameters():
                if p.requires_grad and id(p) not in seen:
                    seen.add(id(p))
                    found.append((f"{path}.{name}", p))
        elif _differentiable(thing) and thing.requires_grad and id(thing) not in seen:
            seen.add(id(thing))
            found.append((path, thing))
    return found


def _fresh_inputs(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], constant: Collection[str | int]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Copies of the arguments for one call: floating tensors as new leaves that require grad
    (unless `constant`), modules deep-copied with their gradients cleared."""
    copied_args, copied_kwargs = _detached_copy((tuple(args), dict(kwargs)))
    for _, thing in _inputs(copied_args, copied_kwargs, constant):
        if isinstance(thing, torch.nn.Module):
            for p in thing.parameters():
                p.grad = None
        elif _differentiable(thing) and thing.is_leaf:
            thing.requires_grad_(True)
            thing.grad = None
    return copied_args, copied_kwargs


def _shown(path: str, signature: inspect.Signature | None) -> str:
    """`#0[1].weight` as the user's function calls it: `x[1].weight`."""
    match = re.match(r"#(\d+)", path)
    if match is None or signature is None:
        return path
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    index = int(match.group(1))
    name = positional[index] if index < len(positional) else f"args[{index}]"
    return name + path[match.end() :]


def _flatten(label: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _flatten(f"{label}[{i}]", item)
    elif isinstance(value, dict):
        for key in sorted(value, key=repr):
            yield from _flatten(f"{label}[{key!r}]", value[key])
    else:
        yield label, value


def _structure(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_structure(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), _structure(v)) for k, v in value.items())))
    if isinstance(value, torch.Tensor):
        return "tensor"
    return type(value).__name__


def _within(got: torch.Tensor, want: torch.Tensor, tolerance: tuple[float, float]) -> bool:
    rtol, atol = tolerance
    if got.shape != want.shape:
        return False
    if not want.numel():
        return True
    scale = max(1.0, float(want.detach().abs().nan_to_num(0.0, 0.0, 0.0).max()))
    return bool(
        torch.allclose(
            got.detach().to(want.dtype),
            want.detach(),
            rtol=rtol,
            atol=atol * scale,
            equal_nan=True,
        )
    )


def _backward(
    outputs: list[tuple[str, torch.Tensor]],
    upstream: Mapping[str, torch.Tensor],
    leaves: list[tuple[str, torch.Tensor]],
) -> list[torch.Tensor | None]:
    used = [(t, upstream[label]) for label, t in outputs if label in upstream and t.requires_grad]
    if not used or not leaves:
        return [None] * len(leaves)
    grads = torch.autograd.grad(
        [t for t, _ in used],
        [leaf for _, leaf in leaves],
        [g.to(t.dtype) for t, g in used],
        allow_unused=True,
    )
    return list(grads)


@dataclass
class Reference:
    """The reference's outputs and gradients on one set of inputs; `check` holds a user's
    function to them. Made by `run_reference`, before any `refuse_ops` block (the reference's own
    calls would be refused inside one)."""

    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    constant: Collection[str | int]
    outputs: Any
    upstream: dict[str, torch.Tensor]
    gradients: dict[str, torch.Tensor | None]
    where: str
    # every tensor argument (and module state entry) as the reference left it, and as given
    states_after: dict[str, torch.Tensor] = field(default_factory=dict)
    states_before: dict[str, torch.Tensor] = field(default_factory=dict)

    def check(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        hint: str = "",
        rtol: float | None = None,
        atol: float | None = None,
        grad_rtol: float | None = None,
        grad_atol: float | None = None,
        gradients: bool = True,
        arguments: bool = True,
    ) -> Any:
        """Calls `fn` on fresh copies of the inputs and asserts its outputs match the
        reference's (structure, shape, dtype, values); with `arguments`, that every tensor
        argument and module state (parameters, buffers such as running statistics) ends as the
        reference's call left it (unchanged, or updated the same way); with `gradients`, that
        the same random upstream gradient gives every input and parameter the reference's
        gradient. Returns what `fn` returned (still attached to its graph)."""
        label = str(name or getattr(fn, "name", None) or getattr(fn, "__name__", "your function"))
        where = f" ({self.where})" if self.where else ""
        advice = f" {hint}" if hint else ""
        signature = _signature(getattr(fn, "fn", fn))
        args, kwargs = _fresh_inputs(self.args, self.kwargs, self.constant)
        leaves = _leaves(args, kwargs, self.constant)
        try:
            with torch.enable_grad():  # the gradient is compared even where the check is in no_grad
                result = fn(*args, **kwargs)
        except AssertionError:
            raise
        except Exception as exc:
            raise AssertionError(f"{label} raised {type(exc).__name__}: {exc}{where}") from None
        if _structure(result) != _structure(self.outputs):
            raise AssertionError(
                f"{label} returned {_describe(result)}, expected {_describe(self.outputs)}{where}"
            )
        got_outputs = list(_flatten("the output", result))
        for (out_label, got), (_, want) in zip(
            got_outputs, _flatten("the output", self.outputs), strict=True
        ):
            if not isinstance(want, torch.Tensor):
                assert got == want, f"{label}: {out_label} is {got!r}, expected {want!r}{where}"
                continue
            assert tuple(got.shape) == tuple(want.shape), (
                f"{label}: {out_label} has shape {tuple(got.shape)}, expected "
                f"{tuple(want.shape)}{where}"
            )
            assert got.dtype == want.dtype, (
                f"{label}: {out_label} has dtype {got.dtype}, expected {want.dtype}{where}: "
                "compute in the input's dtype throughout (a float32 step cast back loses precision)"
            )
            tolerance = _tolerance(_VALUE_TOLERANCE, want.dtype)
            tolerance = (
                tolerance[0] if rtol is None else rtol,
                tolerance[1] if atol is None else atol,
            )
            if not (want.is_floating_point() or want.is_complex()):
                ok = bool(torch.equal(got, want))
            else:
                ok = _within(got, want, tolerance)
            if not ok:
                precision = (
                    " The difference is as small as float32 rounding: every step must run "
                    "in float64 for a float64 input (a float32 constant or buffer, or a "
                    ".float(), loses precision), unless a small term such as an eps is placed "
                    "differently or a constant is written with too few digits (0.70710678 for "
                    "1/sqrt(2): compute it, `1 / math.sqrt(2)`)."
                    if want.dtype == torch.float64 and _within(got, want, _FLOAT32_ROUNDING)
                    else ""
                )
                raise AssertionError(
                    f"{label}: {out_label} differs from PyTorch's (max abs difference "
                    f"{max_abs_difference(got.detach(), want):.3g}){where}.{precision}{advice}"
                )
        if arguments:
            self._check_arguments(label, where, _states(args, kwargs), signature)
        if not gradients or not any(g is not None for g in self.gradients.values()):
            return result
        tensors = [(o, t) for o, t in got_outputs if isinstance(t, torch.Tensor)]
        if not any(t.requires_grad for _, t in tensors if _differentiable(t)):
            raise AssertionError(
                f"{label}'s output is right but carries no gradient{where}: nothing can be "
                "trained through it. Something cut the graph: a `torch.no_grad()` body or "
                "decorator, `.detach()`, `.data`, or numbers rebuilt from `.item()` / "
                "`.tolist()`. Compute with tensor operations under the caller's grad mode."
            )
        try:
            grads = _backward(tensors, self.upstream, leaves)
        except AssertionError:
            raise
        except Exception as exc:
            raise AssertionError(
                f"backpropagating through {label}'s output raised {type(exc).__name__}: "
                f"{exc}{where}"
            ) from None
        for (path, _), grad in zip(leaves, grads, strict=True):
            leaf_label = _shown(path, signature)
            want_grad = self.gradients.get(path)
            if want_grad is None or not want_grad.numel() or not bool(want_grad.abs().max() > 0):
                want_grad = None
            if grad is None and want_grad is None:
                continue
            if grad is None:
                raise AssertionError(
                    f"{label}: no gradient reaches {leaf_label}{where}, but PyTorch's does: "
                    f"the path from {leaf_label} to the output is cut (`.detach()`, `.data`, a "
                    "`no_grad` block, or a value rebuilt from `.item()`)."
                )
            reference = torch.zeros_like(grad) if want_grad is None else want_grad
            tolerance = _tolerance(_GRAD_TOLERANCE, reference.dtype)
            tolerance = (
                tolerance[0] if grad_rtol is None else grad_rtol,
                tolerance[1] if grad_atol is None else grad_atol,
            )
            if not _within(grad, reference, tolerance):
                cause = (
                    " The difference is as small as float32 rounding: the backward pass must "
                    "run in float64 for a float64 input too (a float32 constant, buffer or "
                    "eps tensor, or a `.float()`, loses precision there even when the output "
                    "still matches)."
                    if reference.dtype == torch.float64
                    and _within(grad, reference, _FLOAT32_GRAD_ROUNDING)
                    else " A statistic or mask computed without gradient (`.detach()`, "
                    "`no_grad`, `.data`), or a non-differentiable step, changes the gradient "
                    "even when the values are right."
                )
                raise AssertionError(
                    f"{label}: the outputs match, but the gradient of {leaf_label} differs "
                    f"from PyTorch's (max abs difference "
                    f"{max_abs_difference(grad.detach(), reference):.3g}){where}.{cause}{advice}"
                )
        return result

    def _check_arguments(
        self,
        label: str,
        where: str,
        states: Mapping[str, torch.Tensor],
        signature: inspect.Signature | None,
    ) -> None:
        for path, want in self.states_after.items():
            got = states.get(path)
            shown = _shown(path, signature)
            if got is None or got.shape != want.shape or got.dtype != want.dtype:
                raise AssertionError(
                    f"{label}: after the call the caller's {shown} is not a tensor of shape "
                    f"{tuple(want.shape)} and dtype {want.dtype}, as PyTorch's call leaves it"
                    f"{where}: it was replaced or reshaped in place"
                )
            if not want.is_floating_point():
                ok = bool(torch.equal(got, want))
            else:
                ok = _within(got, want, _tolerance(_VALUE_TOLERANCE, want.dtype))
            if ok:
                continue
            before = self.states_before.get(path)
            if before is not None and same_tensor(before, want):
                raise AssertionError(
                    f"{label} changed the caller's {shown}{where}, which PyTorch's call leaves "
                    "as it is: compute into a new tensor instead of writing into an argument"
                )
            raise AssertionError(
                f"{label}: after the call the caller's {shown} differs from what PyTorch's "
                f"call leaves in it (max abs difference {max_abs_difference(got, want):.3g})"
                f"{where}: an argument the call updates in place (running statistics, a "
                "cache, a parameter) must end updated exactly as PyTorch updates it"
            )


def _states(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor argument and module state entry, by path, as detached copies."""
    found: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for path, thing in _inputs(args, kwargs, ()):
            if isinstance(thing, torch.nn.Module):
                for name, t in thing.state_dict(keep_vars=True).items():
                    if isinstance(t, torch.Tensor):
                        found[f"{path}.{name}"] = t.detach().clone()
            elif isinstance(thing, torch.Tensor):
                found[path] = thing.detach().clone()
    return found


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__


def run_reference(
    reference: Callable[..., Any],
    args: Iterable[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    dtype: torch.dtype | None = None,
    constant: Collection[str | int] = (),
    where: str = "",
    seed: int = 0,
) -> Reference:
    """Runs `reference` (PyTorch's own implementation) on copies of `args` / `kwargs` and keeps
    its outputs and the gradient each input and parameter gets from one random upstream
    gradient (seeded, so the user's call gets the same one). `dtype` casts every floating
    tensor and module first; `constant` names arguments (by position or name) whose gradient is
    not compared, such as targets or masks; `where` says which case this is in messages."""
    memo: dict[int, Any] = {}
    base_args = tuple(_cast(tuple(args), dtype, memo))
    base_kwargs = dict(_cast(dict(kwargs or {}), dtype, memo))
    ref_args, ref_kwargs = _fresh_inputs(base_args, base_kwargs, constant)
    leaves = _leaves(ref_args, ref_kwargs, constant)
    before = _states(ref_args, ref_kwargs)
    with torch.enable_grad():
        result = reference(*ref_args, **ref_kwargs)
        after = _states(ref_args, ref_kwargs)
        outputs = [(o, t) for o, t in _flatten("the output", result) if isinstance(t, torch.Tensor)]
        generator = torch.Generator().manual_seed(seed)
        upstream = {
            o: torch.randn(t.shape, generator=generator, dtype=torch.float64)
            for o, t in outputs
            if t.requires_grad and _differentiable(t)
        }
        grads = _backward(outputs, upstream, leaves)
    with torch.no_grad():
        detached = _detach_all(result)
    return Reference(
        args=base_args,
        kwargs=base_kwargs,
        constant=tuple(constant),
        outputs=detached,
        upstream=upstream,
        gradients={
            path: (None if g is None else g.detach())
            for (path, _), g in zip(leaves, grads, strict=True)
        },
        where=where,
        states_after=after,
        states_before=before,
    )


def _detach_all(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, tuple):
        return tuple(_detach_all(v) for v in value)
    if isinstance(value, list):
        return [_detach_all(v) for v in value]
    if isinstance(value, dict):
        return {k: _detach_all(v) for k, v in value.items()}
    return value
