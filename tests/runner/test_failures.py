"""What user code must never do to the app: each misbehaviour is a status, and the next run works.

Time bounds here are generous (the machine is shared); they tell a hang from a result.
"""

from __future__ import annotations

import os
import socket
import textwrap
import time
from typing import TYPE_CHECKING, Any

import pytest
from procs import NAME_SELF, new_marker, none_alive

from quizapp.runner import Runner, RunRequest, RunResult, RunStatus, Step
from quizapp.runner.protocol import wall_clock_limit

if TYPE_CHECKING:
    from conftest import CodeRun

HANG = 15.0  # seconds: anything slower than this is a hang, not a result


def assert_runner_still_works(run: CodeRun) -> None:
    t0 = time.monotonic()
    result = run("x = torch.ones(2) * 2", "x.sum().item()")
    assert result.status is RunStatus.OK, result.describe()
    assert result.value == 4.0
    assert time.monotonic() - t0 < 5.0


def timed(run: CodeRun, code: str, **kw: Any) -> tuple[RunResult, float]:
    t0 = time.monotonic()
    result = run(code, **kw)
    return result, time.monotonic() - t0


@pytest.mark.parametrize(
    "code",
    [
        "while True:\n    pass",
        "import time\ntime.sleep(100)",
        "x = torch.randn(300, 300)\nwhile True:\n    x = (x @ x).tanh()",
    ],
    ids=["python-loop", "sleep", "torch-loop"],
)
def test_infinite_loop_times_out_and_next_run_is_fast(run: CodeRun, code: str) -> None:
    result, elapsed = timed(run, code, timeout=1.0)
    assert result.status is RunStatus.TIMEOUT
    assert 1.0 <= elapsed < 1.0 + HANG
    assert "time limit" in result.describe()
    assert_runner_still_works(run)


def test_the_limit_is_cpu_time_not_the_clock(run: CodeRun) -> None:
    # What a busy machine does to a run (it waits for a CPU), made certain: 0.8 s without
    # computing, then 0.4 s of work, is 1.2 s by the clock and well inside 1 s of CPU.
    code = (
        "import time\ntime.sleep(0.8)\nt = time.process_time()\n"
        "while time.process_time() - t < 0.4:\n    pass\nx = 7"
    )
    result, elapsed = timed(run, code, evaluate="x", timeout=1.0)
    assert result.status is RunStatus.OK, result.describe()
    assert result.value == 7
    assert elapsed >= 1.2


def test_waiting_without_computing_is_stopped_at_the_wall_clock_cap(run: CodeRun) -> None:
    result, elapsed = timed(run, "import time\ntime.sleep(100)", timeout=1.0)
    assert result.status is RunStatus.TIMEOUT
    assert wall_clock_limit(1.0) <= elapsed < wall_clock_limit(1.0) + HANG
    assert result.error is not None and "waiting" in result.error.message
    assert "4 s by the clock" in result.error.message


def test_computing_past_the_limit_is_stopped_at_it(run: CodeRun) -> None:
    # It must get a quarter of a CPU to use its 1 s before the 4 s cap: not on a machine whose
    # every core has 3 more runnable processes (then the cap is what stops it, rightly).
    if os.getloadavg()[0] > 3 * (os.cpu_count() or 1):
        pytest.skip("the machine is too busy for this run to get a quarter of a CPU")
    result, elapsed = timed(run, "while True:\n    pass", timeout=1.0)
    assert result.status is RunStatus.TIMEOUT
    assert result.error is not None
    assert result.error.message == "the run took longer than its 1 s limit"
    assert elapsed < wall_clock_limit(1.0), "a busy loop must not wait for the wall-clock cap"


def test_a_run_past_its_deadline_with_cpu_time_left_is_looked_at_again() -> None:
    from quizapp.runner.zygote import CPU_RECHECK_S, next_deadline

    assert next_deadline(10.0, wall_cap=16.0, cpu_left=1.5) == 11.5  # the work left, by the clock
    assert next_deadline(10.0, wall_cap=16.0, cpu_left=0.001) == 10.0 + CPU_RECHECK_S
    assert next_deadline(15.0, wall_cap=16.0, cpu_left=1.5) == 16.0  # never past the cap
    assert next_deadline(10.0, wall_cap=16.0, cpu_left=0.0) is None  # its CPU time is used up
    assert next_deadline(10.0, wall_cap=16.0, cpu_left=-0.2) is None
    assert next_deadline(16.0, wall_cap=16.0, cpu_left=1.5) is None  # the cap is reached


def test_a_process_cpu_time_is_read_from_proc() -> None:
    from quizapp.runner.zygote import _cpu_seconds

    before = _cpu_seconds(os.getpid())
    t = time.process_time()
    while time.process_time() - t < 0.3:
        pass
    after = _cpu_seconds(os.getpid())
    assert before is not None and after is not None
    assert 0.2 <= after - before <= 1.0
    assert _cpu_seconds(2**22 + 12345) is None  # no such process


