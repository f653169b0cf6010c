"""The zygote: imports torch once, then forks a fresh child per run.

Started as `python -m quizapp.runner.zygote` by quizapp.runner.client.

Protocol with the parent (quizapp.runner.client), length-prefixed JSON on the zygote's original
stdin/stdout (its own stray output goes to stderr):
    zygote -> parent  {"op": "hello", "pid", "device", "torch_version", "network_isolated", ...}
                      or {"op": "fatal", "reason"} (then it exits)
    parent -> zygote  {"op": "run", "id", "request"} | {"op": "cancel", "id"} | {"op": "shutdown"}
    zygote -> parent  {"op": "dispatched", "id"}  (the run reached a child)
                      {"op": "result", "id", "result"}  (exactly one per run)

Why it is built this way (measured; see docs/runner.md):
- one thread for torch (`OMP_NUM_THREADS=1`, `set_num_threads(1)`) before any op: a child
  forked after a multi-threaded OpenMP op deadlocks on its next parallel op;
- CUDA/MPS are never initialised here (a forked child could not use them): such runs go to
  fresh processes (fork + exec of `quizapp.runner.child`) that initialise the device themselves;
- two pre-forked, pre-warmed spare children wait for the next runs, so a run costs ~5-10 ms;
- what an optimizer's step() imports (torch._dynamo, sympy: ~1.2 s) is imported by a "heavy"
  spare, not here, because it makes every fork dearer (~1.5 ms) and the zygote ~70 MB larger;
  `--preload-heavy` (batch work such as `quizapp validate`, where such runs come back to back
  and each would import it again) imports it here once instead;
- the zygote enforces each run's time limit (it is the children's parent) and kills the child's
  whole process group once it has replied, leftover grandchildren included. The limit is CPU
  time, read from /proc at the wall-clock deadline and as often as needed after it, so a busy
  machine slows a run down without failing it; a wall-clock cap (protocol.wall_clock_limit)
  still ends code that waits without computing.
"""

from __future__ import annotations

import os

# Before torch is imported, for this process and every child (see the module docstring).
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import contextlib  # noqa: E402
import fcntl  # noqa: E402
import gc  # noqa: E402
import re  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

from quizapp.runner import confine, sandbox  # noqa: E402
from quizapp.runner.device import DeviceError, uses_fresh_process  # noqa: E402
from quizapp.runner.protocol import (  # noqa: E402
    FrameDecoder,
    RunError,
    RunResult,
    RunStatus,
    encode_message,
    wall_clock_limit,
)

ENV_FRESH = "QUIZAPP_RUNNER_FRESH_PROCESS"  # "1": CPU runs in fresh processes too (tests)
SPARES = 2
FRESH_START_TIMEOUT_S = 180.0  # a fresh child must be ready (torch imported, device up) by then
MAX_SPARE_FAILURES = 3
IDLE_S = 0.05  # no message for this long: time to remove the folders runs wrote into
SIGNAL_NAMES = {int(s): s.name for s in signal.Signals}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # /proc/<pid>/stat counts CPU time in these
CPU_RECHECK_S = 0.05  # past its deadline with CPU time left: look again at the latest then


class _Child:
    """One child process and the run it serves."""

    def __init__(
        self,
        pid: int,
        sock: socket.socket,
        *,
        out_fd: int,
        err_fd: int,
        device: str,
        fresh: bool,
        heavy: bool = False,
        scratch: str = "",
    ) -> None:
        self.pid = pid
        self.scratch = scratch  # the run's own folder, removed once the child is reaped
        self.heavy = heavy  # a spare that has torch._dynamo imported (see needs_heavy)
        self.sock: socket.socket | None = sock
        self.out_fd = out_fd
        self.err_fd = err_fd
        self.device = device
        self.fresh = fresh
        self.decoder = FrameDecoder()
        self.created = time.monotonic()
        self.ready = False
        self.run_id: int | None = None
        self.request: dict[str, Any] | None = None
        self.dispatched: float | None = None
        self.deadline: float | None = None  # when its CPU time is next looked at
        self.wall_cap: float | None = None  # by then it is stopped, whatever CPU it used
        self.cpu_at_dispatch: float | None = None  # None: /proc cannot tell (wall clock only)
        self.done = False  # its run's result has gone to the parent

    @property
    def timeout(self) -> float:
        return float((self.request or {}).get("timeout", 2.0))


