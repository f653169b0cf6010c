"""How quickly the app is usable, whether checking stalls it, and how much memory the UI takes.

1. Start-up: launches the real `quizapp` process under a pseudo-terminal (100x30) on a fresh
   SQLite file and the fixture bank, and times (a) the first frame (the footer's key bar is drawn)
   and (b) the home screen with the profile's figures ("Ready to practise?"). Several runs; the
   median is reported.
2. Stall while checking: in a fresh process (the UI process, as the app would be), the app runs
   headless with the real service and runner; a 5 ms timer records the event loop's lag while
   answers are submitted and graded in a worker (real PyTorch runs in the sandbox). The figure is
   the largest lag while a check was in progress; the largest lag overall is reported beside it.
3. Memory: that process's VmRSS after the practice round (the runner's zygote is a separate
   process with its own memory and is not counted), and whether it imported torch.

Targets: first screen <= 0.5 s, no stall over 50 ms while checking, UI process <= 150 MB.
The LAST line printed is one JSON object with the figures.

    .venv/bin/python bench/tui_startup.py [--runs N] [--checks N]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "tests" / "fixtures" / "bank"
QUIZAPP = Path(sys.executable).with_name("quizapp")
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\x1b\][^\x07]*\x07")
TARGETS = {"first_screen_s": 0.5, "max_stall_ms": 50.0, "ui_rss_mb": 150.0}


# -- 1. start-up under a pty ----------------------------------------------------------------------
def time_startup(db: Path, timeout: float = 30.0) -> dict[str, float]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the app
        os.environ["TERM"] = "xterm-256color"
        os.environ.pop("TEXTUAL", None)
        args = [str(QUIZAPP), "--db", str(db), "--bank", str(BANK), "--user", "bench"]
        os.execv(args[0], args)
    started = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    seen = b""
    marks: dict[str, float] = {}
    try:
        while len(marks) < 3 and time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if _answers_terminal_query(fd, chunk):
                pass
            seen += ANSI.sub(b"", chunk)
            now = time.perf_counter() - started
            if "first_frame_s" not in marks and b"palette" in seen:
                marks["first_frame_s"] = now
                marks["first_frame_cpu_s"] = _cpu_s(pid)
            if "home_ready_s" not in marks and b"Ready to practise" in seen:
                marks["home_ready_s"] = now
    finally:
        os.kill(pid, signal.SIGTERM)
        _reap(pid, fd)
    if len(marks) < 3:
        raise RuntimeError(f"the app did not show its home screen in {timeout} s: {seen[-500:]!r}")
    return marks


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: start-up cost, whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _answers_terminal_query(fd: int, chunk: bytes) -> bool:
    """Answers a cursor-position query (ESC[6n) as a terminal would, if the app asks."""
    if b"\x1b[6n" in chunk:
        os.write(fd, b"\x1b[1;1R")
        return True
    return False


def _reap(pid: int, fd: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            select.select([fd], [], [], 0.05)
            os.read(fd, 65536)
        except OSError:
            pass
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


# -- 2 and 3. stall while checking, memory: run in a fresh process ------------------------------
async def practice_round(db: Path, checks: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from quizapp.config import Settings
    from quizapp.service import QuizService
    from quizapp.tui.app import create_app
    from quizapp.tui.screens.question import QuestionScreen
    from quizapp.tui.screens.result import ResultScreen

    service = QuizService.create(Settings(f"sqlite:///{db}", (BANK,), "cpu"))
    service.add_user("bench")
    grading: list[tuple[float, float]] = []
    real_grade = service.grade

    def timed_grade(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return real_grade(*args, **kwargs)
        finally:
            grading.append((start, time.perf_counter()))

    service.grade = timed_grade  # type: ignore[method-assign]
    app = create_app(service, user="bench")
    lags: list[tuple[float, float]] = []  # (when, lag in ms)
    gaps: list[tuple[float, float]] = []  # (previous tick, this tick)
    period = 0.005

    async with app.run_test(size=(100, 30)) as pilot:
        loop = asyncio.get_running_loop()

        async def until(condition: Any, timeout: float = 60.0) -> None:
            deadline = loop.time() + timeout
            while not condition():
                if loop.time() > deadline:
                    notes = [n.message for n in app._notifications] + [
                        str(w.content) for w in app.screen.query("#q-feedback")
                    ]
                    raise RuntimeError(f"timed out on {app.screen!r}: {notes}")
                await asyncio.sleep(0.01)

        await until(lambda: app.ready and app.user == "bench")
        await until(lambda: service.runner_status().phase != "starting")
        last = time.perf_counter()

        def tick() -> None:
            nonlocal last
            now = time.perf_counter()
            lags.append((now, max(0.0, (now - last - period) * 1000)))
            gaps.append((last, now))
            last = now

        app.set_interval(period, tick)
        await asyncio.sleep(1.0)  # a baseline: the same timer while the app sits idle
        idle = [lag for _, lag in lags]
        for i in range(checks):
            app.practise_question("fixture.linear-shape", i)
            await until(lambda: isinstance(app.screen, QuestionScreen))
            screen = app.screen
            await pilot.pause()  # the answer box takes focus on mount
            await pilot.press(*"(16, 64)", "enter")
            await until(lambda s=screen: app.screen is not s)
            assert isinstance(app.screen, ResultScreen), app.screen
            await pilot.pause()
            await pilot.press("n")
            await until(lambda: not isinstance(app.screen, ResultScreen))
            await pilot.pause()
        await app.workers.wait_for_complete()

    # The stall during a check: how long, within the check's window, the loop went without a
    # tick (each gap between ticks clipped to the window), less the timer's own period.
    during = [
        (min(now, b) - max(prev, a) - period) * 1000
        for prev, now in gaps
        for a, b in grading
        if prev < b and now > a
    ]
    around = [lag for when, lag in lags if any(a <= when <= b + 0.001 for a, b in grading)]
    return {
        "checks": len(grading),
        "check_ms_median": round(statistics.median((b - a) * 1000 for a, b in grading), 1),
        "max_stall_ms": round(max(max(during, default=0.0), 0.0), 1),
        "max_lag_ending_in_a_check_ms": round(max(around, default=0.0), 1),
        "max_lag_overall_ms": round(max((lag for _, lag in lags), default=0.0), 1),
        "max_lag_idle_ms": round(max(idle, default=0.0), 1),
        "tick_gaps_overlapping_checks": len(during),
        "check_ms_max": round(max((b - a) * 1000 for a, b in grading), 1),
        "ui_rss_mb": round(_rss_mb(os.getpid()), 1),
        "ui_imported_torch": "torch" in sys.modules,
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="start-up runs (median reported)")
    parser.add_argument("--checks", type=int, default=10, help="answers checked in the round")
    parser.add_argument("--inproc", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inproc:
        print(json.dumps(asyncio.run(practice_round(Path(args.inproc), args.checks))))
        return

    with tempfile.TemporaryDirectory() as tmp:
        runs = [time_startup(Path(tmp) / f"startup{i}.sqlite3") for i in range(args.runs)]
        first = statistics.median(r["first_frame_s"] for r in runs)
        home = statistics.median(r["home_ready_s"] for r in runs)
        cpu = statistics.median(r["first_frame_cpu_s"] for r in runs)
        print(
            f"start-up ({args.runs} runs, median): first frame {first:.3f} s, "
            f"home with figures {home:.3f} s; CPU used before the first frame {cpu:.3f} s"
        )
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--inproc",
                str(Path(tmp) / "round.sqlite3"),
                "--checks",
                str(args.checks),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if done.returncode != 0:
            sys.exit(f"the practice round failed:\n{done.stderr[-3000:]}")
        round_figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"while checking ({round_figures['checks']} checks, median "
        f"{round_figures['check_ms_median']} ms each): max event-loop stall "
        f"{round_figures['max_stall_ms']} ms (overall max lag "
        f"{round_figures['max_lag_overall_ms']} ms, incl. screen changes; idle "
        f"{round_figures['max_lag_idle_ms']} ms)"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"UI process after the round: {round_figures['ui_rss_mb']} MB resident, "
        f"torch imported: {round_figures['ui_imported_torch']}"
    )
    figures = {
        "first_screen_s": round(first, 3),
        "home_ready_s": round(home, 3),
        "first_screen_cpu_s": round(cpu, 3),
        "startup_runs": [{k: round(v, 3) for k, v in r.items()} for r in runs],
        **round_figures,
    }
    figures["load_average"] = round(os.getloadavg()[0], 2)
    figures["targets"] = TARGETS
    figures["met"] = {
        "first_screen": figures["first_screen_s"] <= TARGETS["first_screen_s"],
        "no_stall": figures["max_stall_ms"] <= TARGETS["max_stall_ms"],
        "memory": figures["ui_rss_mb"] <= TARGETS["ui_rss_mb"],
        "no_torch": not figures["ui_imported_torch"],
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