def test_the_wall_clock_cap() -> None:
    assert wall_clock_limit(2.0) == 8.0  # 2 s of CPU, and 3 times that for waiting
    assert wall_clock_limit(5.0) == 13.0  # the extra is at most 8 s
    assert wall_clock_limit(0.0) == 0.0


def test_cpu_limit_signal_is_a_timeout(run: CodeRun) -> None:
    # What RLIMIT_CPU does when CPU time runs out before the wall clock (threads burning CPU).
    result = run("import os, signal\nos.kill(os.getpid(), signal.SIGXCPU)")
    assert result.status is RunStatus.TIMEOUT
    assert result.error is not None and "CPU" in result.error.message


def test_huge_allocation_is_a_memory_error(run: CodeRun) -> None:
    result = run("x = torch.empty(10**11)", memory_mb=512)
    assert result.status is RunStatus.ERROR
    assert result.error is not None and result.error.type == "MemoryError"
    assert (result.error.step, result.error.line) == ("user", 1)
    assert_runner_still_works(run)


@pytest.mark.parametrize(
    "code",
    [
        "chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))",
        "chunks = []\nwhile True:\n    chunks.append(torch.ones(10**6))",
        "s = 'x'\nwhile True:\n    s = s + s",
    ],
    ids=["bytearrays", "tensors", "doubling-string"],
)
def test_gradual_memory_bomb_is_stopped(run: CodeRun, code: str) -> None:
    result, elapsed = timed(run, code, memory_mb=300, timeout=10.0)
    assert result.status in (RunStatus.ERROR, RunStatus.CRASHED), result.describe()
    if result.status is RunStatus.ERROR:
        assert result.error.type == "MemoryError"
    assert elapsed < HANG
    assert_runner_still_works(run)


def test_segfault_is_crashed(run: CodeRun) -> None:
    result = run("import ctypes\nctypes.string_at(0)")
    assert result.status is RunStatus.CRASHED
    assert result.signal == 11
    assert "crashed" in result.describe()
    assert_runner_still_works(run)


def test_abort_is_crashed(run: CodeRun) -> None:
    result = run("import os\nos.abort()")
    assert result.status is RunStatus.CRASHED and result.signal == 6


def test_os_exit_is_died_even_with_code_zero(run: CodeRun) -> None:
    result = run("print('bye')\nimport os\nos._exit(0)")
    assert result.status is RunStatus.DIED
    assert result.exit_code == 0
    assert result.stdout == "bye\n"  # output up to the exit is kept
    assert_runner_still_works(run)


@pytest.mark.parametrize(
    ("code", "exc_type"),
    [
        ("raise SystemExit(0)", "SystemExit"),
        ("import sys\nsys.exit()", "SystemExit"),
        ("exit()", "SystemExit"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGINT)", "KeyboardInterrupt"),
    ],
)
def test_exit_and_interrupt_are_errors_never_a_pass(run: CodeRun, code: str, exc_type: str) -> None:
    result = run(code, label="check")
    assert result.status is RunStatus.ERROR
    assert result.error is not None and result.error.type == exc_type
    assert result.error.step == "check"


def test_huge_print_is_truncated_without_hanging(run: CodeRun) -> None:
    result, elapsed = timed(run, "print('x' * 100_000_000)", max_output_bytes=1000)
    assert result.status is RunStatus.OK
    assert result.stdout_truncated
    assert result.stdout == "x" * 1000
    assert elapsed < HANG


def test_many_prints_and_raw_writes_are_capped(run: CodeRun) -> None:
    code = "import os\nfor i in range(200_000):\n    print(i)\nos.write(1, b'y' * 50_000_000)"
    result, elapsed = timed(run, code, max_output_bytes=10_000, timeout=10.0)
    assert result.status in (RunStatus.OK, RunStatus.ERROR)
    assert result.stdout_truncated
    assert len(result.stdout) == 10_000
    assert result.stdout.startswith("0\n1\n2\n")
    assert elapsed < HANG


def test_input_gets_eof_instead_of_hanging(run: CodeRun) -> None:
    result, elapsed = timed(run, "name = input('name? ')")
    assert result.status is RunStatus.ERROR
    assert result.error.type == "EOFError"
    assert elapsed < HANG
    result, _ = timed(
        run, "import sys\ndata = sys.stdin.read()\nraw = open(0).read()", evaluate="(data, raw)"
    )
    assert result.value == {"__tuple__": ["", ""]}


