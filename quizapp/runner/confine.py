"""Filesystem and process confinement of runs: namespaces, Landlock, capabilities, scratch folders.

Linux only, through ctypes (no dependency); every step that the kernel refuses is skipped and
reported, never fatal. What each mechanism stops is tabled in docs/runner.md. In short:

- the zygote enters new user, mount, network and PID namespaces once, at start (the original
  process stays behind as a tiny *waiter*, so that the zygote is init of its PID namespace: it
  cannot be signalled from inside, and when it dies the kernel kills every process of every run);
- in its mount namespace it hides /tmp, /run, /dev/shm, $HOME, the user's data folders (empty
  read-only tmpfs over each, with the Python installation bound back where it lived there),
  mounts a /proc that shows only its own PID namespace, and makes every mount read-only;
- every run gets a fresh tmpfs scratch folder (its size is the cap on bytes a run may write);
- every child drops all capabilities, sets no_new_privs and, where Landlock exists, restricts
  itself to reading the Python installation and writing its scratch folder (and /dev/null), with
  signals and abstract Unix sockets scoped to itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Diagnosis and tests: "1" turns a mechanism off (the runner then says what no longer holds).
ENV_NO_LANDLOCK = "QUIZAPP_RUNNER_NO_LANDLOCK"
ENV_NO_NAMESPACES = "QUIZAPP_RUNNER_NO_NAMESPACES"  # no user/mount/PID namespaces

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
MNT_DETACH = 2
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
OPEN_TREE_CLONE = 1
O_CLOEXEC = 0o2000000
MOVE_MOUNT_F_EMPTY_PATH = 4
MOUNT_ATTR_RDONLY = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
# NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE, each locked, and KEEP_CAPS_LOCKED.
SECURE_ALL = 0b11101111
PR_SET_NO_NEW_PRIVS = 38
# x86_64 and aarch64 share these numbers (the "new" syscalls are numbered alike everywhere).
SYS_OPEN_TREE, SYS_MOVE_MOUNT, SYS_MOUNT_SETATTR = 428, 429, 442
SYS_LANDLOCK_CREATE, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT = 444, 445, 446
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}

# Landlock access rights (include/uapi/linux/landlock.h), by the ABI that introduced them.
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 16, 32, 64, 128
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK, FS_MAKE_SYM = 256, 512, 1024, 2048, 4096
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
RULE_PATH_BENEATH = 1
READ_DIR = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
READ_FILE = FS_EXECUTE | FS_READ_FILE
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

MIB = 1024 * 1024
SCRATCH_BYTES = 64 * MIB  # default cap on what one run may write, all files together
SCRATCH_FILES = 4096  # ... and on how many files and folders it may create

# What the runtime reads besides the Python installation (missing ones are skipped).
SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/opt/conda")
SYSTEM_DIRS_EXTRA = ("/etc/ld.so.conf.d", "/sys/devices/system/cpu", "/sys/devices/system/node")
SYSTEM_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/stat",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
    "/dev/full",
)
DEVICE_RW = ("/dev/null",)
# Hidden (an empty read-only tmpfs over each) in the mount namespace: pathname sockets, other
# programs' temporary files, the user's own files.
HIDDEN_DIRS = ("/tmp", "/var/tmp", "/run", "/var/run", "/dev/shm", "/dev/mqueue", "/home", "/root")

_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        except OSError:
            return None
        lib.syscall.restype = ctypes.c_long
        lib.mount.argtypes = [
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_char_p,
            ctypes.c_ulong,
            ctypes.c_char_p,
        ]
        lib.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
        _libc = lib
    return _libc


def _fs(path: str | Path) -> bytes:
    return os.fsencode(str(path))


# -- what a run may read -----------------------------------------------------------------------
@dataclass(frozen=True)
class ReadPlan:
    """Paths a run may read (directories beneath, single files) and the ones it must not see."""

    dirs: tuple[str, ...]
    files: tuple[str, ...]
    private: tuple[str, ...]  # $HOME, data folders: never readable, hidden where possible


def _real_dir(path: str | os.PathLike[str]) -> str | None:
    with contextlib.suppress(OSError):
        real = os.path.realpath(path)
        if os.path.isdir(real):
            return real
    return None


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def read_plan(private: Sequence[str] = (), package_dir: str | None = None) -> ReadPlan:
    """What a run needs to read: the Python installation (prefixes, every sys.path folder),
    the quizapp package, system libraries. A candidate that would contain a private folder
    ($HOME, the data folder, "/") is replaced by its lib/bin subfolders or dropped."""
    home = os.path.expanduser("~")
    secret = [p for p in (_real_dir(x) for x in (home, *private)) if p]
    pkg = package_dir or str(Path(__file__).resolve().parents[1])
    pkg_root = str(Path(pkg).parent)
    candidates: list[str] = []
    for prefix in {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}:
        candidates.append(prefix)
    for entry in sys.path:
        if entry and _real_dir(entry) != _real_dir(pkg_root):
            candidates.append(entry)
    candidates.extend((pkg, os.path.dirname(sys.executable), *SYSTEM_DIRS, *SYSTEM_DIRS_EXTRA))
    dirs: list[str] = []

    def add(path: str, depth: int = 0) -> None:
        real = _real_dir(path)
        if real is None or real in dirs:
            return
        if real == "/" or any(_is_within(s, real) for s in secret):
            if depth == 0:  # too broad: only what an installation keeps in these
                for sub in ("lib", "lib64", "bin"):
                    add(os.path.join(real, sub), 1)
            return
        dirs.append(real)

    for candidate in candidates:
        add(candidate)
    files = [os.path.realpath(f) for f in SYSTEM_FILES if os.path.exists(f)]
    return ReadPlan(tuple(dirs), tuple(dict.fromkeys(files)), tuple(secret))


# -- namespaces (the zygote, once, while single-threaded) ---------------------------------------
@dataclass
class Namespaces:
    network: bool = False
    mount: bool = False
    pid: bool = False
    user: bool = False
    notes: list[str] = field(default_factory=list)


def enter_namespaces(*, network: bool = True, others: bool = True) -> Namespaces:
    """unshare() into new namespaces: user+mount+net+PID where allowed, else what is allowed.
    After a PID namespace, the caller must fork (see `become_init`)."""
    ns = Namespaces()
    lib = libc()
    if lib is None:
        ns.notes.append("no namespaces on this system")
        return ns
    uid, gid = os.getuid(), os.getgid()
    wanted = (CLONE_NEWNS | CLONE_NEWPID) if others else 0
    net = CLONE_NEWNET if network else 0
    for user in (True, False):
        for extra in (wanted, 0) if wanted else (0,):
            flags = extra | net | (CLONE_NEWUSER if user else 0)
            if not flags or lib.unshare(flags) != 0:
                continue
            if user:
                map_ids(uid, gid)
            ns.user = user
            ns.network = bool(flags & CLONE_NEWNET)
            ns.mount = bool(flags & CLONE_NEWNS)
            ns.pid = bool(flags & CLONE_NEWPID)
            return ns
    ns.notes.append("the kernel allows no namespaces here (no user namespaces, not root)")
    return ns


def map_ids(uid: int, gid: int) -> None:
    """In a new user namespace: be the same uid/gid as outside."""
    # Without a mapping getuid() would answer 65534 ("nobody"), which confuses getpass & co.
    with contextlib.suppress(OSError):
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")


def become_init() -> int:
    """After unshare(CLONE_NEWPID): fork. The child (returns its host pid) is PID 1 of the new
    namespace and goes on as the zygote; the parent stays a waiter that exits with the child's
    status (the client manages the waiter's pid; killing it kills the zygote, which takes every
    process of the namespace with it)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(read_end)
        set_dumpable(False)
        _wait_and_exit(pid)
    os.close(write_end)
    lib = libc()
    if lib is not None:
        lib.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL: the waiter went, so do we
    import select

    if select.select([read_end], [], [], 0)[0]:  # the waiter died before the prctl
        os._exit(70)
    try:
        host_pid = int(os.readlink("/proc/self"))  # still the host's /proc here
    except (OSError, ValueError):
        host_pid = os.getpid()
    return host_pid