@dataclass
class Confinement:
    """What the zygote set up at start and what each child applies (see runner.confine)."""

    scratch_root: str
    namespaces: confine.Namespaces
    mount_view: bool = False  # /tmp, /run, $HOME... hidden, everything read-only
    landlock: confine.Landlock | None = None
    own_proc: bool = False  # /proc shows only this PID namespace
    private: tuple[str, ...] = ()
    scratch_bytes: int = confine.SCRATCH_BYTES
    last_cap: int = 40
    failed: tuple[str, ...] = ()

    @property
    def filesystem_isolated(self) -> bool:
        return self.landlock is not None or self.mount_view

    def report(self) -> dict[str, Any]:
        ns = self.namespaces
        return {
            "network_isolated": ns.network,
            "filesystem_isolated": self.filesystem_isolated,
            "landlock_abi": self.landlock.abi if self.landlock else 0,
            "mount_namespace": self.mount_view,
            "pid_namespace": ns.pid,
            "write_cap": self.mount_view,
            "sandbox_notes": [*ns.notes, *(f"failed: {f}" for f in self.failed)],
        }


class Zygote:
    def __init__(
        self,
        proto_in: int,
        proto_out: int,
        device: str,
        torch_version: str,
        spare: bool,
        confinement: Confinement | None = None,
        *,
        preloaded_heavy: bool = False,
    ) -> None:
        self.confinement = confinement or Confinement(os.getcwd(), confine.Namespaces())
        self.scratch_seq = 0
        self.clean_scratch: list[str] = []  # emptied run folders (tmpfs), ready for the next
        self.dirty_scratch: list[str] = []  # folders a run wrote into: removed when idle
        self.proto_in = proto_in
        self.proto_out = proto_out
        self.device = device
        self.torch_version = torch_version
        self.spare_enabled = spare
        self.force_fresh = os.environ.get(ENV_FRESH) == "1"
        self.subreaper = sandbox.become_subreaper()
        if self.confinement.own_proc and not _proc_is_ours():
            self.confinement.own_proc = False  # never sweep pids of another namespace
        if self.confinement.namespaces.pid and not self.confinement.own_proc:
            # /proc is the host's: its pids are not ours to signal. The kernel kills what is
            # left in the namespace when the zygote goes; process groups are killed per run.
            self.subreaper = False
        self.pid = os.getpid()  # 1 when this is init of its own PID namespace
        # A child's CPU time is read from /proc by the pid fork() returned: only where /proc
        # numbers processes as we do (not the host's /proc seen from inside a PID namespace).
        self.cpu_readable = _proc_is_ours()
        self.children: dict[int, _Child] = {}
        # Spares: forked, pre-warmed children waiting for a run. Two, so that a run that follows
        # another at once still finds one ready while the zygote forks the next (~8 ms a fork).
        self.spares: list[_Child] = []
        self.heavy_seen = False  # a run needed torch._dynamo: keep a heavy spare from now on
        # This process imported torch._dynamo (--preload-heavy): every child is heavy already.
        self.preloaded_heavy = preloaded_heavy
        self.spare_failures = 0
        self.network_isolated = False  # set by main(): whether this process unshared its netns
        self.stopping = False
        self.parent_decoder = FrameDecoder()
        self.sel = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.signal(signal.SIGCHLD, _noop)
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        self.sel.register(proto_in, selectors.EVENT_READ, "parent")
        self.sel.register(self.wake_r, selectors.EVENT_READ, "sigchld")

    # -- main loop -----------------------------------------------------------------------------
    def loop(self) -> None:
        self.ensure_spare()
        while not self.stopping:
            timeout = self.next_timeout()
            if self.dirty_scratch:  # removal waits for a quiet moment (it costs ~1.5 ms)
                timeout = IDLE_S if timeout is None else min(timeout, IDLE_S)
            events = self.sel.select(timeout)
            if not events:
                self.remove_dirty()
            for key, _ in events:
                if key.data == "parent":
                    self.on_parent_readable()
                elif key.data == "sigchld":
                    with contextlib.suppress(OSError):
                        os.read(self.wake_r, 4096)
                    self.reap()
                else:
                    self.on_child_readable(key.data)
            self.check_deadlines()
        self.shutdown()

    def next_timeout(self) -> float | None:
        deadlines = [d for c in self.children.values() if (d := self.deadline_of(c)) is not None]
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - time.monotonic())

    @staticmethod
    def deadline_of(child: _Child) -> float | None:
        if child.done or child.run_id is None:
            return None
        if child.deadline is not None:
            return child.deadline
        if child.fresh:
            return child.created + FRESH_START_TIMEOUT_S
        return None

    def check_deadlines(self) -> None:
        now = time.monotonic()
        for child in list(self.children.values()):
            deadline = self.deadline_of(child)
            if deadline is None or now < deadline:
                continue
            if child.deadline is not None:
                cpu_left = self.cpu_left(child)
                later = next_deadline(now, child.wall_cap or now, cpu_left)
                if later is not None:  # it was waiting (for a CPU, or anything): not up yet
                    child.deadline = later
                    continue
                self.kill(child)
                self.finish_status(child, RunStatus.TIMEOUT, self.timeout_error(child, cpu_left))
                continue
            self.kill(child)
            self.finish_status(
                child,
                RunStatus.RUNNER_ERROR,
                RunError("RunnerError", f"the {child.device} worker did not start in time"),
            )

    # -- parent --------------------------------------------------------------------------------
    def on_parent_readable(self) -> None:
        try:
            data = os.read(self.proto_in, 1 << 20)
        except OSError:
            data = b""
        if not data:  # the parent is gone: nobody wants our results
            self.stopping = True
            return
        for message in self.parent_decoder.feed(data):
            op = message.get("op")
            if op == "run":
                self.start_run(int(message["id"]), message["request"])
            elif op == "cancel":
                self.cancel(int(message["id"]))
            elif op == "shutdown":
                self.stopping = True

    def send_parent(self, payload: dict[str, Any]) -> None:
        data = encode_message(payload)
        try:
            while data:
                written = os.write(self.proto_out, data)
                data = data[written:]
        except OSError:
            self.stopping = True

    def start_run(self, run_id: int, request: dict[str, Any]) -> None:
        device = request.get("device") or self.device
        fresh = self.force_fresh or uses_fresh_process(device)
        heavy = self.must_import_heavy(request)
        self.heavy_seen = self.heavy_seen or (heavy and not fresh)
        child = self.take_spare(device, fresh, heavy)
        if child is None:
            try:
                child = self.new_child(device, fresh)
            except OSError as exc:
                result = RunResult(
                    status=RunStatus.RUNNER_ERROR,
                    error=RunError("RunnerError", f"cannot start a child process: {exc}"),
                    device=device,
                    torch_version=self.torch_version,
                )
                self.send_parent({"op": "result", "id": run_id, "result": result.to_json()})
                return
        child.run_id = run_id
        child.request = request
        if child.ready:
            self.dispatch(child)

    def cancel(self, run_id: int) -> None:
        for child in list(self.children.values()):
            if child.run_id == run_id and not child.done:
                self.kill(child)
                self.finish_status(
                    child, RunStatus.RUNNER_ERROR, RunError("Cancelled", "the run was cancelled")
                )

    # -- children ------------------------------------------------------------------------------
    def must_import_heavy(self, request: dict[str, Any]) -> bool:
        """Whether a forked child would import torch._dynamo for this run itself (so it wants
        a heavy spare): never when this zygote preloaded it, as every child then has it."""
        return not self.preloaded_heavy and needs_heavy(request)

    def take_spare(self, device: str, fresh: bool, heavy: bool = False) -> _Child | None:
        fitting = [c for c in self.spares if c.device == device and c.fresh == fresh]
        # A heavy run prefers a heavy spare (else any: it imports what it needs itself); a
        # light run never takes a heavy spare, which is costly to replace.
        same = [c for c in fitting if c.heavy == heavy]
        fitting = same if (same or not heavy) else fitting
        if not fitting:
            return None
        # A ready one if there is one; else the oldest, which is closest to ready.
        spare = next((c for c in fitting if c.ready), fitting[0])
        self.spares.remove(spare)
        return spare

    def forget_spare(self, child: _Child) -> None:
        if child in self.spares:
            self.spares.remove(child)
            self.spare_failures += 1

    def ensure_spare(self) -> None:
        if not self.spare_enabled or self.stopping:
            return
        fresh = self.force_fresh or uses_fresh_process(self.device)
        # A fresh (exec'd, device-initialising) child is expensive: keep just one of those.
        wanted = 1 if fresh else SPARES
        light = [c for c in self.spares if not c.heavy]
        try:
            while len(light) < wanted and self.spare_failures < MAX_SPARE_FAILURES:
                light.append(self.new_child(self.device, fresh, spare=True))
                self.spares.append(light[-1])
            if self.heavy_seen and not fresh and not any(c.heavy for c in self.spares):
                self.spares.append(self.new_child(self.device, fresh, spare=True, heavy=True))
        except OSError:
            return

    def new_child(
        self, device: str, fresh: bool, *, spare: bool = False, heavy: bool = False
    ) -> _Child:
        conf = self.confinement
        if self.clean_scratch:
            scratch = self.clean_scratch.pop()
        else:
            self.scratch_seq += 1
            scratch = os.path.join(conf.scratch_root, f"run-{self.scratch_seq}")
            confine.make_scratch(
                scratch,
                tmpfs=conf.mount_view,
                max_bytes=conf.scratch_bytes,
                max_files=confine.SCRATCH_FILES,
            )
        parent_sock, child_sock = socket.socketpair()
        out_fd = _capture_file("stdout")
        err_fd = _capture_file("stderr")
        try:
            pid = os.fork()
        except OSError:
            for fd in (out_fd, err_fd):
                os.close(fd)
            parent_sock.close()
            child_sock.close()
            confine.remove_scratch(scratch, tmpfs=conf.mount_view)
            raise
        if pid == 0:  # the child: never returns into this loop
            try:
                if fresh:
                    _exec_fresh_child(
                        child_sock.fileno(), out_fd, err_fd, device, self.pid, scratch, conf
                    )
                else:
                    from quizapp.runner.child import serve_forked

                    serve_forked(
                        child_sock,
                        out_fd,
                        err_fd,
                        self.pid,
                        device,
                        prewarm=spare,
                        heavy=heavy,
                        network_isolated=self.network_isolated,
                        scratch=scratch,
                        landlock=conf.landlock,
                        last_cap=conf.last_cap,
                    )
            finally:
                os._exit(71)
        child_sock.close()
        parent_sock.setblocking(False)
        child = _Child(
            pid,
            parent_sock,
            out_fd=out_fd,
            err_fd=err_fd,
            device=device,
            fresh=fresh,
            heavy=heavy,
            scratch=scratch,
        )
        self.children[pid] = child
        self.sel.register(parent_sock, selectors.EVENT_READ, child)
        return child

    def cpu_used(self, child: _Child) -> float | None:
        """CPU seconds (all its threads) the child has used since its run was dispatched."""
        if child.cpu_at_dispatch is None:
            return None
        now = _cpu_seconds(child.pid)
        return None if now is None else now - child.cpu_at_dispatch

    def cpu_left(self, child: _Child) -> float:
        """CPU seconds the run may still use; 0 where that cannot be read (the wall clock
        decides alone, as the timeout then is)."""
        used = self.cpu_used(child)
        return 0.0 if used is None else child.timeout - used

    def timeout_error(self, child: _Child, cpu_left: float) -> RunError:
        if cpu_left > 0 and child.cpu_at_dispatch is not None:
            cap = wall_clock_limit(child.timeout)
            used = child.timeout - cpu_left
            return RunError(
                "Timeout",
                f"the run took longer than {cap:g} s by the clock, while computing for only "
                f"{used:.1f} s of its {child.timeout:g} s limit (it was waiting: a sleep, a lock, "
                "or a machine too busy to give it a CPU)",
            )
        return RunError("Timeout", f"the run took longer than its {child.timeout:g} s limit")

    def dispatch(self, child: _Child) -> None:
        if child.sock is None:
            return
        if child.request is not None and not child.heavy and self.must_import_heavy(child.request):
            # It will import torch._dynamo itself (~1-2 s): our overhead, not the code's time.
            grace = {"timeout": child.timeout + HEAVY_GRACE_S}
            child.request = {**child.request, **grace}
        # The client learns that the run reached a child: should the zygote die from now on,
        # that is the run's verdict (its code may have done it); before, the run is resent.
        self.send_parent({"op": "dispatched", "id": child.run_id})
        child.dispatched = time.monotonic()
        child.deadline = child.dispatched + child.timeout
        child.wall_cap = child.dispatched + wall_clock_limit(child.timeout)
        child.cpu_at_dispatch = _cpu_seconds(child.pid) if self.cpu_readable else None
        with contextlib.suppress(OSError):  # a spare another run stopped (SIGSTOP) goes on
            os.kill(child.pid, signal.SIGCONT)
        try:
            child.sock.settimeout(5.0)
            child.sock.sendall(encode_message({"op": "run", "request": child.request}))
            child.sock.setblocking(False)
        except OSError:
            pass  # the child is gone: reaping it reports how

    def on_child_readable(self, child: _Child) -> None:
        if child.sock is None:
            return
        try:
            data = child.sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # it closed its end; its exit (reaped) or the deadline decides the status
            self.close_socket(child)
            return
        self.on_child_data(child, data)

    def on_child_data(self, child: _Child, data: bytes) -> None:
        try:
            messages = child.decoder.feed(data)
        except ValueError as exc:
            self.kill(child)
            self.finish_status(
                child, RunStatus.RUNNER_ERROR, RunError("RunnerError", f"a bad reply: {exc}")
            )
            return
        for message in messages:
            self.on_child_message(child, message)

    def on_child_message(self, child: _Child, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "ready":
            child.ready = True
            if child.request is not None and child.dispatched is None:
                self.dispatch(child)
        elif op == "result" and child.run_id is not None and child.dispatched is not None:
            if child.device == self.device:
                self.spare_failures = 0
            self.finish(child, dict(message.get("result") or {}))
        elif op == "fatal":
            reason = str(message.get("reason", "the child could not start"))
            self.kill(child)
            self.forget_spare(child)
            if child.run_id is not None:
                self.finish_status(child, RunStatus.RUNNER_ERROR, RunError("RunnerError", reason))

    def finish_status(
        self, child: _Child, status: RunStatus, error: RunError, **extra: Any
    ) -> None:
        elapsed = time.monotonic() - (child.dispatched or child.created)
        result = RunResult(
            status=status,
            error=error,
            duration_ms=round(elapsed * 1000, 3),
            device=child.device,
            torch_version=self.torch_version,
            **extra,
        )
        self.finish(child, result.to_json())

    def finish(self, child: _Child, result: dict[str, Any]) -> None:
        """Sends the run's one result (with the captured output) and kills what is left of it."""
        if child.done or child.run_id is None:
            return
        child.done = True
        self.kill(child)
        cap = int((child.request or {}).get("max_output_bytes", 64 * 1024))
        stdout, truncated = _read_capture(child.out_fd, cap)
        stderr, _ = _read_capture(child.err_fd, cap)
        result.update(stdout=stdout, stdout_truncated=truncated, stderr=stderr)
        result.setdefault("device", child.device)
        result.setdefault("torch_version", self.torch_version)
        self.send_parent({"op": "result", "id": child.run_id, "result": result})
        self.close_socket(child)
        self.ensure_spare()

    def kill(self, child: _Child) -> None:
        # The child called setsid(): its pid is its process group, grandchildren included.
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                kill(child.pid, signal.SIGKILL)

    def close_socket(self, child: _Child) -> None:
        if child.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.sel.unregister(child.sock)
            child.sock.close()
            child.sock = None

    def reap(self) -> None:
        while True:
            try:
                pid, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            # Grandchildren still in its group go too; the pid is still ours until they do.
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            child = self.children.pop(pid, None)
            self.kill_orphans()  # the dead one's orphans are ours now (we are the subreaper)
            if child is None:  # an orphan we killed: reaped, nothing more to do
                continue
            self.release_scratch(child.scratch)
            self.drain(child)
            self.forget_spare(child)
            if not child.done and child.run_id is not None:
                self.finish_exited(child, wait_status)
            self.close_socket(child)
            for fd in (child.out_fd, child.err_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self.ensure_spare()

    def release_scratch(self, scratch: str) -> None:
        """After the run's processes are dead (reaped, strays killed): an empty tmpfs folder
        is kept for the next run; one the run wrote into is removed, when the loop is idle."""
        mount = self.confinement.mount_view
        if mount and confine.reusable_scratch(scratch):
            self.clean_scratch.append(scratch)
            return
        self.dirty_scratch.append(scratch)
        if not mount or len(self.dirty_scratch) > 4:
            self.remove_dirty(all_of_them=True)

    def remove_dirty(self, *, all_of_them: bool = False) -> None:
        while self.dirty_scratch:
            with contextlib.suppress(OSError):
                confine.remove_scratch(self.dirty_scratch.pop(), tmpfs=self.confinement.mount_view)
            if not all_of_them:
                return

    def kill_orphans(self) -> None:
        """Kill descendants of finished runs that escaped their group (setsid, double fork):
        as the subreaper, the zygote inherits them when their parent dies."""
        if self.confinement.own_proc:
            # init of our own PID namespace, with its own /proc: everything that is not a live
            # child or descended from one is left over from a finished run, however it got
            # there (setsid, double fork, a process chain). Repeated: they may still be forking.
            for _ in range(20):
                strays = confine.strays(self.children, confine.pids_in_namespace())
                if not strays:
                    return
                for pid in strays:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            return
        if not self.subreaper:
            return
        for pid in sandbox.children_of(self.pid):
            if pid not in self.children:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def drain(self, child: _Child) -> None:
        """Reads what the child wrote before it exited (its reply may be there)."""
        while child.sock is not None and not child.done:
            try:
                data = child.sock.recv(1 << 20)
            except (BlockingIOError, OSError):
                return
            if not data:
                return
            self.on_child_data(child, data)

    def finish_exited(self, child: _Child, wait_status: int) -> None:
        if os.WIFSIGNALED(wait_status):
            sig = os.WTERMSIG(wait_status)
            name = SIGNAL_NAMES.get(sig, str(sig))
            if sig == signal.SIGXCPU:
                error = RunError("Timeout", "the run used up its CPU time limit")
                self.finish_status(child, RunStatus.TIMEOUT, error, signal=sig)
            else:
                error = RunError("Crashed", f"the process was killed by signal {sig} ({name})")
                self.finish_status(child, RunStatus.CRASHED, error, signal=sig)
            return
        code = os.waitstatus_to_exitcode(wait_status)
        error = RunError("Died", f"the process exited with code {code} before replying")
        self.finish_status(child, RunStatus.DIED, error, exit_code=code)

    def shutdown(self) -> None:
        for child in list(self.children.values()):
            self.kill(child)
        for pid in list(self.children):
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        self.children.clear()


def _noop(signum: int, frame: object) -> None:
    pass


def next_deadline(now: float, wall_cap: float, cpu_left: float) -> float | None:
    """At a run's deadline: when to look at its CPU time again, or None when its time is up
    (no CPU time left, or the wall-clock cap reached). Work left cannot be done sooner than
    by the clock, so that is the next look."""
    if cpu_left <= 0 or now >= wall_cap:
        return None
    return min(wall_cap, now + max(cpu_left, CPU_RECHECK_S))


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    except (OSError, IndexError, ValueError):
        return None


def _proc_is_ours() -> bool:
    """/proc numbers processes as this process does (it is the PID namespace's own)."""
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


def _capture_file(name: str) -> int:
    """An anonymous file for a child's output; the zygote reads it after the run."""
    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            return os.memfd_create(f"quizapp-{name}")
    fd, path = tempfile.mkstemp(prefix=f"quizapp-{name}-")
    os.unlink(path)
    return fd


def _read_capture(fd: int, cap: int) -> tuple[str, bool]:
    try:
        size = os.fstat(fd).st_size
        data = os.pread(fd, min(size, cap), 0)
    except OSError:
        return "", False
    truncated = size > cap
    text = data.decode("utf-8", "replace")
    if truncated and text.endswith("\ufffd"):
        text = text[:-1]  # a character cut in half by the cap
    return text, truncated


def _exec_fresh_child(
    sock_fd: int,
    out_fd: int,
    err_fd: int,
    device: str,
    zygote: int,
    scratch: str,
    conf: Confinement,
) -> None:
    """In a forked child of the zygote: become `python -m quizapp.runner.child` (new image,
    no inherited torch state), with the socket at fd 3 and the capture files at fds 1 and 2."""
    from quizapp.runner.child import SOCKET_FD

    os.setsid()
    # Park the fds high first so that the dup2s below cannot clobber one another.
    parked = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (sock_fd, out_fd, err_fd)]
    sandbox.redirect_std_fds(parked[1], parked[2])
    os.dup2(parked[0], SOCKET_FD, inheritable=True)
    argv = [
        sys.executable,
        "-m",
        "quizapp.runner.child",
        "--device",
        device,
        "--zygote-pid",
        str(zygote),
        "--scratch",
        scratch,
        *(["--landlock"] if conf.landlock is not None else []),
        *(["--own-proc"] if conf.own_proc else []),
        *(f"--private={p}" for p in conf.private),
    ]
    sandbox.reset_signals()
    os.execv(sys.executable, argv)


# Code that builds an optimizer (its step() imports torch._dynamo), compiles, or passes an explicit
# gradient to backward / autograd.grad (which imports sympy): such runs go to a "heavy" spare
# that imported both while it waited. A textual test, on purpose: a miss only costs time (the
# run imports what it needs itself), never correctness.
HEAVY_CODE = re.compile(
    r"optim|compile|_dynamo|grad_outputs|gradient\s*=|autograd\.(?:grad|backward|functional)"
    r"|backward\((?!\s*(?:\)|retain_graph|create_graph|inputs))"
)
HEAVY_GRACE_S = 5.0


def needs_heavy(request: dict[str, Any]) -> bool:
    code = [str(step.get("code", "")) for step in request.get("steps", ())]
    code.append(str(request.get("evaluate") or ""))
    return any(HEAVY_CODE.search(part) for part in code)


# -- start-up ----------------------------------------------------------------------------------
def _warm_up(torch: Any) -> None:
    """Exercise the common paths once so that every forked child finds them ready."""
    import torch.nn.functional as F
    from torch import nn

    from quizapp.runner import child, values

    torch.manual_seed(0)
    x = torch.randn(4, 3, 8, 8, requires_grad=True)
    conv, lin = nn.Conv2d(3, 4, 3), nn.Linear(4 * 6 * 6, 5)
    norm, drop = nn.BatchNorm2d(4), nn.Dropout(0.5)
    hidden = drop(F.relu(norm(conv(x))))
    logits = lin(hidden.flatten(1))
    loss = F.cross_entropy(logits, torch.tensor([0, 1, 2, 3])) + F.mse_loss(logits, logits * 0)
    loss.backward()
    # Not here: an optimizer's step() imports torch._dynamo (~80 MB, 1.3-2.2 s). In the zygote
    # it would make every fork and exit slower (~2x); runs that need it get a heavy spare.
    # Not here either: backward(gradient) imports sympy (~32 MB of heap, ~0.4 s), which made
    # every fork ~1 ms and every child ~1.5 ms of CPU dearer. Such runs get a heavy spare too.
    with torch.no_grad():
        y = torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(3, 2)).softmax(-1)
        nn.LayerNorm(2)(y).sum()
        torch.arange(6.0).view(2, 3).t().contiguous().sum(0).mean()
    values.encode([x.grad[:1], x.shape, (1, 2.0, float("nan")), {"k": True}, nn])
    try:
        exec(child._compile("1 / 0", "warm", "exec"), {})
    except ZeroDivisionError as exc:
        child.describe_error(exc, {"<warm>"}, 0)
    with contextlib.suppress(Exception):
        from quizapp.runner import instruments  # type: ignore[attr-defined,unused-ignore]  # noqa: F401
    # The misconceptions' driver (one run for all of a wrong answer's misconceptions): imported
    # here, a forked child has it for free; imported in the child, it cost ~30 ms of each run.
    with contextlib.suppress(Exception):
        from quizapp.runner import alternatives_child  # noqa: F401


