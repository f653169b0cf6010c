"""The sandboxed child: confines itself, waits for one request, runs it, replies, exits.

Two ways in:
- `serve_forked`: a plain fork of the zygote (CPU runs): torch is already imported and warm;
- `main`: a fresh process (`python -m quizapp.runner.child`, fork + exec by the zygote) for
  CUDA/MPS runs, which initialises the device itself and never forks after that.

Either way the child speaks length-prefixed JSON on one socket: it sends {"op": "ready"}, reads
{"op": "run", "request": ...}, and answers {"op": "result", "result": ...} (stdout and stderr are
added by the zygote, which owns the capture files) or {"op": "fatal", "reason": ...}.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import io
import json
import linecache
import mmap
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from types import CodeType
from typing import Any

from quizapp.runner import confine, sandbox
from quizapp.runner.protocol import (
    RunError,
    RunRequest,
    RunResult,
    RunStatus,
    Step,
    encode_message,
    read_message,
)

SOCKET_FD = 3  # where a fresh child finds its socket
MAX_TRACEBACK = 20_000
MAX_MESSAGE = 2_000
EMERGENCY_RESERVE = 4 * 1024 * 1024
EVALUATE_LABEL = "evaluate"
_reserve: mmap.mmap | None = None  # freed on MemoryError so that the reply can still be built


# -- entry points ------------------------------------------------------------------------------
def serve_forked(
    sock: socket.socket,
    stdout_fd: int,
    stderr_fd: int,
    zygote_pid: int,
    device: str,
    *,
    prewarm: bool = True,
    heavy: bool = False,
    network_isolated: bool = False,
    scratch: str | None = None,
    landlock: confine.Landlock | None = None,
    last_cap: int = 40,
) -> None:
    """In a child just forked from the zygote. Never returns. `prewarm`: this is a spare,
    with time to pay its copy-on-write faults before a run arrives. `network_isolated`: the
    zygote already lives in an empty network namespace, which this child inherits. `scratch`:
    the run's own folder; `landlock`: the rules it confines itself to (None: no Landlock)."""
    try:
        os.setsid()
        sandbox.die_with_parent(zygote_pid)
        sandbox.reset_signals()
        keep = {0, 1, 2, sock.fileno(), stdout_fd, stderr_fd}
        sandbox.close_fds_except(keep | (landlock.fds if landlock else set()))
        sandbox.redirect_std_fds(stdout_fd, stderr_fd)
        for fd in (stdout_fd, stderr_fd):
            if fd > 2:
                os.close(fd)
        sandbox.prefer_oom_kill()
        isolated = network_isolated or sandbox.isolate_network()
        _enter_scratch(scratch)  # before the heavy imports: torch._dynamo caches the temp folder

        def confine_self() -> None:
            _confine(landlock, last_cap)

        _serve_or_report(
            sock, device, isolated, prewarm=prewarm, heavy=heavy, lock_down=confine_self
        )
    finally:
        os._exit(0)


def _enter_scratch(scratch: str | None) -> None:
    """The run's own folder as its working and temporary folder."""
    if not scratch:
        return
    os.chdir(scratch)
    for var in ("TMPDIR", "TMP", "TEMP"):
        os.environ[var] = scratch
    # Caches torch writes (an inherited TORCHINDUCTOR_CACHE_DIR may name a folder outside).
    for var, name in (("TORCHINDUCTOR_CACHE_DIR", "torchinductor"), ("TRITON_CACHE_DIR", "triton")):
        os.environ[var] = os.path.join(scratch, f".{name}")
    os.environ["XDG_CACHE_HOME"] = os.path.join(scratch, ".cache")
    import tempfile

    tempfile.tempdir = scratch
    dynamo = sys.modules.get("torch._dynamo")
    if dynamo is not None:  # imported by a --preload-heavy zygote, in the zygote's folder
        dynamo.config.debug_dir_root = os.path.join(scratch, "torch_compile_debug")


