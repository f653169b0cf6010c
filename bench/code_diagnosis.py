"""Diagnosing failing code over the bundled bank: how often, how right, and what it costs.

For every code question of `questions/` (seed 1 by default; `--seeds N` for more), through the
public grading API on one started Runner:
- `prepare_ms`: the run of the question's `code` misconceptions through its check (what the
  app starts while the question is on screen);
- then each misconception's own solution is graded as if a learner had written it, and the
  verdict must name that misconception: `self` (named it), `other` (named another: a wrong
  diagnosis), `none` (two misconceptions fail alike, so neither is named), with the wrong
  verdict's time once prepared (`verdict_ms`: the check run alone, the diagnosis is a lookup).

Targets: `other` = 0 (a diagnosis is never wrong about its own solutions); median `prepare_ms`
under 2 s (it runs while the learner types; a code question takes minutes). `self` is reported,
not targeted: a failure whose numbers are no fingerprint of the mistake names nothing by design
(quizapp.grading.misconceptions), so it rises only as checks report measured differences.
The LAST line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from quizapp.bank import Kind, draw_variant, load_bank
from quizapp.grading.live import LiveGrader
from quizapp.runner import Runner

BANK = Path(__file__).resolve().parent.parent / "questions"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="question ids")
    args = parser.parse_args()
    bank = load_bank([BANK])
    questions = [
        q
        for q in bank.questions.values()
        if q.kind is Kind.CODE and any(m.code is not None for m in q.misconceptions)
    ]
    if args.only:
        questions = [q for q in questions if q.id in args.only]
    prepare_ms: list[float] = []
    verdict_ms: list[float] = []
    tally = {"self": 0, "other": 0, "none": 0, "passed": 0}
    wrong: list[str] = []
    unnamed: list[str] = []
    with Runner() as runner:
        runner.start()
        runner.wait_ready(120)
        grader = LiveGrader(runner)
        for q in questions:
            for seed in range(1, args.seeds + 1):
                variant = draw_variant(q, seed)
                t0 = time.perf_counter()
                grader.prepare(variant)
                prepare_ms.append((time.perf_counter() - t0) * 1000)
                for m in q.misconceptions:
                    if m.code is None:
                        continue
                    t1 = time.perf_counter()
                    result = grader.grade(variant, m.code)
                    verdict_ms.append((time.perf_counter() - t1) * 1000)
                    if result.correct:
                        tally["passed"] += 1  # validate reports it; not a diagnosis
                    elif result.misconception is None:
                        tally["none"] += 1
                        unnamed.append(f"{q.id}/{m.name}@{seed}")
                    elif result.misconception.name == m.name:
                        tally["self"] += 1
                    else:
                        tally["other"] += 1
                        wrong.append(f"{q.id}/{m.name}@{seed} -> {result.misconception.name}")
    judged = tally["self"] + tally["other"] + tally["none"]
    figures = {
        "questions": len(questions),
        "seeds": args.seeds,
        "misconception_solutions": judged,
        **tally,
        "self_rate": round(tally["self"] / judged, 3) if judged else None,
        "prepare_median_ms": round(statistics.median(prepare_ms), 1) if prepare_ms else None,
        "prepare_p90_ms": round(sorted(prepare_ms)[int(0.9 * (len(prepare_ms) - 1))], 1)
        if prepare_ms
        else None,
        "prepare_max_ms": round(max(prepare_ms), 1) if prepare_ms else None,
        "verdict_median_ms": round(statistics.median(verdict_ms), 1) if verdict_ms else None,
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    for line in wrong:
        print(f"named another: {line}")
    for line in unnamed:
        print(f"named none (fails like another): {line}")
    print(
        f"{judged} misconception solutions in {len(questions)} code questions: "
        f"{tally['self']} named themselves ({figures['self_rate']:.1%}), {tally['other']} "
        f"another, {tally['none']} none; prepare median {figures['prepare_median_ms']} ms "
        f"(p90 {figures['prepare_p90_ms']}, max {figures['prepare_max_ms']}); a prepared wrong "
        f"verdict {figures['verdict_median_ms']} ms (load {figures['load_average_1min']})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
