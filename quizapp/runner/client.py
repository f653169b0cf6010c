"""The parent's side of the runner: starts the zygote, sends it runs, restarts it when it dies.

Never imports torch (the UI and CLI processes stay light). Thread-safe: any number of threads
may call `Runner.run` at once; each run is a fresh child process in the zygote.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from quizapp.runner.protocol import (
    RunError,
    RunRequest,
    RunResult,
    RunStatus,
    read_message,
    write_message,
)

STARTUP_TIMEOUT_S = 180.0  # import torch on a cold disk can take long; normally ~2 s
GRACE_S = 10.0  # past a run's own timeout, how long the zygote may take to answer
FRESH_GRACE_S = 200.0  # the same for runs in fresh processes (CUDA/MPS start-up included)
SHUTDOWN_WAIT_S = 2.0
MAX_RESTARTS = 5  # within RESTART_WINDOW_S; past that the runner stays failed
RESTART_WINDOW_S = 60.0
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class RunnerUnavailable(Exception):
    """The runner cannot run code; `reason` says why in words a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RunnerInfo:
    device: str
    torch_version: str
    python: str
    network_isolated: bool
    pid: int  # the zygote's
    startup_s: float  # from launch to ready, as measured by the parent


@dataclass(frozen=True)
class RunnerState:
    phase: str  # "starting" | "ready" | "failed" | "stopped"
    device: str | None = None
    torch_version: str | None = None
    reason: str | None = None
    network_isolated: bool | None = None


def _runner_error(message: str, kind: str = "RunnerUnavailable") -> RunResult:
    return RunResult(status=RunStatus.RUNNER_ERROR, error=RunError(type=kind, message=message))


class _Pending:
    __slots__ = ("died", "event", "result")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.result: RunResult | None = None
        self.died: str | None = None


