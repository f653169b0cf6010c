"""Fitting FSRS to a profile: which reviews count, the held-out split, the losses, the worker
process, and that torch / fsrs.optimizer stay out of every other module."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS

from quizapp import fitting
from quizapp.fitting import Review

T0 = datetime(2027, 1, 1, 9, tzinfo=UTC)
PACKAGE = Path(fitting.__file__).parent


def reviews(*days_and_ratings: tuple[float, int]) -> list[Review]:
    return [Review(T0 + timedelta(days=d), r, 20_000) for d, r in days_and_ratings]


def test_only_answers_a_day_or_more_apart_count() -> None:
    history = {
        "a": reviews((0, 3), (0.01, 3), (0.99, 3), (2, 1), (5, 3)),  # counted: day 2, day 5
        "b": reviews((0, 3)),
    }
    assert fitting.countable_reviews(history) == 2


def test_the_split_is_by_question_and_stable() -> None:
    ids = [f"topic.q{i}" for i in range(500)]
    held = [q for q in ids if fitting.held_out(q)]
    assert 60 < len(held) < 140  # about one in five
    assert held == [q for q in ids if fitting.held_out(q)]
    train, test = fitting.split({q: [] for q in ids})
    assert set(train) | set(test) == set(ids) and not set(train) & set(test)


def test_reviews_needed_counts_down_to_zero() -> None:
    assert fitting.reviews_needed({}) == fitting.MIN_REVIEWS
    many = {f"q{i}": reviews(*((d * 2.0, 3) for d in range(9))) for i in range(100)}
    train, _ = fitting.split(many)
    assert fitting.countable_reviews(train) == 8 * len(train)
    assert fitting.reviews_needed(many) == max(fitting.MIN_REVIEWS - 8 * len(train), 0)


def test_evaluate_is_the_log_loss_of_fsrs_predictions() -> None:
    history = {"a": reviews((0, 3), (3, 3), (10, 1), (11, 3))}
    loss = fitting.evaluate(DEFAULT_PARAMETERS, history)
    # By hand: replay with fsrs, predicting before each review a day or more after the last.
    scheduler = Scheduler(enable_fuzzing=False)
    card = Card(card_id=1, due=T0)
    terms, squares = [], []
    for r in history["a"]:
        if card.last_review is not None and (r.at - card.last_review).days > 0:
            p = scheduler.get_card_retrievability(card, current_datetime=r.at)
            y = 0.0 if r.rating == Rating.Again else 1.0
            terms.append(-(y * math.log(p) + (1 - y) * math.log(1 - p)))
            squares.append((p - y) ** 2)
        card, _ = scheduler.review_card(card, Rating(r.rating), r.at)
    assert loss.reviews == 3
    assert loss.log_loss == pytest.approx(sum(terms) / 3)
    assert loss.rmse == pytest.approx(math.sqrt(sum(squares) / 3))
    assert math.isnan(fitting.evaluate(DEFAULT_PARAMETERS, {}).log_loss)


def test_parameters_are_checked_against_fsrs_bounds() -> None:
    assert fitting.valid_parameters(DEFAULT_PARAMETERS) == tuple(DEFAULT_PARAMETERS)
    with pytest.raises(ValueError, match="expected 21"):
        fitting.valid_parameters([1.0])
    bad = list(DEFAULT_PARAMETERS)
    bad[0] = -5.0
    with pytest.raises(ValueError, match="parameter 0"):
        fitting.valid_parameters(bad)
    bad[0] = math.nan
    with pytest.raises(ValueError, match="parameter 0"):
        fitting.valid_parameters(bad)


def test_fit_refuses_too_few_reviews_saying_how_many_more() -> None:
    with pytest.raises(ValueError, match=rf"{fitting.MIN_REVIEWS} more review"):
        fitting.fit({})


def test_a_failing_worker_is_a_fit_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fitting, "WORKER_MODULE", "quizapp.no_such_worker_module")
    with pytest.raises(fitting.FitError, match="optimizer failed"):
        fitting.run_worker(json.dumps({"reviews": []}), timeout_s=60)


def test_the_worker_returns_defaults_below_the_optimizers_minimum() -> None:
    """The real worker process (fsrs's optimizer, torch): tiny logs come back as the defaults."""
    payload = fitting.encode({"a": reviews((0, 3), (2, 3), (6, 1))})
    assert fitting.run_worker(payload, timeout_s=120) == pytest.approx(tuple(DEFAULT_PARAMETERS))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_only_the_worker_imports_fsrs_optimizer() -> None:
    importers = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if any(n == "fsrs.optimizer" or n.startswith("fsrs.optimizer.") for n in _imports(p))
    )
    assert importers == ["fsrs_fit_worker.py"]


def test_the_cli_process_never_imports_torch_for_optimize(tmp_path: Path) -> None:
    code = (
        "import sys; from click.testing import CliRunner; from quizapp.cli import cli; "
        f"r = CliRunner().invoke(cli, ['users', 'add', 'ann', '--db', {str(tmp_path / 'x.db')!r}]);"
        f"r = CliRunner().invoke(cli, ['optimize', '--user', 'ann', '--db', "
        f"{str(tmp_path / 'x.db')!r}]); "
        "print('torch' in sys.modules, 'fsrs.optimizer' in sys.modules, r.exit_code)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "2"]
