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
    WALL_EXTRA_MAX_S,
    RunError,
    RunRequest,
    RunResult,
    RunStatus,
    read_message,
    write_message,
)

STARTUP_TIMEOUT_S = 180.0  # import torch on a cold disk can take long; normally ~2 s
# Past a run's own timeout, how long the zygote may take to answer: the run's wall-clock cap
# (the zygote's to enforce), then 2 s.
GRACE_S = WALL_EXTRA_MAX_S + 2.0
FRESH_GRACE_S = 200.0  # the same for runs in fresh processes (CUDA/MPS start-up included)
SHUTDOWN_WAIT_S = 2.0
MAX_RESTARTS = 5  # idle deaths within RESTART_WINDOW_S; past that the runner stays failed
RESTART_WINDOW_S = 60.0
STOPPED_CHECK_S = 0.25  # how often a run past its time checks that the zygote is not stopped
# Not passed on to the zygote (so not visible to code in its environment): where the user's
# data lives. QUIZAPP_RUNNER_* (the runner's own switches) are passed on.
PRIVATE_ENV = ("QUIZAPP_", "DATABASE_URL", "PGPASSWORD", "PGPASSFILE", "PGHOST", "PGSERVICEFILE")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class RunnerUnavailable(Exception):
    """The runner cannot run code; `reason` says why in words a user can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Sandbox:
    """What confines runs on this machine (docs/runner.md has the table of threats)."""

    network_isolated: bool = False  # an empty network namespace
    filesystem_isolated: bool = False  # Landlock and/or the mount namespace confine files
    landlock_abi: int = 0  # 0: no Landlock
    mount_namespace: bool = False  # /tmp, /run, $HOME hidden; all read-only; write cap holds
    pid_namespace: bool = False  # the zygote is init: no process outlives the runner
    notes: tuple[str, ...] = ()  # what could not be set up, and why

    def describe(self) -> str:
        """One short line: what holds here."""
        held = [
            name
            for name, on in (
                ("network", self.network_isolated),
                ("files", self.filesystem_isolated),
                ("processes", self.pid_namespace),
            )
            if on
        ]
        if not held:
            return "not sandboxed (runs can touch your files)"
        missing = {"network", "files", "processes"} - set(held)
        text = "sandbox: " + ", ".join(held)
        if "files" in missing:
            text += " (files NOT isolated)"
        return text

    @classmethod
    def from_hello(cls, hello: dict[str, Any]) -> Sandbox:
        return cls(
            network_isolated=bool(hello.get("network_isolated")),
            filesystem_isolated=bool(hello.get("filesystem_isolated")),
            landlock_abi=int(hello.get("landlock_abi") or 0),
            mount_namespace=bool(hello.get("mount_namespace")),
            pid_namespace=bool(hello.get("pid_namespace")),
            notes=tuple(str(n) for n in hello.get("sandbox_notes") or ()),
        )


@dataclass(frozen=True)
class RunnerInfo:
    device: str
    torch_version: str
    python: str
    network_isolated: bool
    pid: int  # the zygote's, as this process sees it
    startup_s: float  # from launch to ready, as measured by the parent
    filesystem_isolated: bool = False
    sandbox: Sandbox = Sandbox()


@dataclass(frozen=True)
class RunnerState:
    phase: str  # "starting" | "ready" | "failed" | "stopped"
    device: str | None = None
    torch_version: str | None = None
    reason: str | None = None
    network_isolated: bool | None = None
    filesystem_isolated: bool | None = None
    sandbox: Sandbox | None = None


def _runner_error(message: str, kind: str = "RunnerUnavailable") -> RunResult:
    return RunResult(status=RunStatus.RUNNER_ERROR, error=RunError(type=kind, message=message))


class _Pending:
    __slots__ = ("died", "dispatched", "event", "result")

    def __init__(self) -> None:
        self.dispatched = False  # the zygote handed it to a child (its code may be running)
        self.event = threading.Event()
        self.result: RunResult | None = None
        self.died: _Died | None = None


class _Died:
    """The zygote died (or was closed). `sent`: while this run was in it, which makes the
    death the run's verdict (its code may well have caused it), never a reason to retry."""

    def __init__(self, reason: str, *, sent: bool = False, returncode: int | None = None) -> None:
        self.reason = reason
        self.sent = sent
        self.returncode = returncode

    def verdict(self) -> RunResult:
        code = self.returncode
        # The waiter of a PID namespace exits with 128 + the signal that killed the zygote.
        sig = -code if code is not None and code < 0 else None
        if code is not None and code > 128:
            sig = code - 128
        if sig is not None:
            message = f"the runner was killed by signal {sig} during this run; it restarts"
            error = RunError("Crashed", message)
            return RunResult(status=RunStatus.CRASHED, error=error, signal=sig)
        how = f"exited with code {code}" if code is not None else "died"
        message = f"the runner {how} during this run; it restarts"
        return RunResult(status=RunStatus.DIED, error=RunError("Died", message), exit_code=code)


