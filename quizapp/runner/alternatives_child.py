"""The child side of quizapp.runner.alternatives: runs each alternative in a fresh namespace.

Imported only inside the sandboxed child, by the one step an alternatives run has. Global state
a setup may change (the default dtype, grad mode) is restored between alternatives, so that one
alternative cannot leak into the next.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

from quizapp.runner.alternatives import (
    BASE_NAMES,
    CHUNK,
    MAX_SIZES,
    MAX_STDOUT,
    SPEC_NAME,
    Alternative,
    AlternativesSpec,
    Outcome,
    Patch,
)


# -- in the child ------------------------------------------------------------------------------
def run_in_child(namespace: dict[str, Any]) -> list[str]:
    """Runs every alternative of the spec in `namespace` (the run's own); returns the outcomes
    as JSON text in chunks. Never raises for an alternative's failure: it becomes its outcome."""
    import json

    spec = AlternativesSpec.from_json(namespace[SPEC_NAME])
    base = {name: namespace[name] for name in BASE_NAMES if name in namespace}
    outcomes = [_run_one(alt, base, spec.params).to_json() for alt in spec.alternatives]
    text = json.dumps(outcomes, allow_nan=True)
    return [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [text]


def _run_one(alt: Alternative, base: dict[str, Any], params: dict[str, Any]) -> Outcome:
    import random

    import torch

    from quizapp.runner.child import EVALUATE_LABEL, _compile, describe_error
    from quizapp.runner.values import encode

    namespace = {**base, **params}
    labels = {"<setup>", "<your code>", "<check>", f"<{EVALUATE_LABEL}>"}
    captured = io.StringIO()
    dtype, grad_enabled = torch.get_default_dtype(), torch.is_grad_enabled()
    value: Any = None
    try:
        torch.manual_seed(int(base.get("seed", 0)))
        random.seed(int(base.get("seed", 0)))
        with _patched(alt.patch, namespace), contextlib.redirect_stdout(captured):
            exec(_compile(alt.setup, "setup", "exec"), namespace)
            if alt.code is not None:
                exec(_compile(alt.code, "your code", "exec"), namespace)
            if alt.check is not None:
                exec(_compile(alt.check, "check", "exec"), namespace)
            if alt.evaluate is not None:
                value = eval(_compile(alt.evaluate, EVALUATE_LABEL, "eval"), namespace)
        encoded = encode(value) if alt.evaluate is not None else None
        sizes = _sizes(namespace, torch) if alt.sizes else ()
        return Outcome(alt.key, True, encoded, captured.getvalue()[:MAX_STDOUT], sizes=sizes)
    except BaseException as exc:  # SystemExit included: an alternative never ends the run
        error = describe_error(exc, labels, 0)
        return Outcome(alt.key, False, stdout=captured.getvalue()[:MAX_STDOUT], error=error)
    finally:
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad_enabled)


def _sizes(namespace: dict[str, Any], torch: Any) -> tuple[int, ...]:
    """Dimension sizes (> 1) of the tensors and module parameters the setup left behind, and
    the tensors' element counts (a sum where a mean was meant is off by that)."""
    found: set[int] = set()
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        tensors: list[Any] = []
        if isinstance(value, torch.Tensor):
            tensors.append(value)
        elif isinstance(value, torch.nn.Module):
            tensors.extend(value.parameters())
        for tensor in tensors:
            found.update(int(d) for d in tensor.shape if int(d) > 1)
            if isinstance(value, torch.Tensor) and tensor.numel() > 1:
                found.add(int(tensor.numel()))
    return tuple(sorted(found))[:MAX_SIZES]


class _NoGradMode:
    """Stands in for no_grad() & co.: a context manager and decorator that does nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

    def __call__(self, func: Any) -> Any:
        return func

    def clone(self) -> _NoGradMode:
        return self


class _TorchWithoutGradModes:
    """`torch` as the setup sees it under Patch.GRAD_MODE: the grad-mode switches do nothing.

    Only the setup's own `torch` name is replaced, never the module: torch's own code (nn.init
    fills weights under no_grad) keeps working."""

    def __init__(self, torch: Any) -> None:
        self.__dict__["_torch"] = torch

    def __getattr__(self, name: str) -> Any:
        if name in ("no_grad", "inference_mode", "enable_grad", "set_grad_enabled"):
            return _NoGradMode
        return getattr(self.__dict__["_torch"], name)


@contextlib.contextmanager
def _patched(patch: Patch, namespace: dict[str, Any]) -> Iterator[None]:
    if patch is Patch.NONE:
        yield
        return
    import torch

    if patch is Patch.GRAD_MODE:
        namespace["torch"] = _TorchWithoutGradModes(torch)
        yield
        return
    original = torch.nn.Module.train

    def inverted(self: Any, mode: bool = True) -> Any:
        for module in self.modules():
            module.training = not mode
        return self

    torch.nn.Module.train = inverted  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.nn.Module.train = original  # type: ignore[method-assign]
