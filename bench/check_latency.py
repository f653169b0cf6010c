"""How long one `check` takes through the public grading API, against the naive design.

Measured: grading the same value answer 200 times with LiveGrader on a started Runner, with the
truth cache OFF (cache_size=0) so that every check really runs the question's code in a fresh
forked child; then, in the same run, the naive design (a fresh `python -c` that imports torch
and computes the truth) 5 times. Memory: VmRSS of the zygote (its pid from Runner.wait_ready)
and of this client process, from /proc/<pid>/status.

Targets: median <= 15 ms, speedup >= 100, zygote <= 300 MB, client <= 80 MB. `--compare` also
grades with the sandbox off (Runner(confine=False): no Landlock, no user/mount/PID namespaces)
in the same run, so that the hardening's cost is measured under the same load.
The LAST line printed is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from quizapp.bank import Variant, draw_variant, load_bank
from quizapp.grading.live import LiveGrader
from quizapp.grading.types import GradeStatus
from quizapp.runner import Runner

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "tests" / "fixtures" / "bank"
QUESTION = "fixture.square-grad"
ANSWER = "tensor([2., 4., 6.])"
WARMUP = 20
CHECKS = 200
BASELINE_RUNS = 5


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(q * (len(ordered) - 1)))
    return ordered[index]


def grade_times(variant: Variant, confine: bool) -> tuple[list[float], float, str, str]:
    """CHECKS timed checks on a fresh runner: the times, zygote RSS, sandbox, first line."""
    runner = Runner(confine=confine)
    try:
        started = time.perf_counter()
        runner.start()
        zygote_pid = runner.wait_ready(120).pid
        grader = LiveGrader(runner, cache_size=0)  # no truth cache: every check runs code
        first = grader.grade(variant, ANSWER)
        ready = f"runner ready and first check in {(time.perf_counter() - started):.2f} s"
        if first.status is not GradeStatus.CORRECT:
            raise SystemExit(f"the benchmark answer was not graded correct: {first}")
        for _ in range(WARMUP):
            grader.grade(variant, ANSWER)
        times = []
        for _ in range(CHECKS):
            t0 = time.perf_counter()
            result = grader.grade(variant, ANSWER)
            times.append((time.perf_counter() - t0) * 1000)
            if result.status is not GradeStatus.CORRECT:
                raise SystemExit(f"a check went wrong: {result}")
        zygote = rss_mb(zygote_pid)
        sandbox = runner.wait_ready(5).sandbox.describe()
    finally:
        runner.close()
    return times, zygote, sandbox, ready


def main() -> None:
    compare = "--compare" in sys.argv[1:]
    bank = load_bank([BANK])
    question = bank.get(QUESTION)
    variant = draw_variant(question, 0)
    times, zygote, sandbox, ready = grade_times(variant, confine=True)
    print(f"{ready}; {sandbox}")
    client = rss_mb(os.getpid())
    unconfined: list[float] = []
    if compare:
        unconfined, _, bare, _ = grade_times(variant, confine=False)
        print(f"unconfined: {bare}")

    program = (
        "import torch\n"
        f"torch.manual_seed(0)\n{question.setup}\n"
        f"print(({question.answer}).tolist())\n"
    )
    baseline = []
    for _ in range(BASELINE_RUNS):
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, check=True
        )
        baseline.append((time.perf_counter() - t0) * 1000)
        assert out.stdout.strip() == "[2.0, 4.0, 6.0]", out.stdout

    median = statistics.median(times)
    baseline_median = statistics.median(baseline)
    figures = {
        "median_ms": round(median, 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "baseline_median_ms": round(baseline_median, 1),
        "speedup": round(baseline_median / median, 1),
        "zygote_rss_mb": round(zygote, 1),
        "client_rss_mb": round(client, 1),
        "checks": CHECKS,
        "sandbox": sandbox,
        "baseline_runs": BASELINE_RUNS,
    }
    print(
        f"check: median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms over {CHECKS}; "
        f"naive: median {figures['baseline_median_ms']} ms over {BASELINE_RUNS} "
        f"(x{figures['speedup']}); RSS zygote {figures['zygote_rss_mb']} MB, "
        f"client {figures['client_rss_mb']} MB"
    )
    if unconfined:
        figures["unconfined_median_ms"] = round(statistics.median(unconfined), 2)
        print(f"the same checks unconfined: median {figures['unconfined_median_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
