"""Regenerates the canned instruments output the fake service returns (run it by hand).

    .venv/bin/python tests/tui/data/regenerate.py

Each JSON file is `RunResult.instruments` exactly as quizapp.runner.instruments produced it for
the code below, so the TUI tests render realistic explanations without running PyTorch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

LINEAR_SETUP = "layer = nn.Linear(32, 64)\nx = torch.randn(batch, 32)\ny = layer(x)"
MLP_SETUP = """\
model = nn.Sequential(
    nn.Linear(4, 8),
    nn.BatchNorm1d(8),
    nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(8, 2),
)
x = torch.randn(5, 4)
loss = model(x).pow(2).mean()
loss.backward()
"""
AUTO = {"trace": "auto", "graph": "auto", "modes": "auto"}

CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    # name: (code, params, instruments spec)
    "linear.json": (LINEAR_SETUP, {"batch": 16}, {**AUTO, "answer_expr": "y.shape"}),
    "mlp.json": (MLP_SETUP, {}, {**AUTO, "answer_expr": "tuple(model(x).shape)"}),
}


def main() -> None:
    from quizapp.runner import Runner
    from quizapp.runner.protocol import RunRequest, Step

    with Runner() as runner:
        runner.start()
        for name, (code, params, spec) in CASES.items():
            request = RunRequest(
                steps=(Step(code=code, label="setup"),),
                seed=7,
                params=params,
                timeout=10.0,
                instruments=spec,
            )
            result = runner.run(request)
            assert result.instruments is not None, result
            text = json.dumps(result.instruments, sort_keys=True)
            (HERE / name).write_text(text + "\n")
            print(name, len(text))


if __name__ == "__main__":
    main()
