"""How long validating the whole bundled bank takes, by how runs are spread over the cores.

Measured: `validate_bank` on `questions/` (every question, --seeds 3 as `quizapp validate` does,
misconception checks included), wall clock from the runners' start to the report, for:
- `one-runner`: one Runner (one zygote) shared by 2 threads: how validation ran before issue 10;
- `two-runners`: two Runners (two zygotes, one per core), one thread each;
- `two-preloaded`: the same, each zygote started with `preload_heavy` (torch._dynamo and sympy
  imported once in the zygote rather than in each run that builds an optimizer): what `quizapp
  validate` does now (`--jobs 2`, the default).
Configurations alternate (A B C A B C ...) so that load from other processes falls on all alike.
The CPU time of this process and of its children (the zygotes and their runs) is reported too.

Target: what `quizapp validate` does no slower than before issue 10 (~40-45 s for the 228
questions of then, on an idle 2-core machine), with today's larger bank and every misconception
and mutant checked.

    python bench/validate_bank.py [--rounds N] [--seeds N] [--bank DIR] [--only NAME ...]

The LAST line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

from quizapp.bank import load_bank
from quizapp.grading.live import LiveGrader
from quizapp.runner import Runner
from quizapp.validation import validate_bank

ROOT = Path(__file__).resolve().parent.parent
# name: (runners, threads, preload_heavy)
CONFIGS = {
    "one-runner": (1, 2, False),
    "two-runners": (2, 2, False),
    "two-preloaded": (2, 2, True),
}


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def validate_once(
    bank_dir: Path, runners: int, threads: int, seeds: int, preload: bool
) -> tuple[float, int]:
    bank = load_bank([bank_dir])
    started = time.perf_counter()
    pool = [Runner(preload_heavy=preload) for _ in range(runners)]
    try:
        for runner in pool:
            runner.start()
        graders = [LiveGrader(runner) for runner in pool]
        report = validate_bank(bank, graders, seeds_per_question=seeds, workers=threads)
    finally:
        for runner in pool:
            runner.close()
    return time.perf_counter() - started, len(report.problems)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--bank", type=Path, default=ROOT / "questions")
    parser.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    args = parser.parse_args()
    configs = {name: CONFIGS[name] for name in args.only}

    walls: dict[str, list[float]] = {name: [] for name in configs}
    cpus: dict[str, list[float]] = {name: [] for name in configs}
    problems = 0
    for _ in range(args.rounds):
        for name, (runners, threads, preload) in configs.items():
            before = cpu_s()
            wall, problems = validate_once(args.bank, runners, threads, args.seeds, preload)
            walls[name].append(wall)
            cpus[name].append(cpu_s() - before)
            print(f"{name}: {wall:.1f} s wall, {cpus[name][-1]:.1f} s CPU, {problems} problem(s)")
    load = os.getloadavg()[0]
    figures: dict[str, object] = {
        name: {
            "median_s": round(statistics.median(walls[name]), 1),
            "cpu_s": round(statistics.median(cpus[name]), 1),
        }
        for name in configs
    }
    figures["questions"] = len(load_bank([args.bank]).questions)
    figures["seeds"] = args.seeds
    figures["rounds"] = args.rounds
    figures["load_average_1min"] = round(load, 1)
    figures["problems"] = problems
    shown = ", ".join(f"{name} {statistics.median(walls[name]):.1f} s" for name in configs)
    print(
        f"bank validation of {figures['questions']} questions: {shown} "
        f"(median of {args.rounds}; load {load:.1f})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