def test_monkeypatches_and_globals_do_not_leak(runner: Runner) -> None:
    patch = (
        "import builtins\n"
        "torch.relu = lambda t: t * 0\n"
        "torch.set_default_dtype(torch.float64)\n"
        "builtins.LEAKED = 1\n"
        "GLOBAL = 5\n"
        "nn.Linear.forward = lambda self, x: x\n"
        "import quizapp.runner.values as v\n"
        "v.encode = lambda *a, **k: 'patched'"
    )
    first = runner.run(
        RunRequest(steps=(Step(patch, "user"),), evaluate="torch.relu(torch.ones(1))")
    )
    assert first.status is RunStatus.OK, first.describe()
    probe = (
        "(torch.relu(torch.tensor([-1.0, 2.0])).tolist(), str(torch.get_default_dtype()),"
        " hasattr(__builtins__, 'LEAKED') if isinstance(__builtins__, type(torch)) else"
        " 'LEAKED' in __builtins__, 'GLOBAL' in globals(),"
        " nn.Linear(1, 1, bias=False)(torch.zeros(1, 1)).shape)"
    )
    second = runner.run(RunRequest(steps=(Step("pass", "user"),), evaluate=probe))
    assert second.status is RunStatus.OK, second.describe()
    assert second.value == {
        "__tuple__": [
            {"__list__": [0.0, 2.0]},
            "torch.float32",
            False,
            False,
            {"__size__": [1, 1]},
        ]
    }


def _gone(pid: int, within: float = 5.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):  # dead, waiting to be reaped by init
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    "code",
    [
        "import subprocess\npid = subprocess.Popen(['sleep', '100.{marker}']).pid",
        "import subprocess\n"
        "pid = subprocess.Popen(['sleep', '100.{marker}'], start_new_session=True).pid",
        "import os, time\npid = os.fork()\nif pid == 0:\n{name_self}    time.sleep(100)\n"
        "    os._exit(0)",
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(100,)).start()\npid = None",
    ],
    ids=["subprocess", "setsid-subprocess", "fork", "thread"],
)
def test_leftover_grandchildren_are_killed(run: CodeRun, code: str) -> None:
    marker = new_marker()
    name_self = textwrap.indent(NAME_SELF.format(marker=marker), "    ")
    result = run(code.format(marker=marker.removeprefix("qzm"), name_self=name_self), "pid")
    assert result.status is RunStatus.OK, result.describe()
    assert none_alive(marker.removeprefix("qzm")), "a grandchild survived its run"


def test_child_is_gone_after_the_run(run: CodeRun) -> None:
    marker = new_marker()
    result = run(NAME_SELF.format(marker=marker) + "import os\npid = os.getpid()", "pid")
    assert result.status is RunStatus.OK, result.describe()
    assert none_alive(marker)


def test_network_is_cut_when_reported_isolated(runner: Runner, run: CodeRun) -> None:
    if not runner.state.network_isolated:
        pytest.skip("this system allows no network namespace: the runner says so")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)"
        result = run(code)
    assert result.status is RunStatus.ERROR
    assert result.error is not None and "Error" in result.error.type


def test_protocol_channel_is_not_an_inherited_fd(runner: Runner, run: CodeRun) -> None:
    if not runner.wait_ready(60).sandbox.pid_namespace:
        pytest.skip("a subprocess may read only its own /proc entry in its own PID namespace")
    code = (
        "import subprocess\n"
        "out = subprocess.run(['ls', '/proc/self/fd'], capture_output=True, text=True).stdout"
    )
    result = run(code, "sorted(int(x) for x in out.split())")
    assert result.status is RunStatus.OK, result.describe()
    fds = result.value["__list__"]
    assert fds[:3] == [0, 1, 2] and len(fds) <= 4  # std fds plus ls's own directory handle


def test_files_are_written_in_a_scratch_folder(run: CodeRun) -> None:
    result = run("import os\nopen('note.txt', 'w').write('hi')\ncwd = os.getcwd()", "cwd")
    assert result.status is RunStatus.OK
    assert os.path.realpath(result.value) != os.path.realpath(os.getcwd())


def test_limits_are_set_in_the_child(run: CodeRun) -> None:
    code = (
        "import resource\n"
        "cpu = resource.getrlimit(resource.RLIMIT_CPU)[0]\n"
        "mem = resource.getrlimit(resource.RLIMIT_AS)[0]\n"
        "core = resource.getrlimit(resource.RLIMIT_CORE)[0]\n"
        "fsize = resource.getrlimit(resource.RLIMIT_FSIZE)[0]\n"
        "status = open('/proc/self/status').read().split('VmSize:')[1]\n"
        "vm = int(status.split()[0]) * 1024"
    )
    result = run(code, "(cpu, mem, core, fsize, vm)", timeout=3.0, memory_mb=700)
    assert result.status is RunStatus.OK, result.describe()
    cpu, mem, core, fsize, vm = result.value["__tuple__"]
    assert 0 < cpu <= 3 + 2 + 60  # timeout + margin past the CPU already used
    assert vm < mem <= vm + 700 * 2**20
    assert core == 0
    assert 0 < fsize <= 2**30
