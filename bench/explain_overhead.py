"""What explain-by-running adds to one run: `run_instruments` on typical small questions.

Prints, per case, the median milliseconds of (a) a warm in-process call and (b) the first call in
a freshly forked child of a process that has imported torch and the instruments once (what the
runner's zygote does per check), plus the size of the JSON result that crosses the pipe.

    .venv/bin/python bench/explain_overhead.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from quizapp.runner.instruments import run_instruments

torch.set_num_threads(1)  # as in the runner's zygote


def mlp_namespace() -> dict[str, Any]:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    x = torch.randn(8, 16)
    out = model(x)
    loss = out.pow(2).mean()
    loss.backward()
    return {"torch": torch, "nn": nn, "F": F, "seed": 0, "model": model, "x": x, "out": out,
            "loss": loss}  # fmt: skip


def bn_dropout_namespace() -> dict[str, Any]:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 4)
    )
    x = torch.randn(8, 16)
    return {"torch": torch, "nn": nn, "F": F, "seed": 0, "model": model, "x": x}


CASES: list[tuple[str, Callable[[], dict[str, Any]], dict[str, Any]]] = [
    ("MLP: trace", mlp_namespace, {"trace": "auto"}),
    ("MLP: graph (after backward)", mlp_namespace, {"graph": "auto", "answer_expr": "loss"}),
    ("MLP: modes (named)", mlp_namespace, {"modes": {"model": "model", "input": "x"}}),
    (
        "MLP: trace + graph + modes auto",
        mlp_namespace,
        {"trace": "auto", "graph": "auto", "modes": "auto", "answer_expr": "loss"},
    ),
    (
        "BN+Dropout MLP: all three auto",
        bn_dropout_namespace,
        {"trace": "auto", "graph": "auto", "modes": "auto", "answer_expr": None},
    ),
]


def timed(ns: dict[str, Any], spec: dict[str, Any]) -> tuple[float, int]:
    start = time.perf_counter()
    result = run_instruments(ns, spec)
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, len(json.dumps(result))


def in_fork(ns: dict[str, Any], spec: dict[str, Any]) -> float:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one cold call, like a check in the runner
        os.close(read)
        elapsed, _ = timed(ns, spec)
        os.write(write, f"{elapsed}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        value = float(pipe.read())
    os.waitpid(pid, 0)
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {args.repeat} repeats, medians")
    print(f"{'case':34} {'warm ms':>8} {'fork ms':>8} {'JSON bytes':>10}")
    for label, make, spec in CASES:
        ns = make()
        timed(ns, spec)  # warm-up: first use of each torch op
        warm = [timed(ns, spec)[0] for _ in range(args.repeat)]
        size = timed(ns, spec)[1]
        forked = [in_fork(ns, spec) for _ in range(args.repeat)]
        print(
            f"{label:34} {statistics.median(warm):8.2f} {statistics.median(forked):8.2f} {size:10,}"
        )


if __name__ == "__main__":
    main()
