"""The child side of quizapp.runner.alternatives: runs each alternative in a fresh namespace.

Imported only inside the sandboxed child, by the one step an alternatives run has. Code
alternatives (a wrong solution and its check) each run in a forked process of their own, since
checks replace built-ins to forbid them; for the others, the global state a setup may change
(the default dtype, grad mode) is restored between alternatives, so that one alternative cannot
leak into the next.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import types
from collections.abc import Iterator
from typing import Any

from quizapp.runner.alternatives import (
    BASE_NAMES,
    CHUNK,
    MAX_SIZES,
    MAX_STDOUT,
    Alternative,
    AlternativesSpec,
    Outcome,
    Patch,
)


# -- in the child ------------------------------------------------------------------------------
def run_in_child(namespace: dict[str, Any], spec_text: str) -> list[str]:
    """Runs every alternative of the spec in `namespace` (the run's own); returns the outcomes
    as JSON text in chunks. Never raises for an alternative's failure: it becomes its outcome."""
    import json

    spec = AlternativesSpec.from_json(json.loads(spec_text))
    base = {name: namespace[name] for name in BASE_NAMES if name in namespace}
    outcomes = [_run_isolated(alt, base, spec.params) for alt in spec.alternatives]
    text = json.dumps(outcomes, allow_nan=True)
    return [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [text]


def _run_isolated(alt: Alternative, base: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A code alternative (a wrong solution and the question's check) runs in a forked process
    of its own: checks monkeypatch built-ins (F.linear, softmax) to forbid them, and wrong code
    may patch anything or end the process, none of which may reach the next alternative.
    Expression and setup alternatives run here (they are cheap and patch nothing by design)."""
    import json
    import os

    if alt.check is None:
        return _run_one(alt, base, params).to_json()
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        return _run_one(alt, base, params).to_json()
    if pid == 0:  # pragma: no cover - runs in the forked process
        code = 0
        try:
            os.close(read_fd)
            data = json.dumps(_run_one(alt, base, params).to_json(), allow_nan=True).encode()
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        blob = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        return dict(json.loads(blob))
    except ValueError:
        from quizapp.runner.protocol import RunError

        how = (
            f"signal {-os.waitstatus_to_exitcode(status)}"
            if os.WIFSIGNALED(status)
            else (f"exit code {os.waitstatus_to_exitcode(status)}")
        )
        error = RunError(type="Died", message=f"the code ended its process ({how})", traceback="")
        return Outcome(alt.key, False, error=error).to_json()


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
    sizes: tuple[int, ...] = ()
    try:
        torch.manual_seed(int(base.get("seed", 0)))
        random.seed(int(base.get("seed", 0)))
        with _patched(alt.patch, namespace), contextlib.redirect_stdout(captured):
            exec(_compile(alt.setup, "setup", "exec"), namespace)
            # Right after the setup: what the setup built, whatever the rest does.
            sizes = _sizes(namespace, torch) if alt.sizes else ()
            if alt.code is not None:
                exec(_compile(alt.code, "your code", "exec"), namespace)
            if alt.check is not None:
                exec(_compile(alt.check, "check", "exec"), namespace)
            if alt.evaluate is not None:
                value = eval(_compile(alt.evaluate, EVALUATE_LABEL, "eval"), namespace)
        encoded = encode(value) if alt.evaluate is not None else None
        return Outcome(alt.key, True, encoded, captured.getvalue()[:MAX_STDOUT], sizes=sizes)
    except BaseException as exc:  # SystemExit included: an alternative never ends the run
        error = describe_error(exc, labels, 0)
        stdout = captured.getvalue()[:MAX_STDOUT]
        return Outcome(alt.key, False, stdout=stdout, error=error, sizes=sizes)
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

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and callable(args[0]):
            return args[0]  # `@torch.no_grad` without parentheses: the function itself
        return super().__new__(cls)

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


GRAD_SWITCHES = ("no_grad", "inference_mode", "enable_grad", "set_grad_enabled")
# Where the setup can reach the switches from: torch, torch.autograd, torch.autograd.grad_mode.
_SWITCH_HOMES = {
    "torch": ("autograd",),
    "torch.autograd": ("grad_mode",),
    "torch.autograd.grad_mode": (),
}


class _WithoutGradModes:
    """A torch module as the setup sees it under Patch.GRAD_MODE: the grad-mode switches do
    nothing, through `torch.no_grad`, `torch.autograd.no_grad` or `torch.autograd.grad_mode`.

    Only the setup's own names are replaced, never the modules: torch's own code (nn.init
    fills weights under no_grad) keeps working."""

    def __init__(self, module: Any, name: str) -> None:
        self.__dict__["_module"] = module
        self.__dict__["_name"] = name

    def __getattr__(self, attr: str) -> Any:
        module, name = self.__dict__["_module"], self.__dict__["_name"]
        if attr in GRAD_SWITCHES:
            return _NoGradMode
        if attr in _SWITCH_HOMES.get(name, ()):
            return _WithoutGradModes(getattr(module, attr), f"{name}.{attr}")
        return getattr(module, attr)


def _import_without_grad_modes(real_import: Any) -> Any:
    """`__import__` for the setup under Patch.GRAD_MODE: `import torch` and `from torch import
    no_grad` (or from torch.autograd / torch.autograd.grad_mode) get the switches that do
    nothing, so a setup that imports them by name is rerun as the believer thinks too."""

    def patched(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        module = real_import(name, globals, locals, fromlist, level)
        if level != 0 or not (name == "torch" or name.startswith("torch.")):
            return module
        if fromlist:  # `from torch.autograd import no_grad`: the named module itself
            return _WithoutGradModes(module, name) if name in _SWITCH_HOMES else module
        return _WithoutGradModes(module, "torch")  # `import torch.x` binds `torch`

    return patched


@contextlib.contextmanager
def _patched(patch: Patch, namespace: dict[str, Any]) -> Iterator[None]:
    if patch is Patch.NONE:
        yield
        return
    import torch

    if patch is Patch.GRAD_MODE:
        namespace["torch"] = _WithoutGradModes(torch, "torch")
        real = namespace.get("__builtins__", builtins)
        table = dict(vars(real)) if isinstance(real, types.ModuleType) else dict(real)
        table["__import__"] = _import_without_grad_modes(table["__import__"])
        namespace["__builtins__"] = table  # this alternative's namespace only
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
