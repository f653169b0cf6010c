"""Runner figures: per-run latency (with and without the spare child), zygote RSS, restart time.

    .venv/bin/python bench/runner_latency.py [--runs 100]

Prints medians; the machine's load changes them (2 shared cores here). "paced" leaves 50 ms
between runs, as a person answering questions would (the spare is ready again by then);
"back-to-back" sends the next run as soon as the last one returned.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import time

from quizapp.runner import Runner, RunRequest, Step

TRIVIAL = RunRequest(steps=(Step("x = torch.ones(3) * 2", "setup"),), evaluate="x.sum()")


def latencies(runner: Runner, runs: int, pause: float) -> list[float]:
    out = []
    for _ in range(runs):
        if pause:
            time.sleep(pause)
        t0 = time.perf_counter()
        result = runner.run(TRIVIAL)
        out.append((time.perf_counter() - t0) * 1000)
        assert result.ok, result.describe()
    return out


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_ms(pid: int) -> float:
    """CPU the zygote and its reaped children used so far (steadier than wall time under load)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK") * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    # The sandbox's cost: the same runs with Landlock and the user/mount/PID namespaces off.
    for spare, confine in ((True, True), (True, False), (False, True)):
        with Runner(spare=spare, confine=confine) as runner:
            t0 = time.perf_counter()
            info = runner.wait_ready(120)
            print(
                f"spare={spare} confine={confine}: ready in {time.perf_counter() - t0:.2f} s "
                f"on {info.device}; {info.sandbox.describe()}"
            )
            latencies(runner, 5, 0.05)  # warm the path
            for label, pause in (("paced", 0.05), ("back-to-back", 0.0)):
                before = cpu_ms(info.pid)
                ms = latencies(runner, args.runs, pause)
                time.sleep(0.2)  # the last child reaped
                cpu = (cpu_ms(info.pid) - before) / args.runs
                print(
                    f"  {label:>12}: median {statistics.median(ms):6.1f} ms  "
                    f"p90 {sorted(ms)[int(0.9 * len(ms))]:6.1f} ms  CPU/run {cpu:5.1f} ms  "
                    f"({args.runs} runs)"
                )
            if spare and confine:
                print(f"  zygote RSS: {rss_mb(info.pid):.0f} MB (pid {info.pid})")
                os.kill(info.pid, signal.SIGKILL)
                t0 = time.perf_counter()
                result = runner.run(TRIVIAL)
                restart = time.perf_counter() - t0
                print(f"  zygote killed while idle: next run {result.status} in {restart:.2f} s")


if __name__ == "__main__":
    main()
