"""Finding a run's processes from outside: a run sees its own PID namespace, so the pids it
reports are not ours. Instead, code under test names its processes with a marker (in its command
line, or its `comm` via prctl) and these helpers look for the marker in this host's /proc."""

from __future__ import annotations

import os
import time
import uuid


def new_marker() -> str:
    """15 characters at most: the length of a process's `comm`."""
    return "qzm" + uuid.uuid4().hex[:12]


# Code a run can paste to give the calling process the marker as its name (Linux prctl).
NAME_SELF = (
    "import ctypes\nctypes.CDLL(None).prctl(15, ctypes.c_char_p({marker!r}.encode()), 0, 0, 0)\n"
)


def with_marker(marker: str) -> list[int]:
    """Live (not zombie) processes whose comm or command line holds `marker`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        state = stat.rsplit(b")", 1)[1].split()[0]
        if state in (b"Z", b"X"):
            continue
        if marker.encode() in stat or marker.encode() in cmdline:
            found.append(int(name))
    return found


def none_alive(marker: str, within: float = 2.0) -> bool:
    """True once no process carries `marker` (waiting at most `within` seconds)."""
    end = time.monotonic() + within
    while True:
        if not with_marker(marker):
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.05)
