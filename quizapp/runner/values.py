"""Encoding a Python value as plain JSON data (the encoding at the bottom of protocol.py).

Runs inside the sandboxed child, where torch is imported; this module imports torch lazily so
that it stays importable (and testable) anywhere. The parent never decodes with this module.
"""

from __future__ import annotations

import contextlib
import reprlib
import sys
from typing import Any

TENSOR_VALUES_CAP = 10_000  # a tensor with more elements comes back with values None
TOTAL_ITEMS_CAP = 100_000  # across the whole value: past it, containers come back as a repr
MAX_DEPTH = 32
MAX_STR = 100_000
REPR_CAP = 1000
SUMMARY_STATS_CAP = 1_000_000  # past this many elements the summary skips min/max/mean


def _make_repr() -> reprlib.Repr:
    # Bounded: a repr of a ten-million-element list must not build the whole string.
    r = reprlib.Repr()
    r.maxlevel = 4
    r.maxlist = r.maxtuple = r.maxdict = r.maxset = r.maxfrozenset = r.maxdeque = 30
    r.maxstring = r.maxother = r.maxlong = REPR_CAP
    return r


_REPR = _make_repr()


def encode(value: Any, *, cap: int = TENSOR_VALUES_CAP, total_cap: int = TOTAL_ITEMS_CAP) -> Any:
    """`value` as plain JSON data. Never raises for an odd value: it becomes a `__repr__`."""
    return _Encoder(cap, total_cap).encode(value, 0)


class _Encoder:
    def __init__(self, cap: int, total_cap: int) -> None:
        self.cap = cap
        self.budget = total_cap
        self.active: set[int] = set()  # ids of containers being encoded: a cycle becomes a repr

    def encode(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, bool | str):
            if isinstance(value, str) and len(value) > MAX_STR:
                return _repr(value)
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        torch = _torch()
        if torch is not None:
            if isinstance(value, torch.Size):
                return {"__size__": [int(d) for d in value]}
            if isinstance(value, torch.Tensor):
                return {"__tensor__": self.tensor(value, torch)}
        if isinstance(value, list | tuple | dict):
            return self.container(value, depth)
        numpy = sys.modules.get("numpy")
        if numpy is not None and torch is not None:
            if isinstance(value, numpy.generic):  # np.float32(1.5) and friends: a plain number
                return self.encode(value.item(), depth)
            if isinstance(value, numpy.ndarray) and value.dtype != object:
                with contextlib.suppress(Exception):  # an array is graded like a tensor
                    return {"__tensor__": self.tensor(torch.from_numpy(value), torch)}
        return _repr(value)

    def container(self, value: list[Any] | tuple[Any, ...] | dict[Any, Any], depth: int) -> Any:
        if depth >= MAX_DEPTH or len(value) > self.budget or id(value) in self.active:
            return _repr(value)
        if isinstance(value, dict) and not all(isinstance(k, str) for k in value):
            return _repr(value)
        self.budget -= len(value)
        self.active.add(id(value))
        try:
            if isinstance(value, dict):
                return {"__dict__": {k: self.encode(v, depth + 1) for k, v in value.items()}}
            items = [self.encode(v, depth + 1) for v in value]
        finally:
            self.active.discard(id(value))
        return {"__tuple__": items} if isinstance(value, tuple) else {"__list__": items}

    def tensor(self, t: Any, torch: Any) -> dict[str, Any]:
        info: dict[str, Any] = {
            "shape": [int(d) for d in t.shape],
            "dtype": str(t.dtype).removeprefix("torch."),
            "requires_grad": bool(t.requires_grad),
            "values": None,
            "summary": "",
            "device": str(t.device),
            "grad_fn": type(t.grad_fn).__name__ if t.grad_fn is not None else None,
            "is_leaf": bool(t.is_leaf),
        }
        try:
            plain = _to_plain_cpu(t, torch)
        except Exception as exc:  # sparse, nested, meta or quantized tensors: shape and type only
            info["summary"] = f"{_head(t)} ({type(exc).__name__}: {exc})"[:REPR_CAP]
            return info
        numel = int(plain.numel())
        if numel <= min(self.cap, self.budget) and not plain.is_complex():
            self.budget -= numel
            info["values"] = plain.tolist()
        info["summary"] = _summary(plain, torch)
        return info


def _torch() -> Any:
    # Never import torch here: a value can only be a tensor if torch is already imported.
    return sys.modules.get("torch")


def _to_plain_cpu(t: Any, torch: Any) -> Any:
    """A detached, dense CPU tensor with the same values."""
    plain = t.detach()
    if plain.is_sparse:
        plain = plain.to_dense()
    if plain.is_quantized:
        plain = plain.dequantize()
    if plain.device.type != "cpu":
        plain = plain.cpu()
    if plain.is_conj():
        plain = plain.resolve_conj()
    if plain.is_neg():
        plain = plain.resolve_neg()
    # A tensor subclass (nn.Parameter and friends) as a plain tensor.
    return plain.as_subclass(torch.Tensor)


def _head(t: Any) -> str:
    return f"{str(t.dtype).removeprefix('torch.')}{list(t.shape)}"


def _summary(t: Any, torch: Any) -> str:
    """One readable line: dtype, shape and, for numbers, min/max/mean and NaN count."""
    head = _head(t)
    if t.numel() == 0:
        return f"{head} (empty)"
    if t.dtype == torch.bool:
        return f"{head} true={int(t.sum())}"
    if t.is_complex():
        return f"{head} complex, |x| max={float(t.abs().max()):.4g}"
    if t.numel() == 1:
        return f"{head} {t.item()!r}"
    if t.numel() > SUMMARY_STATS_CAP:
        return head
    if t.is_floating_point():
        wide = t.double()
        finite = wide[torch.isfinite(wide)]
        nans = int(torch.isnan(wide).sum())
        parts = [head]
        if finite.numel():
            parts.append(
                f"min={float(finite.min()):.4g} max={float(finite.max()):.4g} "
                f"mean={float(finite.mean()):.4g}"
            )
        if nans:
            parts.append(f"nan={nans}")
        infs = int(torch.isinf(wide).sum())
        if infs:
            parts.append(f"inf={infs}")
        return " ".join(parts)
    return f"{head} min={int(t.min())} max={int(t.max())}"


def _repr(value: Any) -> dict[str, Any]:
    try:
        text = (
            _REPR.repr(value) if isinstance(value, list | tuple | dict | set | str) else repr(value)
        )
    except Exception as exc:
        text = f"<repr failed: {type(exc).__name__}: {exc}>"
    if len(text) > REPR_CAP:
        text = text[: REPR_CAP - 3] + "..."
    return {"__repr__": text, "type": type(value).__name__}