class _Died:
    """The zygote died (or was closed) while a run was in flight."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Zygote:
    """One zygote process, the thread that starts it and then reads its results."""

    def __init__(
        self,
        python: str,
        device: str | None,
        spare: bool,
        on_death: Callable[[_Zygote], None] | None = None,
        failed: str | None = None,
    ) -> None:
        self.python = python
        self.device = device
        self.spare = spare
        self.on_death = on_death
        self.ready = threading.Event()
        self.info: RunnerInfo | None = None
        self.reason: str | None = failed
        self.dead = failed is not None
        self.closing = False
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr: IO[bytes] | None = None
        self.workdir: str | None = None
        self.lock = threading.Lock()  # proc, closing, pending
        self.write_lock = threading.Lock()
        self.pending: dict[int, _Pending] = {}
        self.ids = itertools.count(1)
        self.thread = threading.Thread(target=self._main, name="quizapp-runner", daemon=True)
        if failed is not None:
            self.ready.set()

    def start(self) -> None:
        if not self.dead:
            self.thread.start()

    # -- the zygote's thread -------------------------------------------------------------------
    def _main(self) -> None:
        started = time.monotonic()
        try:
            proc = self._launch()
        except OSError as exc:
            self._fail(f"cannot start the runner with {self.python}: {exc}")
            return
        if proc is None:  # closed before it started
            self._fail("the runner was closed")
            return
        assert proc.stdout is not None
        watchdog = threading.Timer(STARTUP_TIMEOUT_S, self._kill)
        watchdog.daemon = True
        watchdog.start()
        try:
            hello = read_message(cast(BinaryIO, proc.stdout))
        except (EOFError, ValueError, OSError):
            hello = None
        finally:
            watchdog.cancel()
        if hello is None or hello.get("op") != "hello":
            self._kill()
            reason = hello.get("reason") if hello and hello.get("op") == "fatal" else None
            self._fail(str(reason) if reason else self._exit_reason(started))
            return
        self.info = RunnerInfo(
            device=str(hello["device"]),
            torch_version=str(hello["torch_version"]),
            python=str(hello.get("python", self.python)),
            network_isolated=bool(hello.get("network_isolated")),
            pid=int(hello["pid"]),
            startup_s=round(time.monotonic() - started, 3),
        )
        self.ready.set()
        self._read_results(cast(BinaryIO, proc.stdout))

    def _launch(self) -> subprocess.Popen[bytes] | None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = "1"
        argv = [self.python, "-m", "quizapp.runner.zygote", "--device", self.device or "auto"]
        if not self.spare:
            argv.append("--no-spare")
        with self.lock:
            if self.closing:
                return None
            # Runs start in a private scratch folder, not in the user's working directory.
            self.workdir = tempfile.mkdtemp(prefix="quizapp-runner-")
            self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _cleanup
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                cwd=self.workdir,
                env=env,
                start_new_session=True,  # Ctrl-C in the terminal is not for the zygote
                close_fds=True,
            )
            return self.proc

    def _read_results(self, stream: BinaryIO) -> None:
        while True:
            try:
                message = read_message(stream)
            except (EOFError, ValueError, OSError):
                message = None
            if message is None:
                break
            if message.get("op") != "result":
                continue
            with self.lock:
                pending = self.pending.pop(int(message.get("id", -1)), None)
            if pending is None:
                continue
            try:
                pending.result = RunResult.from_json(dict(message["result"]))
            except (KeyError, TypeError, ValueError) as exc:
                pending.result = _runner_error(f"a malformed result: {exc}", "RunnerError")
            pending.event.set()
        self._died("the runner stopped" if self.closing else "the runner process died")

    def _died(self, reason: str) -> None:
        with self.lock:
            self.dead = True
            pending, self.pending = list(self.pending.values()), {}
        for p in pending:
            p.died = reason
            p.event.set()
        self._kill()
        self._cleanup()
        if not self.closing and self.on_death is not None:
            self.on_death(self)

    def _fail(self, reason: str) -> None:
        self.reason = reason
        self.dead = True
        self._cleanup()
        self.ready.set()

    def _exit_reason(self, started: float) -> str:
        code = None
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.proc.wait(SHUTDOWN_WAIT_S)
        tail = ""
        if self.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                self.stderr.seek(0)
                tail = self.stderr.read().decode("utf-8", "replace").strip()[-1500:]
        if time.monotonic() - started >= STARTUP_TIMEOUT_S:
            return f"the runner did not start within {STARTUP_TIMEOUT_S:g} s"
        if "No module named 'quizapp'" in tail:
            return f"quizapp cannot be imported by {self.python}: install it there (make setup)"
        return f"the runner exited during start-up (exit code {code}): {tail or 'no output'}"

    def _kill(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()

    def _cleanup(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(SHUTDOWN_WAIT_S)
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError, ValueError):
                    if stream is not None:
                        stream.close()
        if self.stderr is not None:
            with contextlib.suppress(OSError):
                self.stderr.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- callers' threads ----------------------------------------------------------------------
    def submit(self, request: RunRequest, cancel: threading.Event | None) -> RunResult | _Died:
        try:
            payload = request.to_json()
        except (TypeError, ValueError) as exc:
            return _runner_error(f"the request cannot be sent: {exc}", "RunnerError")
        run_id = next(self.ids)
        pending = _Pending()
        with self.lock:
            if self.dead or self.proc is None:
                return _Died("the runner is not running")
            self.pending[run_id] = pending
        try:
            self._send({"op": "run", "id": run_id, "request": payload})
        except (OSError, ValueError) as exc:
            with self.lock:
                self.pending.pop(run_id, None)
            if isinstance(exc, ValueError) and "exceeds" in str(exc):
                return _runner_error(f"the request cannot be sent: {exc}", "RunnerError")
            return _Died(f"the runner is not reachable: {exc}")
        device = request.device or (self.info.device if self.info else "cpu")
        grace = GRACE_S if device == "cpu" else FRESH_GRACE_S
        deadline = time.monotonic() + max(request.timeout, 0.0) + grace
        cancel_sent = False
        while not pending.event.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            step = min(remaining, 0.05) if cancel is not None else remaining
            if pending.event.wait(step):
                break
            if cancel is not None and cancel.is_set() and not cancel_sent:
                cancel_sent = True
                with contextlib.suppress(OSError, ValueError):
                    self._send({"op": "cancel", "id": run_id})
        if not pending.event.is_set():
            with self.lock:
                self.pending.pop(run_id, None)
            self._kill()  # wedged: its reader thread sees the end and a fresh one starts
            return _runner_error(
                f"the runner did not answer within {request.timeout + grace:g} s; restarting it",
                "RunnerError",
            )
        if pending.died is not None:
            return _Died(pending.died)
        assert pending.result is not None
        return pending.result

    def _send(self, payload: dict[str, Any]) -> None:
        proc = self.proc
        if proc is None or proc.stdin is None:
            raise OSError("no runner process")
        with self.write_lock:
            write_message(cast(BinaryIO, proc.stdin), payload)

    def close(self) -> None:
        with self.lock:
            self.closing = True
            proc = self.proc
        if proc is not None and not self.ready.is_set():
            self._kill()  # still importing torch: nothing to shut down gracefully
        elif proc is not None:
            with contextlib.suppress(OSError, ValueError):
                self._send({"op": "shutdown"})
            with contextlib.suppress(OSError, ValueError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(SHUTDOWN_WAIT_S)
            except subprocess.TimeoutExpired:
                self._kill()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(SHUTDOWN_WAIT_S + 1)
        self._died("the runner was closed")


class Runner:
    """Runs PyTorch code in sandboxed child processes of a zygote that imported torch once.

    `device`: None or "auto" (cuda, then mps, then cpu), "cpu", "cuda", "cuda:N" or "mps".
    `spare`: keep one pre-forked child waiting (a run then costs ~10 ms instead of ~17 ms).
    `python`: the interpreter that has torch (default: this one).
    """

    def __init__(
        self, device: str | None = None, *, spare: bool = True, python: str | None = None
    ) -> None:
        self.device = device
        self.spare = spare
        self.python = python or sys.executable
        self._lock = threading.Lock()
        self._zygote: _Zygote | None = None
        self._closed = False
        self._restarts: list[float] = []
        self._last_info: RunnerInfo | None = None
        _live.add(self)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Starts the zygote in the background (import torch takes ~2 s); returns at once.
        Starting again after a failure tries again."""
        with self._lock:
            if self._closed:
                return
            z = self._zygote
            if z is None or (z.ready.is_set() and z.dead):
                self._zygote = self._spawn()

    def wait_ready(self, timeout: float | None = None) -> RunnerInfo:
        """Blocks until the zygote is ready. Raises RunnerUnavailable (with the reason) if it
        failed, is closed, or is still starting after `timeout` seconds."""
        with self._lock:
            if self._zygote is None and not self._closed:
                self._zygote = self._spawn()
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                z = self._zygote
            if z is None:
                raise RunnerUnavailable("the runner is closed")
            left = None if end is None else max(0.0, end - time.monotonic())
            if not z.ready.wait(left):
                raise RunnerUnavailable(f"the runner is still starting after {timeout:g} s")
            if z.info is None:
                raise RunnerUnavailable(z.reason or "the runner failed to start")
            with self._lock:
                current = self._zygote
            if current is z or current is None:
                if current is None:
                    raise RunnerUnavailable("the runner is closed")
                return z.info
            # It died and was replaced meanwhile: wait for the new one.

    @property
    def state(self) -> RunnerState:
        with self._lock:
            z, closed = self._zygote, self._closed
        info = (z.info if z else None) or self._last_info
        if closed or z is None:
            phase, reason = "stopped", None
        elif not z.ready.is_set():
            phase, reason = "starting", None
        elif z.info is None:
            phase, reason = "failed", z.reason
        else:
            phase, reason = ("starting" if z.dead else "ready"), None
        return RunnerState(
            phase,
            device=info.device if info else None,
            torch_version=info.torch_version if info else None,
            reason=reason,
            network_isolated=info.network_isolated if info else None,
        )

    def close(self) -> None:
        """Stops the zygote and every child. Idempotent; also runs at interpreter exit."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            z, self._zygote = self._zygote, None
        if z is not None:
            z.close()

    def __enter__(self) -> Runner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running -------------------------------------------------------------------------------
    def run(self, request: RunRequest, *, cancel: threading.Event | None = None) -> RunResult:
        """Runs `request` in a fresh child. Never raises for anything the code does; a sandbox
        failure is status RUNNER_ERROR. If the zygote dies mid-run the run is retried once on a
        fresh zygote. Setting `cancel` kills the run (status RUNNER_ERROR, type Cancelled)."""
        for _attempt in range(2):
            try:
                self.wait_ready(STARTUP_TIMEOUT_S)
            except RunnerUnavailable as exc:
                return _runner_error(exc.reason)
            with self._lock:
                z = self._zygote
            if z is None:
                return _runner_error("the runner is closed")
            outcome = z.submit(request, cancel)
            if isinstance(outcome, RunResult):
                return outcome
            if self._closed:
                return _runner_error("the runner was closed during the run")
            if cancel is not None and cancel.is_set():
                return _runner_error("the run was cancelled", "Cancelled")
            self._replace(z)
        return _runner_error("the runner died twice while running this code", "RunnerError")

    # -- internals -----------------------------------------------------------------------------
    def _spawn(self) -> _Zygote:
        ref = weakref.ref(self)

        def on_death(dead: _Zygote) -> None:
            runner = ref()
            if runner is not None:
                runner._replace(dead)

        z = _Zygote(self.python, self.device, self.spare, on_death)
        z.start()
        return z

    def _replace(self, dead: _Zygote) -> None:
        """A fresh zygote for one that died (once, however many runs noticed)."""
        with self._lock:
            if self._closed or self._zygote is not dead:
                return
            if dead.info is not None:
                self._last_info = dead.info
            now = time.monotonic()
            self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW_S]
            if len(self._restarts) >= MAX_RESTARTS:
                reason = (
                    f"the runner died {len(self._restarts)} times in {RESTART_WINDOW_S:g} s; "
                    "call start() to try again"
                )
                self._zygote = _Zygote(self.python, self.device, self.spare, failed=reason)
                self._restarts.clear()
                return
            self._restarts.append(now)
            self._zygote = self._spawn()


_live: weakref.WeakSet[Runner] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for runner in list(_live):
        with contextlib.suppress(Exception):
            runner.close()
