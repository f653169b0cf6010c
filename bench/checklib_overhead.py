"""What the check helpers (quizapp.runner.checklib) add to one check, in the process that runs it.

Measured in-process with torch (as a check runs in the sandboxed child): a plain call of a small
LayerNorm function against the same call through `guard_calls`, with tensor arguments and with
a module argument (a 2-layer MLP with BatchNorm, every parameter snapshotted per call); entering
and leaving `refuse_ops` (the static scan and the torch function mode); a call inside it.

Target: the helpers add at most 5 ms to a check that makes ~10 calls inside refuse_ops (a
check's budget is 2 s; a verdict costs ~10-15 ms end to end). The LAST line printed is one
JSON object with the figures.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from quizapp.runner.checklib import guard_calls, refuse_ops

REPEATS = 300


def layer_norm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * w + b


def predict(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    was = net.training
    net.eval()
    try:
        with torch.no_grad():
            return net(x)
    finally:
        net.train(was)


def median_us(fn: Callable[[], object]) -> float:
    for _ in range(20):
        fn()
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main() -> None:
    torch.set_num_threads(1)
    x, w, b = torch.randn(8, 16, 32), torch.randn(32), torch.randn(32)
    net = nn.Sequential(nn.Linear(32, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 10))
    xs = torch.randn(8, 32)
    guarded_ln, guarded_predict = guard_calls(layer_norm), guard_calls(predict)
    namespace = {"__name__": "__main__", "layer_norm": layer_norm, "torch": torch}

    def in_refuse() -> None:
        with refuse_ops(namespace, {"layer_norm", "batch_norm", "group_norm"}):
            guarded_ln(x, w, b)

    def refuse_only() -> None:
        with refuse_ops(namespace, {"layer_norm", "batch_norm", "group_norm"}):
            pass

    figures = {
        "plain_call_us": median_us(lambda: layer_norm(x, w, b)),
        "guarded_call_us": median_us(lambda: guarded_ln(x, w, b)),
        "plain_module_call_us": median_us(lambda: predict(net, xs)),
        "guarded_module_call_us": median_us(lambda: guarded_predict(net, xs)),
        "refuse_ops_enter_exit_us": median_us(refuse_only),
        "guarded_call_in_refuse_ops_us": median_us(in_refuse),
    }
    figures["guard_overhead_us"] = figures["guarded_call_us"] - figures["plain_call_us"]
    figures["module_guard_overhead_us"] = (
        figures["guarded_module_call_us"] - figures["plain_module_call_us"]
    )
    # a typical implement check: ~10 guarded calls inside one refuse_ops block
    in_mode = figures["guarded_call_in_refuse_ops_us"] - figures["refuse_ops_enter_exit_us"]
    figures["typical_check_overhead_ms"] = (
        10 * (in_mode - figures["plain_call_us"]) + figures["refuse_ops_enter_exit_us"]
    ) / 1000
    for name, value in figures.items():
        print(f"{name:32s} {value:10.1f}")
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
