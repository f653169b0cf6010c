"""What crosses the process boundary: length-prefixed JSON, never pickle. No torch here.

A request runs `steps` in order in one fresh namespace holding torch, nn, F, device, seed and
the params, after `torch.manual_seed(seed)`; then, if `evaluate` is set, that expression's value
is encoded and returned. Values come back as plain data (see `Value` below).
"""

from __future__ import annotations

import json
import struct
import threading
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, Protocol

HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# A run's `timeout` is CPU time, so that a busy machine does not turn a correct solution into a
# timeout (under a load of ~10 on 2 cores, correct 0.3 s checks ran past a 2 s wall clock). The
# wall clock is capped too, for code that waits without computing (a sleep, a lock): past the
# timeout by up to WALL_EXTRA_FACTOR times it, at most WALL_EXTRA_MAX_S.
WALL_EXTRA_FACTOR = 3.0
WALL_EXTRA_MAX_S = 8.0


def wall_clock_limit(timeout: float) -> float:
    """How long a run with `timeout` CPU seconds may take by the clock."""
    timeout = max(timeout, 0.0)
    return timeout + min(WALL_EXTRA_FACTOR * timeout, WALL_EXTRA_MAX_S)


class RunStatus(StrEnum):
    OK = "ok"
    ERROR = "error"  # the code raised (including SystemExit / KeyboardInterrupt)
    TIMEOUT = "timeout"  # CPU-time limit, or the wall-clock cap
    CRASHED = "crashed"  # killed by a signal (segfault, abort, OOM kill)
    DIED = "died"  # exited without replying (os._exit, sys.exit in a thread...)
    RUNNER_ERROR = "runner_error"  # the sandbox itself failed; not the code's fault


@dataclass(frozen=True)
class Step:
    code: str
    label: str  # "setup", "user", "check", "solution", ...; named in errors


@dataclass(frozen=True)
class RunRequest:
    steps: tuple[Step, ...]
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    evaluate: str | None = None  # an expression evaluated after the steps
    timeout: float = 2.0  # CPU seconds for the whole run; the clock: wall_clock_limit()
    memory_mb: int = 2048
    max_output_bytes: int = 64 * 1024
    device: str | None = None  # None: the runner's device
    instruments: dict[str, Any] | None = None  # explain-by-running requests (trace/graph/modes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRequest:
        steps = tuple(Step(**s) for s in data.pop("steps"))
        return cls(steps=steps, **data)


@dataclass(frozen=True)
class RunError:
    type: str  # exception class name, e.g. "AssertionError"
    message: str
    traceback: str = ""
    step: str | None = None  # the label of the step that raised
    line: int | None = None  # line within that step's code


@dataclass(frozen=True)
class RunResult:
    status: RunStatus
    value: Any = None  # encoded value of `evaluate` (see values encoding)
    stdout: str = ""
    stdout_truncated: bool = False
    error: RunError | None = None
    exit_code: int | None = None
    signal: int | None = None
    duration_ms: float = 0.0
    device: str = "cpu"
    torch_version: str = ""
    instruments: dict[str, Any] | None = None
    # What the code wrote to stderr (warnings included), capped like stdout; kept apart from
    # stdout so that a warning never changes an "output" question's printed text.
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.OK

    def describe(self) -> str:
        """One line a user can read: what went wrong in this run."""
        if self.status is RunStatus.OK:
            return "ran to the end"
        if self.status is RunStatus.ERROR and self.error is not None:
            where = f" in {self.error.step}" if self.error.step else ""
            line = f" line {self.error.line}" if self.error.line else ""
            return f"{self.error.type}{where}{line}: {self.error.message}".rstrip(": ")
        if self.status is RunStatus.TIMEOUT:
            return "ran past its time limit (an infinite loop, or too much work)"
        if self.status is RunStatus.CRASHED:
            return f"crashed (signal {self.signal})"
        if self.status is RunStatus.DIED:
            return f"exited early (exit code {self.exit_code}) without finishing"
        msg = self.error.message if self.error else "unknown failure"
        return f"the runner failed: {msg}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        err = data.get("error")
        return cls(
            **{
                **data,
                "status": RunStatus(data["status"]),
                "error": RunError(**err) if err else None,
            }
        )


# Encoded values (produced by runner.values in the child, consumed by grading in the parent):
#   None, bool, int, float (nan/inf as JSON NaN/Infinity), str -> as is
#   list -> {"__list__": [...]};  tuple -> {"__tuple__": [...]}
#   torch.Size -> {"__size__": [ints]}
#   torch.Tensor -> {"__tensor__": {"shape": [..], "dtype": "float32", "requires_grad": bool,
#                     "values": nested list (None if over the cap), "summary": str, "device": str,
#                     "grad_fn": str | None (e.g. "MulBackward0"), "is_leaf": bool}}
#   dict (str keys) -> {"__dict__": {k: value}}
#   anything else -> {"__repr__": repr(x)[:1000], "type": name}
#   (a container past the size or depth caps, or inside itself, also comes back as a __repr__)


def encode_message(payload: dict[str, Any]) -> bytes:
    """One frame: a 4-byte big-endian length, then the JSON body."""
    body = json.dumps(payload, allow_nan=True).encode()
    if len(body) > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {len(body)} bytes exceeds the limit")
    return HEADER.pack(len(body)) + body


def write_message(stream: BinaryIO, payload: dict[str, Any]) -> None:
    stream.write(encode_message(payload))
    stream.flush()


class FrameDecoder:
    """Incremental decoding of frames from bytes read without blocking (a selector loop)."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Adds `data`; returns every message now complete. Raises ValueError on a bad frame."""
        self._buffer += data
        messages: list[dict[str, Any]] = []
        while len(self._buffer) >= HEADER.size:
            (length,) = HEADER.unpack_from(self._buffer)
            if length > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {length} bytes exceeds the limit")
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            body = bytes(self._buffer[HEADER.size : end])
            del self._buffer[:end]
            message = json.loads(body)
            if not isinstance(message, dict):
                raise ValueError("a message must be a JSON object")
            messages.append(message)
        return messages

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """One message, or None at a clean end of stream."""
    head = _read_exact(stream, HEADER.size)
    if head is None:
        return None
    (length,) = HEADER.unpack(head)
    if length > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {length} bytes exceeds the limit")
    body = _read_exact(stream, length)
    if body is None:
        raise EOFError("stream ended inside a message")
    result: dict[str, Any] = json.loads(body)
    return result


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if remaining == n:
                return None
            raise EOFError("stream ended inside a message")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class CodeRunner(Protocol):
    """What grading and explaining need of quizapp.runner.Runner: a thread-safe `run`."""

    def run(self, request: RunRequest, *, cancel: threading.Event | None = None) -> RunResult: ...
