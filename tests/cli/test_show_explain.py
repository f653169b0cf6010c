"""`quizapp show ID --trace / --graph / --modes`: the question rerun with instruments, printed
with rich (CliRunner, a real runner shared by the module)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from quizapp.cli import cli

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "tests" / "fixtures" / "bank"
WIDTH = "100"  # rich reads COLUMNS: the same table layout wherever the tests run

MLP_BANK = """\
format: 1
topic: modes
questions:
  - id: extra.mlp-modes
    kind: shape
    title: An MLP with BatchNorm and Dropout
    setup: |
      net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(8, 2))
      x = torch.randn(6, 4)
      out = net(x)
    prompt: What is `out.shape`?
    answer: out.shape
"""


@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    from quizapp.runner import Runner

    shared = Runner()
    shared.start()
    yield shared
    shared.close()


def show(runner: Any, *args: str, bank: Path = BANK) -> str:
    result = CliRunner().invoke(
        cli,
        ["show", *args, "--seed", "1", "--bank", str(bank)],
        obj={"runner": runner},
        env={"COLUMNS": WIDTH},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def after(rule: str, text: str) -> str:
    """What was printed below the section rule named `rule`."""
    match = re.search(rf"─+ {re.escape(rule)} ─+\n", text)
    assert match, f"no '{rule}' section in:\n{text}"
    return text[match.end() :]


def test_trace_prints_one_row_per_module_call(runner: Any) -> None:
    out = show(runner, "fixture.linear-shape", "--trace")
    assert "What is y.shape?" in out  # the question first
    trace = after("Forward trace", out)
    assert "layer(x) in train mode" in trace
    header = re.search(r"module\s+type\s+input\s+output\s+params\s+mean\s+std\s+zeros", trace)
    assert header, trace
    assert re.search(r"layer\s+Linear\s+\(16, 32\)\s+\(16, 64\)\s+2,112\s+-?[\d.]+", trace)
    assert "2,112 parameters; output (16, 64)" in trace
    assert "Autograd graph" not in out and "Train / eval" not in out


def test_trace_of_a_container_indents_its_children(runner: Any, tmp_path: Path) -> None:
    (tmp_path / "mlp.yaml").write_text(MLP_BANK)
    trace = after("Forward trace", show(runner, "extra.mlp-modes", "--trace", bank=tmp_path))
    rows = [line for line in trace.splitlines() if re.match(r"\s+(net|\d)\s", line)]
    assert [r.split()[1] for r in rows] == [
        "Sequential",
        "Linear",
        "BatchNorm1d",
        "ReLU",
        "Dropout",
        "Linear",
    ]
    indent = [len(r) - len(r.lstrip()) for r in rows]
    assert indent[1:] == [indent[0] + 2] * 5  # children one level in
    assert re.search(r"net\s+Sequential\s+\(6, 4\)\s+\(6, 2\)\s+Σ74", trace)


def test_graph_prints_the_autograd_tree(runner: Any) -> None:
    graph = after("Autograd graph", show(runner, "fixture.is-leaf", "--graph"))
    lines = graph.splitlines()
    assert lines[0].split() == [
        "y",
        "(2,)",
        "float32",
        "requires_grad=True",
        "grad_fn=MulBackward0",
    ]
    assert re.match(r"└── #0 MulBackward0\s+→ y", lines[1])
    assert re.match(r"\s+└── #1 AccumulateGrad → w\s+\(2,\)\s+\.grad = None", lines[2])


def test_graph_of_a_tensor_without_one_says_why(runner: Any) -> None:
    graph = after("Autograd graph", show(runner, "fixture.square-grad", "--graph"))
    assert "grad_fn=None" in graph
    assert "autograd does not track it" in graph


def test_modes_prints_the_comparison_table(runner: Any, tmp_path: Path) -> None:
    (tmp_path / "mlp.yaml").write_text(MLP_BANK)
    modes = after(
        "Train / eval / no_grad", show(runner, "extra.mlp-modes", "--modes", bank=tmp_path)
    )
    assert "net(x) by mode, seed 1" in modes
    rows = {
        m[1]: m[2].split()
        for m in re.finditer(
            r"^\s+(train|train \+ no_grad|eval|eval \+ no_grad|"
            r"eval \+ inference_mode)\s+\(6, 2\)\s+(.*)$",
            modes,
            re.MULTILINE,
        )
    }
    assert list(rows) == [
        "train",
        "train + no_grad",
        "eval",
        "eval + no_grad",
        "eval + inference_mode",
    ]
    assert rows["train"][0] == "AddmmBackward0"  # a graph is built in train and in eval...
    assert rows["eval"][0] == "AddmmBackward0"
    assert rows["train + no_grad"][0] == "none"  # ...but not under no_grad
    assert rows["eval + inference_mode"][0:2] == ["none", "(inference)"]
    assert rows["train"][-1] == "updated"  # BatchNorm's running stats move in train mode
    assert rows["train + no_grad"][-1] == "updated"  # no_grad does not stop that
    assert rows["eval"][-1] == "unchanged"
    assert rows["eval + no_grad"][-2] == "0"  # same output as eval: Δ eval is 0
    assert "Dropout: net.3 (Dropout, p=0.5)" in modes
    # the setup ran one forward already; the modes run on copies of that model
    assert re.search(r"net\.1 \(BatchNorm1d\) in train: num_batches_tracked 1→2", modes)


def test_modes_of_a_model_without_dropout_or_batchnorm(runner: Any) -> None:
    modes = after("Train / eval / no_grad", show(runner, "fixture.linear-shape", "--modes"))
    assert modes.strip() == "No train/eval comparison for this question."


def test_all_three_sections_in_order(runner: Any, tmp_path: Path) -> None:
    (tmp_path / "mlp.yaml").write_text(MLP_BANK)
    out = show(runner, "extra.mlp-modes", "--trace", "--graph", "--modes", bank=tmp_path)
    titles = re.findall(r"─+ (Forward trace|Autograd graph|Train / eval / no_grad) ─+", out)
    assert titles == ["Forward trace", "Autograd graph", "Train / eval / no_grad"]
    assert "AccumulateGrad → net.0.weight" in after("Autograd graph", out)


def test_a_recall_question_has_nothing_to_run(runner: Any) -> None:
    out = show(runner, "fixture.why-zero-grad", "--trace")
    assert "This question runs no code, so there is nothing to trace." in out
    assert "Forward trace" not in out