def _confine_at_start(private: tuple[str, ...], scratch_mb: int) -> tuple[Confinement, int]:
    """Namespaces, the mount view and the Landlock rules, while this process is still single-
    threaded (unshare needs that; torch starts threads). Returns them and the zygote's pid as
    the host sees it (the client and `ps` know that one; inside, the zygote is PID 1)."""
    scratch_root = os.getcwd()  # the client's private folder for this zygote
    # Nothing shared on sys.path: not the working folder (runs write there), not ''.
    sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != scratch_root]
    plan = confine.read_plan(private)
    ns = confine.enter_namespaces(
        network=os.environ.get(sandbox.ENV_NO_NETNS) != "1",
        others=os.environ.get(confine.ENV_NO_NAMESPACES) != "1",
    )
    host_pid = os.getpid()
    if ns.pid:
        host_pid = confine.become_init()
    # Nobody without CAP_SYS_PTRACE (children drop theirs) opens our /proc fd, mem, environ.
    confine.set_dumpable(False)
    conf = Confinement(
        scratch_root,
        ns,
        private=private,
        scratch_bytes=max(1, scratch_mb) * confine.MIB,
        last_cap=confine.last_capability(),
    )
    if ns.mount:
        failed = confine.build_mount_view(plan, scratch_root, own_proc=ns.pid)
        conf.failed = tuple(failed)
        conf.mount_view = not failed
        # Only a /proc we mounted ourselves shows our PID namespace: the sweep of strays
        # signals the pids it lists, which must never be the host's.
        conf.own_proc = ns.pid and confine.PROC_STEP not in failed
    abi = confine.landlock_abi()
    if abi > 0:
        conf.landlock = confine.Landlock(plan, abi, all_of_proc=conf.own_proc)
    elif os.environ.get(confine.ENV_NO_LANDLOCK) != "1":
        ns.notes.append("no Landlock in this kernel")
    return conf, host_pid


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m quizapp.runner.zygote")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-spare", action="store_true")
    parser.add_argument("--scratch-mb", type=int, default=confine.SCRATCH_BYTES // confine.MIB)
    parser.add_argument("--private", action="append", default=[])
    parser.add_argument("--preload-heavy", action="store_true")
    args = parser.parse_args()
    started = time.monotonic()
    # First, before any descriptor is duplicated: a PID namespace forks, and the waiter left
    # behind must not hold the protocol pipes open.
    conf, host_pid = _confine_at_start(tuple(args.private), args.scratch_mb)
    # The protocol keeps the original stdin/stdout; anything else printed goes to stderr.
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def fatal(reason: str) -> None:
        with contextlib.suppress(OSError):
            os.write(proto_out, encode_message({"op": "fatal", "reason": reason}))
        sys.exit(1)

    isolated = conf.namespaces.network
    try:
        import torch
    except ImportError as exc:
        fatal(f"torch is not installed in {sys.executable}: run `make setup` ({exc})")
        return
    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    from quizapp.runner import device as device_mod

    try:
        device, _ = device_mod.resolve(args.device, torch)
    except DeviceError as exc:
        fatal(str(exc))
        return
    try:
        _warm_up(torch)
    except Exception as exc:
        fatal(f"torch {torch.__version__} failed a warm-up op: {type(exc).__name__}: {exc}")
        return
    # Checks import it: loaded once here, it costs a run nothing (it only imports torch).
    import quizapp.runner.checklib  # noqa: F401

    if args.preload_heavy:
        from quizapp.runner.child import import_heavy

        # Importing torch._dynamo creates its cache folders: here, not where an inherited
        # TORCHINDUCTOR_CACHE_DIR points (a parent that imported it sets one under /tmp, which
        # the mount view hides: the import then failed and nothing was preloaded).
        for var, name in (
            ("TORCHINDUCTOR_CACHE_DIR", "torchinductor"),
            ("TRITON_CACHE_DIR", "triton"),
        ):
            os.environ[var] = os.path.join(conf.scratch_root, f".{name}")
        import_heavy()
        if "torch._dynamo" not in sys.modules:
            print(
                "quizapp runner: could not preload torch._dynamo; runs import it", file=sys.stderr
            )
    gc.collect()
    gc.freeze()  # children then never touch the zygote's objects' GC headers: fewer page copies
    hello = {
        "op": "hello",
        "pid": host_pid,
        "device": device,
        "torch_version": str(torch.__version__),
        "python": sys.executable,
        "startup_s": round(time.monotonic() - started, 3),
        **conf.report(),
        "network_isolated": isolated,
    }
    os.write(proto_out, encode_message(hello))
    zygote = Zygote(
        proto_in,
        proto_out,
        device,
        str(torch.__version__),
        not args.no_spare,
        conf,
        preloaded_heavy=args.preload_heavy,
    )
    zygote.network_isolated = isolated
    zygote.loop()


if __name__ == "__main__":
    main()
