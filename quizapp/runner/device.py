"""Which device runs the code, decided without ever initialising CUDA or MPS in the zygote.

CUDA (and MPS) cannot be used in a process forked after it was initialised, and a process
that has initialised CUDA must not fork children that use it. So:

- the zygote reads only torch's build information (`torch.version.cuda`, `mps.is_built()`);
  a CPU-only build needs nothing more;
- otherwise availability is probed in a fresh process (`python -m quizapp.runner.device`),
  which may initialise whatever it likes and then exits;
- runs on a device other than the CPU go to fresh processes (fork + exec, never a plain
  fork of the zygote), which initialise the device themselves (see zygote.py).

Importing this module never imports torch.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

AUTO = "auto"
PROBE_TIMEOUT_S = 120.0
_DEVICE_RE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


class DeviceError(Exception):
    """The requested device cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Availability:
    cuda: bool = False
    cuda_count: int = 0
    mps: bool = False
    detail: str = ""


def normalise(requested: str | None) -> str:
    """'auto' for None/'' /'auto'; otherwise a lower-case device string, checked for form."""
    name = (requested or AUTO).strip().lower()
    if name == AUTO:
        return AUTO
    if not _DEVICE_RE.match(name):
        raise DeviceError(f"unknown device {requested!r}: use auto, cpu, cuda, cuda:N or mps")
    return name


def uses_fresh_process(device: str) -> bool:
    """True for devices a forked child cannot use: everything but the CPU."""
    return device != "cpu"


def resolve(requested: str | None, torch: Any) -> tuple[str, Availability]:
    """The device to use: cuda if available, then mps, then cpu for 'auto'.

    `torch` is the imported module (the zygote has it); CUDA is never initialised here.
    Raises DeviceError when a named device is not available.
    """
    name = normalise(requested)
    if name == "cpu":
        return "cpu", Availability()
    avail = availability(torch)
    if name == AUTO:
        if avail.cuda:
            return "cuda", avail
        return ("mps" if avail.mps else "cpu"), avail
    if name.startswith("cuda"):
        index = int(name.partition(":")[2] or 0)
        if not avail.cuda:
            raise DeviceError(f"CUDA was requested but is not available: {avail.detail}")
        if index >= avail.cuda_count:
            raise DeviceError(
                f"{name} was requested but only {avail.cuda_count} CUDA device(s) are visible"
            )
        return name, avail
    if not avail.mps:
        raise DeviceError(f"MPS was requested but is not available: {avail.detail}")
    return name, avail


def availability(torch: Any) -> Availability:
    """What this torch can use; a fresh process answers unless the build rules devices out."""
    cuda_built = getattr(torch.version, "cuda", None) is not None
    hip_built = getattr(torch.version, "hip", None) is not None
    mps_built = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_built())
    if not (cuda_built or hip_built or mps_built):
        return Availability(detail=f"torch {torch.__version__} is a CPU-only build")
    return probe_in_fresh_process()


def probe_in_fresh_process(python: str | None = None) -> Availability:
    try:
        done = subprocess.run(
            [python or sys.executable, "-m", "quizapp.runner.device"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
        data = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        return Availability(detail=f"the device probe failed ({type(exc).__name__}: {exc})")
    return Availability(
        cuda=bool(data.get("cuda")),
        cuda_count=int(data.get("cuda_count", 0)),
        mps=bool(data.get("mps")),
        detail=str(data.get("detail", "")),
    )


def _probe() -> dict[str, Any]:
    """Runs in the fresh probe process: free to initialise CUDA, it exits right after."""
    import torch

    out: dict[str, Any] = {"cuda": False, "cuda_count": 0, "mps": False, "detail": ""}
    try:
        out["cuda"] = bool(torch.cuda.is_available())
        out["cuda_count"] = int(torch.cuda.device_count()) if out["cuda"] else 0
    except Exception as exc:
        out["detail"] = f"CUDA check failed: {exc}"
    try:
        out["mps"] = bool(torch.backends.mps.is_available())
    except Exception as exc:
        out["detail"] += f" MPS check failed: {exc}"
    if not out["cuda"] and not out["detail"]:
        out["detail"] = "torch.cuda.is_available() is False (no GPU or no driver)"
    return out


def warm_up(device: str, torch: Any) -> None:
    """Initialise `device` in this (fresh, never-forking) process and run a tiny op on it."""
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.cuda.init()
        torch.cuda.set_device(dev)
    x = torch.randn(8, 8, device=dev)
    (x @ x).relu().sum().item()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


if __name__ == "__main__":
    print(json.dumps(_probe()))