def _confine(landlock: confine.Landlock | None, last_cap: int) -> None:
    """Just before any code runs: no capabilities, and (with Landlock) no access outside what
    the rules allow: read the installation, write the working (scratch) folder."""
    confine.drop_privileges(last_cap)
    if landlock is not None:
        held = landlock.restrict(os.getcwd())
        landlock.close()
        if not held:  # promised to the user (filesystem_isolated): never run without it
            raise RuntimeError("Landlock refused the run's rules")


def main() -> None:
    """A fresh process for a device a fork cannot use (CUDA, MPS). Never returns."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--device", required=True)
    parser.add_argument("--zygote-pid", type=int, required=True)
    parser.add_argument("--scratch", default=None)
    parser.add_argument("--landlock", action="store_true")
    parser.add_argument("--own-proc", action="store_true")
    parser.add_argument("--private", action="append", default=[])
    args = parser.parse_args()
    sandbox.die_with_parent(args.zygote_pid)
    sandbox.prefer_oom_kill()
    # Before any thread exists (importing torch starts some): unshare needs a single thread.
    isolated = sandbox.isolate_network()
    sock = socket.socket(fileno=SOCKET_FD)
    try:
        import torch

        torch.set_num_threads(1)
        from quizapp.runner import device as device_mod

        device_mod.warm_up(args.device, torch)
    except BaseException as exc:
        reason = f"device {args.device} is not usable: {type(exc).__name__}: {exc}"
        if isolated:
            reason += f" (if it works outside the sandbox, try {sandbox.ENV_NO_NETNS}=1)"
        _send(sock, {"op": "fatal", "reason": reason})
        os._exit(0)
    sandbox.reset_signals()
    landlock = None
    if args.landlock:
        plan = confine.read_plan(tuple(args.private))
        landlock = confine.Landlock(
            plan,
            confine.landlock_abi(),
            device_access=args.device != "cpu",
            all_of_proc=args.own_proc,
        )

    _enter_scratch(args.scratch)

    def confine_self() -> None:
        _confine(landlock, confine.last_capability())

    _serve_or_report(sock, args.device, isolated, lock_down=confine_self)
    os._exit(0)


def _serve(
    sock: socket.socket,
    device: str,
    isolated: bool,
    *,
    prewarm: bool = True,
    heavy: bool = False,
    lock_down: Callable[[], None] | None = None,
) -> None:
    global _reserve
    reader = sock.makefile("rb")
    # Address space held back (never touched, so free to map) and released on MemoryError.
    _reserve = mmap.mmap(-1, EMERGENCY_RESERVE)
    if heavy and "torch._dynamo" not in sys.modules:
        import_heavy()
    if lock_down is not None:  # after the heavy imports (they read what they like), before code
        lock_down()
    if prewarm:
        _prewarm(device)
    _send(sock, {"op": "ready", "network_isolated": isolated, "pid": os.getpid()})
    message = read_message(reader)
    if message is None or message.get("op") != "run":
        return
    request = RunRequest.from_json(message["request"])
    run_device = request.device or device
    sandbox.apply_limits(
        memory_mb=request.memory_mb,
        timeout=request.timeout,
        max_output_bytes=request.max_output_bytes,
        use_data=run_device != "cpu",
    )
    _install_std_streams(request.max_output_bytes)
    result = execute(request, run_device)
    _flush_std_streams()
    try:
        frame = encode_message({"op": "result", "result": _to_json_safely(result)})
    except ValueError as exc:  # a value too large to send back
        error = RunError(type="ValueError", message=f"the result cannot be returned: {exc}")
        lean = RunResult(status=RunStatus.ERROR, error=error, device=run_device)
        frame = encode_message({"op": "result", "result": lean.to_json()})
    sock.sendall(frame)


def _serve_or_report(
    sock: socket.socket,
    device: str,
    isolated: bool,
    *,
    prewarm: bool = True,
    heavy: bool = False,
    lock_down: Callable[[], None] | None = None,
) -> None:
    """`_serve`, with a failure of the child itself reported as such (never a silent exit)."""
    try:
        _serve(sock, device, isolated, prewarm=prewarm, heavy=heavy, lock_down=lock_down)
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            reason = "".join(traceback.format_exception(exc))[-MAX_TRACEBACK:]
            _send(sock, {"op": "fatal", "reason": f"the sandboxed child failed: {reason}"})
        os._exit(70)


def _send(sock: socket.socket, payload: dict[str, Any]) -> None:
    sock.sendall(encode_message(payload))


def import_heavy() -> None:
    """What an optimizer's first step() imports (torch._dynamo, ~1.5 s) and what a backward
    with an explicit gradient imports (sympy, ~0.4 s): in a heavy spare, or once in a zygote
    started with --preload-heavy."""
    import torch

    with contextlib.suppress(Exception):
        weight = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([weight], lr=0.1)
        (weight * 2).backward(torch.ones(2))
        opt.step()


def _prewarm(device: str) -> None:
    """Does, before the request arrives, what every run does: in a forked child the first
    touch of each page the run needs costs a copy (copy-on-write), ~5-10 ms in all for a
    trivial run. Done here, a spare child has paid it before the run is even sent."""
    code = "x = torch.ones(3, requires_grad=True) * 2\ny = (x * x).sum()\ny.backward()"
    warm = RunRequest(steps=(Step(code, "warm"),), evaluate="(x.shape, y, [1, 2.5], {'k': x})")
    with contextlib.suppress(Exception):
        encode_message(_to_json_safely(execute(warm, device)))


# -- the run -----------------------------------------------------------------------------------
def execute(request: RunRequest, device: str) -> RunResult:
    """Runs the steps and the evaluation in a fresh namespace; every failure becomes data."""
    import torch

    global _reserve
    started = time.perf_counter()
    namespace = build_namespace(request, device, torch)
    error: RunError | None = None
    value: Any = None
    labels = {f"<{step.label}>" for step in request.steps} | {f"<{EVALUATE_LABEL}>"}
    try:
        torch.manual_seed(request.seed)
        import random

        random.seed(request.seed)
        with _recording(namespace, request):
            for step in request.steps:
                code = _compile(step.code, step.label, "exec")
                exec(code, namespace)
        if request.evaluate is not None:
            expr = _compile(request.evaluate, EVALUATE_LABEL, "eval")
            value = eval(expr, namespace)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included: never a pass
        if isinstance(exc, MemoryError) or _is_out_of_memory(exc):
            if _reserve is not None:
                _reserve.close()
                _reserve = None
            namespace.clear()
            gc.collect()
        error = describe_error(exc, labels, request.memory_mb)
        value = None
    duration_ms = (time.perf_counter() - started) * 1000
    encoded: Any = None
    if error is None and request.evaluate is not None:
        try:
            from quizapp.runner.values import encode

            encoded = encode(value)
        except BaseException as exc:
            error = RunError(type=type(exc).__name__, message=f"cannot encode the value: {exc}")
    instruments = None
    if request.instruments:
        instruments = _run_instruments(namespace, request.instruments)
    return RunResult(
        status=RunStatus.ERROR if error else RunStatus.OK,
        value=encoded,
        error=error,
        duration_ms=round(duration_ms, 3),
        device=device,
        torch_version=str(torch.__version__),
        instruments=instruments,
    )


def build_namespace(request: RunRequest, device: str, torch: Any) -> dict[str, Any]:
    import torch.nn
    import torch.nn.functional

    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__builtins__": builtins,
        "torch": torch,
        "nn": torch.nn,
        "F": torch.nn.functional,
        "device": torch.device(device),
        "seed": request.seed,
    }
    namespace.update(request.params)
    return namespace


def _compile(source: str, label: str, mode: str) -> CodeType:
    filename = f"<{label}>"
    # Registered so that tracebacks show the offending source line.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, mode, dont_inherit=True)


def _is_out_of_memory(exc: BaseException) -> bool:
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    if isinstance(exc, RuntimeError):
        text = str(exc)
        return "can't allocate memory" in text or "not enough memory" in text
    return False


def describe_error(exc: BaseException, labels: set[str], memory_mb: int) -> RunError:
    """The error as data: type, message, a traceback of the user's frames, step label and line."""
    step: str | None = None
    line: int | None = None
    if isinstance(exc, SyntaxError) and exc.filename in labels:
        step, line = exc.filename[1:-1], exc.lineno
    else:
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            filename = frame.f_code.co_filename
            if filename in labels:
                step, line = filename[1:-1], lineno
    type_name = type(exc).__name__
    message = _message(exc)
    if _is_out_of_memory(exc) and not isinstance(exc, MemoryError):
        message = f"out of memory (the limit is {memory_mb} MB more): {message}"
        type_name = "MemoryError"
    elif isinstance(exc, MemoryError):
        message = message or f"out of memory (the limit is {memory_mb} MB more)"
    return RunError(
        type=type_name,
        message=message[:MAX_MESSAGE],
        traceback=_format_traceback(exc, labels)[-MAX_TRACEBACK:],
        step=step,
        line=line,
    )


