"""Process-level confinement of one child: limits, network namespace, file descriptors, signals.

Linux first (ctypes into libc for unshare and prctl); on other systems each step that cannot
be taken is skipped and reported as such rather than failing the run. None of this is a
security boundary against a determined attacker: see docs/runner.md.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal

from quizapp.runner import confine

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
MIB = confine.MIB
# Files the code writes (stdout and stderr included) are capped at this size at least.
MIN_FILE_SIZE_LIMIT = 16 * MIB
ENV_NO_NETNS = "QUIZAPP_RUNNER_NO_NETNS"  # "1": leave the network alone (diagnosis only)


def die_with_parent(expected_parent: int) -> None:
    """SIGKILL this process when its parent dies (Linux); exit now if that already happened."""
    libc = confine.libc()
    if libc is not None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != expected_parent:
        os._exit(70)


def become_subreaper() -> bool:
    """Orphaned descendants (a grandchild whose parent died) become our children, not init's,
    so that the zygote can reap them and kill the ones that escaped a run's process group."""
    libc = confine.libc()
    return libc is not None and libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def children_of(pid: int) -> list[int]:
    """The pids whose parent is `pid` (Linux /proc); empty where that cannot be read."""
    try:  # cheap: the kernel's own list of each thread's children
        found: list[int] = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found.extend(int(p) for p in f.read().split())
        return found
    except (OSError, ValueError):
        pass
    # Without task/*/children: every process's parent, from /proc/<pid>/stat.
    return [p for p, parent in confine.pids_in_namespace().items() if parent == pid]


def prefer_oom_kill() -> None:
    """If the machine runs out of memory, the kernel should kill this run, not the app."""
    # The zygote is not dumpable (so neither is a fresh fork), which makes /proc/self root's:
    # dumpable for the moment of the write (before any code runs), then not again.
    confine.set_dumpable(True)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as f:
        f.write("1000")
    confine.set_dumpable(False)


def isolate_network() -> bool:
    """Move this (single-threaded) process into a new, empty network namespace.

    Tries an unprivileged user namespace first (keeping our uid and gid mapped to themselves),
    then a plain network namespace (enough when running as root). True when one worked: from
    then on no connection can leave this process, not even to loopback.
    """
    if os.environ.get(ENV_NO_NETNS) == "1":
        return False
    libc = confine.libc()
    if libc is None:
        return False
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(confine.CLONE_NEWUSER | confine.CLONE_NEWNET) == 0:
        confine.map_ids(uid, gid)
        return True
    return libc.unshare(confine.CLONE_NEWNET) == 0


def reset_signals() -> None:
    """Signal dispositions for user code: Python's defaults, and file-size overruns as errors."""
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    # Past RLIMIT_FSIZE a write fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def close_fds_except(keep: set[int]) -> None:
    """Close every open descriptor not in `keep`: nothing of the zygote's stays reachable."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def redirect_std_fds(stdout_fd: int, stderr_fd: int) -> None:
    """fd 0 reads /dev/null (so input() gets EOF); fds 1 and 2 write to the capture files."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if stdout_fd != 1:
        os.dup2(stdout_fd, 1)
    if stderr_fd != 2:
        os.dup2(stderr_fd, 2)


def status_value(key: str) -> int:
    """A `/proc/self/status` size in bytes (VmSize, VmData, VmRSS); 0 where unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def apply_limits(*, memory_mb: int, timeout: float, max_output_bytes: int, use_data: bool) -> None:
    """Resource limits for the run that starts now.

    Memory: `memory_mb` on top of what the process already maps (torch alone maps ~0.5 GB),
    as address space (RLIMIT_AS), or as data (RLIMIT_DATA) on a GPU, where the driver reserves
    huge virtual ranges. CPU: the wall-clock timeout plus one second, past what was used so far.
    """
    key, limit = ("VmData", resource.RLIMIT_DATA) if use_data else ("VmSize", resource.RLIMIT_AS)
    memory = status_value(key) + max(memory_mb, 1) * MIB
    _set(limit, memory)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime + max(timeout, 0.0)) + 2
    _set(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set(resource.RLIMIT_FSIZE, max(MIN_FILE_SIZE_LIMIT, 4 * max_output_bytes))
    _set(resource.RLIMIT_CORE, 0)


def _set(which: int, soft: int, hard: int | None = None) -> None:
    _, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(which, (soft, hard))