class _Zygote:
    """One zygote process, the thread that starts it and then reads its results."""

    def __init__(
        self,
        python: str,
        device: str | None,
        spare: bool,
        on_death: Callable[[_Zygote], None] | None = None,
        failed: str | None = None,
        private: tuple[str, ...] = (),
        scratch_mb: int = 64,
        confine: bool = True,
        preload_heavy: bool = False,
    ) -> None:
        self.python = python
        self.private = private
        self.confine = confine
        self.preload_heavy = preload_heavy
        self.scratch_mb = scratch_mb
        self.busy_at_death = False  # runs were in flight when it died (their code's doing)
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
        sandbox = Sandbox.from_hello(hello)
        self.info = RunnerInfo(
            device=str(hello["device"]),
            torch_version=str(hello["torch_version"]),
            python=str(hello.get("python", self.python)),
            network_isolated=sandbox.network_isolated,
            pid=int(hello["pid"]),
            startup_s=round(time.monotonic() - started, 3),
            filesystem_isolated=sandbox.filesystem_isolated,
            sandbox=sandbox,
        )
        self.ready.set()
        self._read_results(cast(BinaryIO, proc.stdout))

    def _launch(self) -> subprocess.Popen[bytes] | None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k.startswith("QUIZAPP_RUNNER_") or not k.startswith(PRIVATE_ENV)
        }
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        env["PYTHONSAFEPATH"] = "1"  # no working folder on sys.path (Python >= 3.11)
        if not self.confine:
            env["QUIZAPP_RUNNER_NO_LANDLOCK"] = env["QUIZAPP_RUNNER_NO_NAMESPACES"] = "1"
        env.pop("PYTHONSTARTUP", None)
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[var] = "1"
        argv = [self.python, "-m", "quizapp.runner.zygote", "--device", self.device or "auto"]
        argv += [f"--private={p}" for p in self.private]
        argv.append(f"--scratch-mb={self.scratch_mb}")
        if not self.spare:
            argv.append("--no-spare")
        if self.preload_heavy:
            argv.append("--preload-heavy")
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
            if message.get("op") == "dispatched":
                with self.lock:
                    sent = self.pending.get(int(message.get("id", -1)))
                if sent is not None:
                    sent.dispatched = True
                continue
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
        self.busy_at_death = self.busy_at_death or any(p.dispatched for p in pending)
        code = None
        if self.proc is not None:  # how it ended (the waiter passes that on), before any kill
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.proc.wait(1.0)
        self._kill()
        self._cleanup()
        for p in pending:
            p.died = _Died(reason, sent=p.dispatched, returncode=code)
            p.event.set()
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
                return _Died("the runner is not running")  # not sent: safe to retry
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
        fresh = device != "cpu" or os.environ.get("QUIZAPP_RUNNER_FRESH_PROCESS") == "1"
        grace = FRESH_GRACE_S if fresh else GRACE_S
        deadline = time.monotonic() + max(request.timeout, 0.0) + grace
        cancel_sent = False
        overdue = time.monotonic() + max(request.timeout, 0.0) + 1.0
        stopped = False
        while not pending.event.is_set():
            now = time.monotonic()
            remaining = deadline - now
            if remaining <= 0:
                break
            step = remaining
            if cancel is not None:
                step = min(step, 0.05)
            if now >= overdue:  # past its time: is the zygote stopped (SIGSTOP by the code)?
                if self._stopped():
                    stopped = True
                    break
                step = min(step, STOPPED_CHECK_S)
            else:
                step = min(step, overdue - now)
            if pending.event.wait(step):
                break
            if cancel is not None and cancel.is_set() and not cancel_sent:
                cancel_sent = True
                with contextlib.suppress(OSError, ValueError):
                    self._send({"op": "cancel", "id": run_id})
        if not pending.event.is_set():
            with self.lock:
                self.pending.pop(run_id, None)
                # Dead from now on: a run sent in the meantime would get this death as its
                # verdict; instead it waits for the fresh zygote (started when the reader
                # thread sees the end).
                self.dead = True
                self.busy_at_death = True
            self._kill()
            why = (
                "was stopped" if stopped else f"did not answer within {request.timeout + grace:g} s"
            )
            error = RunError("Timeout", f"the runner {why} during this run; it restarts")
            return RunResult(status=RunStatus.TIMEOUT, error=error)
        if pending.died is not None:
            return pending.died
        assert pending.result is not None
        return pending.result

    def _stopped(self) -> bool:
        """The zygote is stopped (state T): it will never answer, whatever its grace."""
        if self.info is None:
            return False
        try:
            with open(f"/proc/{self.info.pid}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state in (b"T", b"t")

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
    `private_paths`: folders runs must never see (hidden, on top of $HOME, /tmp, /run...).
    `scratch_mb`: what one run may write in all (where a mount namespace enforces it).
    `confine`: False turns Landlock and the user/mount/PID namespaces off, as on a kernel that
    lacks them (`RunnerInfo.filesystem_isolated` is then false); for tests and diagnosis.
    `preload_heavy`: the zygote imports what an optimizer's step() needs (torch._dynamo, sympy)
    once, instead of each such run importing it (~1 s of CPU a run): for batch work where such
    runs follow one another (`quizapp validate`: ~4x faster on the bundled bank). Each fork
    then costs ~1.5 ms more and the zygote holds ~70 MB more, which an interactive session,
    whose occasional optimizer run a heavy spare serves, need not pay.
    """

    def __init__(
        self,
        device: str | None = None,
        *,
        spare: bool = True,
        python: str | None = None,
        private_paths: tuple[str, ...] = (),
        scratch_mb: int = 64,
        confine: bool = True,
        preload_heavy: bool = False,
    ) -> None:
        self.device = device
        self.confine = confine  # False: no Landlock, no user/mount/PID namespaces (tests)
        self.preload_heavy = preload_heavy
        self.spare = spare
        self.python = python or sys.executable
        # Folders runs must never see (the progress database's, crash reports): hidden in the
        # mount namespace, never in Landlock's rules. $HOME always is.
        self.private_paths = tuple(str(Path(p).expanduser()) for p in private_paths)
        self.scratch_mb = scratch_mb
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
            filesystem_isolated=info.filesystem_isolated if info else None,
            sandbox=info.sandbox if info else None,
        )

    def restart(self) -> None:
        """A fresh zygote now, whatever the state of the current one (the app's restart key):
        the current one is closed; runs in it get its death as their verdict."""
        with self._lock:
            if self._closed:
                return
            old, self._zygote = self._zygote, None
            self._restarts.clear()
            self._zygote = self._spawn()
        if old is not None:
            threading.Thread(target=old.close, name="quizapp-runner-close", daemon=True).start()

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
        failure is status RUNNER_ERROR. If the zygote dies while the run is in it, that is the
        run's verdict (CRASHED or DIED: the code may have killed it) and is not retried; the
        zygote restarts by itself for the next run. Only a run that never reached a zygote
        (it had just died) is sent again. Setting `cancel` kills the run (status RUNNER_ERROR,
        type Cancelled)."""
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
            if outcome.sent:
                return outcome.verdict()
            self._replace(z)
        return _runner_error("the runner died twice while running this code", "RunnerError")

    # -- internals -----------------------------------------------------------------------------
    def _spawn(self) -> _Zygote:
        ref = weakref.ref(self)

        def on_death(dead: _Zygote) -> None:
            runner = ref()
            if runner is not None:
                runner._replace(dead)

        z = _Zygote(
            self.python,
            self.device,
            self.spare,
            on_death,
            private=self.private_paths,
            scratch_mb=self.scratch_mb,
            confine=self.confine,
            preload_heavy=self.preload_heavy,
        )
        z.start()
        return z

    def _replace(self, dead: _Zygote) -> None:
        """A fresh zygote for one that died (once, however many runs noticed).

        A death with runs in it is their code's doing (or an accident that the next run will not
        repeat): always restarted. Only deaths with nothing running count towards giving up
        (MAX_RESTARTS within RESTART_WINDOW_S: something is wrong with the installation)."""
        with self._lock:
            if self._closed or self._zygote is not dead:
                return
            if dead.info is not None:
                self._last_info = dead.info
            if dead.busy_at_death:
                self._zygote = self._spawn()
                return
            now = time.monotonic()
            self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW_S]
            if len(self._restarts) >= MAX_RESTARTS:
                reason = (
                    f"the runner died {len(self._restarts)} times in {RESTART_WINDOW_S:g} s "
                    "with nothing running"
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