def _message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return str(exc.msg)
    if isinstance(exc, SystemExit):
        return f"the code called exit({exc.code!r})"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    try:
        return str(exc)
    except Exception:
        return ""


def _format_traceback(exc: BaseException, labels: set[str]) -> str:
    """The traceback from the first frame of the user's code on (the child's frames dropped)."""
    try:
        tbe = traceback.TracebackException.from_exception(exc, limit=50)
        stack = tbe.stack
        for i, frame in enumerate(stack):
            if frame.filename in labels:
                tbe.stack = traceback.StackSummary.from_list(list(stack)[i:])
                break
        return "".join(tbe.format())
    except Exception:
        return f"{type(exc).__name__}: {_message(exc)}\n"


def _recording(
    namespace: dict[str, Any], request: RunRequest
) -> contextlib.AbstractContextManager[Any]:
    """With instruments asked for, the steps' top-level module calls are remembered (so an auto
    trace can replay `model(torch.randn(...))`); otherwise nothing is hooked."""
    if not request.instruments:
        return contextlib.nullcontext()
    try:
        from quizapp.runner.instruments import record_calls

        return record_calls(namespace)
    except Exception:
        return contextlib.nullcontext()


def _run_instruments(namespace: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Explain-by-running data from quizapp.runner.instruments; its failure never fails the run."""
    try:
        from quizapp.runner import instruments  # type: ignore[attr-defined,unused-ignore]

        data = instruments.run_instruments(namespace, spec)
        json.dumps(data, allow_nan=True)
    except BaseException as exc:
        return {"error": f"instruments failed: {type(exc).__name__}: {exc}"[:MAX_MESSAGE]}
    if not isinstance(data, dict):
        return {"value": data}
    return data


def _to_json_safely(result: RunResult) -> dict[str, Any]:
    data = result.to_json()
    try:
        json.dumps(data, allow_nan=True)
    except (TypeError, ValueError) as exc:
        data["value"] = {"__repr__": f"<not JSON: {exc}>", "type": "error"}
        data["instruments"] = None
    return data


# -- captured output ---------------------------------------------------------------------------
class CappedWriter(io.TextIOBase):
    """A text stream straight onto a file descriptor that keeps the first `cap` bytes only.

    One byte past the cap is written so that the zygote, which reads the file, can tell the
    output was truncated. Unbuffered: what was printed before a crash is not lost.
    """

    def __init__(self, fd: int, cap: int) -> None:
        super().__init__()
        self._fd = fd
        self._left = cap + 1

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._fd

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if self._left > 0 and s:
            data = s[: self._left].encode("utf-8", "replace")[: self._left]
            with contextlib.suppress(OSError):
                os.write(self._fd, data)
            self._left -= len(data)
        return len(s)

    def flush(self) -> None:
        pass


def _install_std_streams(cap: int) -> None:
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    sys.stdout = CappedWriter(1, cap)
    sys.stderr = CappedWriter(2, cap)


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


if __name__ == "__main__":
    main()