def _wait_and_exit(pid: int) -> None:
    import signal

    # The client may signal the waiter (its pid is the one it knows): pass it on.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: os.kill(pid, signal.SIGKILL))
    for fd in (0, 1):
        with contextlib.suppress(OSError):
            os.close(fd)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)


def set_dumpable(on: bool) -> None:
    """Non-dumpable: other processes of the user without CAP_SYS_PTRACE cannot open this one's
    /proc/<pid>/fd, mem, environ... (inherited by fork; a child can only re-expose itself)."""
    lib = libc()
    if lib is not None:
        lib.prctl(PR_SET_DUMPABLE, 1 if on else 0, 0, 0, 0)


# -- the mount namespace ------------------------------------------------------------------------
def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> bool:
    lib = libc()
    if lib is None:
        return False
    return (
        lib.mount(
            _fs(source),
            _fs(target),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        )
        == 0
    )


def _clone_tree(path: str) -> int:
    lib = libc()
    if lib is None:
        return -1
    return int(
        lib.syscall(SYS_OPEN_TREE, AT_FDCWD, _fs(path), OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC)
    )


def _move_tree(fd: int, target: str) -> bool:
    lib = libc()
    return lib is not None and (
        lib.syscall(SYS_MOVE_MOUNT, fd, b"", AT_FDCWD, _fs(target), MOVE_MOUNT_F_EMPTY_PATH) == 0
    )


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _read_only(path: str, on: bool, recursive: bool) -> bool:
    lib = libc()
    if lib is None:
        return False
    attr = _MountAttr(MOUNT_ATTR_RDONLY if on else 0, 0 if on else MOUNT_ATTR_RDONLY, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    size = ctypes.sizeof(attr)
    return lib.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, _fs(path), flags, ctypes.byref(attr), size) == 0


