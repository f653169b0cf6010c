"""What naming the misconception behind a wrong answer adds to the verdict.

Measured through the public grading API on a started Runner, with every cache OFF
(cache_size=0) so that each verdict really runs code:
- `undiagnosed`: a wrong answer to a question with no misconceptions to run (one run: the truth);
- `diagnosed`: a wrong answer to the same question with an authored misconception (a replacement
  setup) and the automatic ones (its `eval()` makes a wrong-mode rerun; a value question also
  asks for its tensors' sizes): the truth run, then ONE more run that computes every
  misconception (quizapp.runner.alternatives), and the answer matches the authored one.
The two alternate verdict by verdict, so that load from other processes falls on both alike.
Added ms = median(diagnosed) - median(undiagnosed). A correct answer never pays it.

Target: added median <= 15 ms.

The LAST line printed is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import time

from quizapp.bank import draw_variant
from quizapp.bank.models import Question
from quizapp.grading.live import LiveGrader
from quizapp.grading.types import GradeStatus
from quizapp.runner import Runner

WARMUP = 10
VERDICTS = 100
SETUP = "drop = nn.Dropout(p=0.5)\ndrop.eval()\ny = drop(torch.ones(6))"
BELIEF = "drop = nn.Dropout(p=0.5)\ndrop.train()\ny = drop(torch.ones(6))"


def question(**extra: object) -> Question:
    return Question.model_validate(
        {
            "id": "bench.dropout-eval",
            "kind": "value",
            "topic": "bench",
            "prompt": "What is y.sum()?",
            "setup": SETUP,
            "answer": "y.sum().item()",
            **extra,
        }
    )


def main() -> None:
    plain = draw_variant(question(automatic_misconceptions=False), 0)
    rich = draw_variant(
        question(misconceptions=[{"name": "eval-still-drops", "summary": "s", "setup": BELIEF}]),
        0,
    )
    with Runner() as runner:
        runner.start()
        runner.wait_ready(120)
        grader = LiveGrader(runner, cache_size=0)
        believed = grader.outcomes(rich)["authored:eval-still-drops"].value
        wrong = repr(float(believed))
        check = grader.grade(rich, wrong)
        if check.misconception is None or check.misconception.name != "eval-still-drops":
            raise SystemExit(f"the benchmark answer was not diagnosed: {check}")
        if grader.grade(plain, wrong).status is not GradeStatus.INCORRECT:
            raise SystemExit("the benchmark answer is not wrong")
        for _ in range(WARMUP):
            grader.grade(plain, wrong)
            grader.grade(rich, wrong)
        undiagnosed: list[float] = []
        diagnosed: list[float] = []
        for _ in range(VERDICTS):
            t0 = time.perf_counter()
            a = grader.grade(plain, wrong)
            t1 = time.perf_counter()
            b = grader.grade(rich, wrong)
            t2 = time.perf_counter()
            if a.misconception is not None or b.misconception is None:
                raise SystemExit(f"a verdict went wrong: {a} / {b}")
            undiagnosed.append((t1 - t0) * 1000)
            diagnosed.append((t2 - t1) * 1000)

    figures = {
        "undiagnosed_median_ms": round(statistics.median(undiagnosed), 2),
        "diagnosed_median_ms": round(statistics.median(diagnosed), 2),
        "added_median_ms": round(statistics.median(diagnosed) - statistics.median(undiagnosed), 2),
        "verdicts": VERDICTS,
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    print(
        f"wrong verdict: {figures['undiagnosed_median_ms']} ms without a diagnosis, "
        f"{figures['diagnosed_median_ms']} ms with one: +{figures['added_median_ms']} ms "
        f"(median of {VERDICTS}; load {figures['load_average_1min']})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
