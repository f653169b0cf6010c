"""What the check helpers (quizapp.runner.checklib) add to one check, in the process that runs it.

Measured in-process with torch (as a check runs in the sandboxed child): a plain call of a small
LayerNorm function against the same call through `guard_calls`, with tensor arguments and with
a module argument (a 2-layer MLP with BatchNorm, every parameter snapshotted per call); entering
and leaving `refuse_ops` (the static scan and the torch function mode); a call inside it; and
`run_reference(...).check(fn)` (the reference's outputs and gradients, then the user's, compared)
against a hand-written value-only comparison of the same call.

Target: the helpers add at most 5 ms to a check that makes ~10 calls inside refuse_ops (a
check's budget is 2 s; a verdict costs ~10-15 ms end to end). The LAST line printed is one
JSON object with the figures. A check comparing gradients with run_reference on ~10 cases
(5 shapes, float32 and float64) should stay under 20 ms of helper time.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from quizapp.runner.checklib import guard_calls, refuse_ops, run_reference

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

    def hand_check() -> None:  # what checks did before: both calls, values only
        want = F.layer_norm(x, (32,), w, b)
        assert torch.allclose(guarded_ln(x, w, b), want, rtol=1e-4, atol=1e-5)

    def reference_check() -> None:  # values, dtype and the gradients of x, w and b
        run_reference(F.layer_norm, (x, (32,), w, b)).check(
            lambda x, _shape, w, b: guarded_ln(x, w, b)
        )

    figures = {
        "plain_call_us": median_us(lambda: layer_norm(x, w, b)),
        "guarded_call_us": median_us(lambda: guarded_ln(x, w, b)),
        "plain_module_call_us": median_us(lambda: predict(net, xs)),
        "guarded_module_call_us": median_us(lambda: guarded_predict(net, xs)),
        "refuse_ops_enter_exit_us": median_us(refuse_only),
        "guarded_call_in_refuse_ops_us": median_us(in_refuse),
        "hand_value_check_us": median_us(hand_check),
        "reference_check_us": median_us(reference_check),
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
    figures["gradient_check_10_cases_ms"] = (
        10 * (figures["reference_check_us"] - figures["hand_value_check_us"]) / 1000
    )
    for name, value in figures.items():
        print(f"{name:32s} {value:10.1f}")
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