PROC_STEP = "a /proc of the runner's own"


def build_mount_view(plan: ReadPlan, scratch_root: str, *, own_proc: bool) -> list[str]:
    """In the zygote's fresh mount namespace: hide what runs have no business seeing, keep what
    they need, make everything read-only, give the scratch root its own tmpfs. Returns the
    steps that failed (empty: the whole view holds; PROC_STEP absent: /proc is our own)."""
    failed: list[str] = []
    if not _mount("none", "/", None, MS_REC | MS_PRIVATE, None):
        # Nothing else is safe to try (it would leak out to the host's mounts).
        return ["making mounts private", *([PROC_STEP] if own_proc else [])]
    keep = sorted(plan.dirs, key=len)
    hidden: list[str] = []
    for path in sorted({*HIDDEN_DIRS, *plan.private}, key=lambda p: (p.count("/"), p)):
        real = _real_dir(path)
        if real is None or real == "/" or any(_is_within(real, h) for h in hidden):
            continue  # missing, or already under a hidden folder
        if real in keep:
            continue  # a folder a run needs as a whole (e.g. on sys.path): never hidden
        # What a run needs from under this folder is cloned first and bound back after.
        inside = [k for k in keep if _is_within(k, real) and k != real]
        inside = [k for k in inside if not any(_is_within(k, o) and k != o for o in inside)]
        clones = [(k, _clone_tree(k)) for k in inside]
        if not _mount("tmpfs", real, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755"):
            failed.append(f"hiding {real}")
            for _, fd in clones:
                with contextlib.suppress(OSError):
                    os.close(fd)
            continue
        hidden.append(real)
        for k, fd in clones:
            try:
                os.makedirs(k, exist_ok=True)
                if fd < 0 or not _move_tree(fd, k):
                    failed.append(f"keeping {k}")
            except OSError:
                failed.append(f"keeping {k}")
            finally:
                with contextlib.suppress(OSError):
                    os.close(fd)
    # The scratch root: its folder inside a hidden tmpfs is made now (before read-only).
    with contextlib.suppress(OSError):
        os.makedirs(scratch_root, exist_ok=True)
    if not _read_only("/", True, recursive=True):
        failed.append("making the filesystem read-only")
    if not _mount("tmpfs", scratch_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=700"):
        failed.append("a private scratch root")
    if own_proc:
        if not _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None):
            failed.append(PROC_STEP)
            _read_only("/proc", False, recursive=False)
    else:
        _read_only("/proc", False, recursive=False)
    return failed


# -- scratch folders (one per run) ---------------------------------------------------------------
def make_scratch(path: str, *, tmpfs: bool, max_bytes: int, max_files: int) -> bool:
    """A fresh, private folder for one run; a tmpfs of `max_bytes` where mounts are allowed
    (so that the run cannot write more, however many files). True if the cap holds."""
    os.mkdir(path, 0o700)
    if not tmpfs:
        return False
    size_kib = max(64, max_bytes // 1024)
    return _mount(
        "tmpfs",
        path,
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={size_kib}k,nr_inodes={max_files},mode=700",
    )


def reusable_scratch(path: str) -> bool:
    """An emptied run folder, as it was made (the next run cannot tell it from a new one):
    reused rather than unmounted, which costs ~1.5 ms (an RCU grace period) per run."""
    try:
        st = os.lstat(path)
        return st.st_mode == 0o40700 and st.st_uid == os.getuid() and not os.listdir(path)
    except OSError:
        return False


def remove_scratch(path: str, *, tmpfs: bool) -> None:
    lib = libc()
    if tmpfs and lib is not None:
        lib.umount2(_fs(path), MNT_DETACH)
    shutil.rmtree(path, ignore_errors=True)


# -- Landlock --------------------------------------------------------------------------------------
class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers (0: none, or turned off)."""
    if os.environ.get(ENV_NO_LANDLOCK) == "1":
        return 0
    lib = libc()
    if lib is None:
        return 0
    version = int(lib.syscall(SYS_LANDLOCK_CREATE, None, 0, 1))  # ..._CREATE_RULESET_VERSION
    return max(version, 0)


def _handled_fs(abi: int) -> int:
    return _FS_BY_ABI.get(abi, (1 << 16) - 1)


class Landlock:
    """The rules every child applies to itself; paths opened once in the zygote (O_PATH), so a
    child only adds them and its own scratch folder (a few dozen syscalls, ~0.1 ms)."""

    def __init__(
        self, plan: ReadPlan, abi: int, *, device_access: bool = False, all_of_proc: bool = False
    ) -> None:
        """`all_of_proc`: /proc shows only the runner's own PID namespace, so all of it may be
        read (a subprocess reads its /proc/self); otherwise only the child's own entry."""
        self.abi = abi
        self.all_of_proc = all_of_proc
        self.rules: list[tuple[int, int]] = []
        dirs = list(plan.dirs)
        files = list(plan.files)
        rw_files = list(DEVICE_RW)
        if all_of_proc or device_access:
            dirs.append("/proc")
        if device_access:  # CUDA/MPS children: the driver's device files, /sys
            dirs.append("/sys")
            self._add("/dev", READ_DIR | FS_WRITE_FILE | FS_IOCTL_DEV | FS_TRUNCATE)
        for path in dirs:
            self._add(path, READ_DIR)
        for path in files:
            self._add(path, READ_FILE)
        for path in rw_files:
            self._add(path, FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV)

    def _add(self, path: str, access: int) -> None:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        if not os.path.isdir(path):
            access &= FILE_RIGHTS
        self.rules.append((fd, access & _handled_fs(self.abi)))

    @property
    def fds(self) -> set[int]:
        return {fd for fd, _ in self.rules}

    def restrict(self, scratch: str) -> bool:
        """In the child: from now on it may read what the rules allow and write only `scratch`.
        True when the kernel enforces it."""
        lib = libc()
        if lib is None or self.abi < 1:
            return False
        handled = _handled_fs(self.abi)
        net = (NET_BIND_TCP | NET_CONNECT_TCP) if self.abi >= 4 else 0
        scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if self.abi >= 6 else 0
        attr = _RulesetAttr(handled, net, scoped)
        size = ctypes.sizeof(_RulesetAttr) if self.abi >= 6 else 16 if self.abi >= 4 else 8
        ruleset = int(lib.syscall(SYS_LANDLOCK_CREATE, ctypes.byref(attr), size, 0))
        if ruleset < 0:
            return False
        try:
            own: list[int] = []
            for path in (scratch, *(() if self.all_of_proc else (f"/proc/{os.getpid()}",))):
                with contextlib.suppress(OSError):
                    own.append(os.open(path, os.O_PATH | os.O_CLOEXEC))
            rules = [*self.rules, (own[0], handled)] if own else list(self.rules)
            if len(own) > 1:
                rules.append((own[1], READ_DIR & handled))
            for fd, access in rules:
                rule = _PathBeneath(access, fd)
                lib.syscall(
                    SYS_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0
                )
            for fd in own:
                os.close(fd)
            lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            return lib.syscall(SYS_LANDLOCK_RESTRICT, ruleset, 0) == 0
        finally:
            os.close(ruleset)

    def close(self) -> None:
        for fd, _ in self.rules:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.rules.clear()


# -- capabilities ----------------------------------------------------------------------------------
class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_privileges(last_cap: int) -> None:
    """No capabilities left, none to regain by exec (securebits: root is not special, locked),
    no_new_privs: a child running as root (or as root of its user namespace) can no longer
    mount, ptrace, raise its limits, or enter another namespace. Three syscalls (dropping the
    bounding set one capability at a time cost ~0.8 ms)."""
    lib = libc()
    if lib is None:
        return
    if lib.prctl(PR_SET_SECUREBITS, SECURE_ALL, 0, 0, 0) != 0:
        for cap in range(last_cap + 1):  # no CAP_SETPCAP for securebits: the slow way
            lib.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    number = SYS_CAPSET.get(os.uname().machine)
    if number is not None:
        header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
        data = (_CapData * 2)()
        lib.syscall(number, ctypes.byref(header), ctypes.byref(data))
    lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def last_capability() -> int:
    try:
        return int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    except (OSError, ValueError):
        return 40


def pids_in_namespace() -> dict[int, int]:
    """pid -> parent pid of every process this /proc shows (the zygote's own PID namespace)."""
    found: dict[int, int] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if fields[0] != b"Z":  # a zombie is already dead (reaped by the zygote's loop)
                found[int(name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return found


def strays(known: Iterable[int], table: dict[int, int]) -> list[int]:
    """Processes that belong to no live child: not 1 (us), not a known child, not descended
    from one. A run's escaped descendants (setsid, double fork) are such once it has ended."""
    alive = set(known) | {1}
    children: dict[int, list[int]] = {}
    for pid, parent in table.items():
        children.setdefault(parent, []).append(pid)
    stack = [p for p in alive if p != 1]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in alive:
                alive.add(child)
                stack.append(child)
    return [pid for pid in table if pid not in alive]
