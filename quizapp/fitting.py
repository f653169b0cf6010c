"""FSRS parameters fitted to one profile's reviews (`quizapp optimize`), without torch here.

The fit itself is fsrs's own optimizer (`fsrs.optimizer.Optimizer`, which imports torch): it runs in
a process of its own, `python -m quizapp.fsrs_fit_worker`, so torch is never imported in the CLI or
the TUI. This module prepares the review log, holds one question in HOLDOUT_EVERY out of the fit,
and scores parameters on the held-out reviews with fsrs's plain (float) scheduler: log loss and
RMSE of the predicted recall against what happened.

What counts as a review (the optimizer's own rule): an answer a day or more (24 h) after the same
question's previous answer, among the first MAX_SEQUENCE answers of each question. Below
MIN_REVIEWS such reviews in the fitting part, fsrs's optimizer returns its defaults unchanged, so
we say how many more are needed instead of pretending to fit.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

MIN_REVIEWS = 512  # fsrs.optimizer's mini_batch_size: fewer reviews and it returns the defaults
MAX_SEQUENCE = 64  # the optimizer uses the first 64 answers of each question
HOLDOUT_EVERY = 5  # one question in five (by a stable hash of its id) is held out of the fit
FIT_TIMEOUT_S = 1800.0
EPSILON = 1e-7  # predictions are clamped to [EPSILON, 1 - EPSILON] before taking logs

WORKER_MODULE = "quizapp.fsrs_fit_worker"


class FitError(Exception):
    """The fit could not run (optimizer missing, worker failed); the message says why."""


@dataclass(frozen=True)
class Review:
    at: datetime  # UTC
    rating: int  # fsrs.Rating value
    duration_ms: int | None


Histories = Mapping[str, Sequence[Review]]  # question id -> its answers, in time order


@dataclass(frozen=True)
class Loss:
    log_loss: float
    rmse: float
    reviews: int


@dataclass(frozen=True)
class FitResult:
    parameters: tuple[float, ...]
    default: Loss  # fsrs's default parameters on the held-out reviews
    fitted: Loss  # the fitted parameters on the same reviews
    train_reviews: int
    held_out_questions: int


def held_out(question_id: str) -> bool:
    return zlib.crc32(question_id.encode()) % HOLDOUT_EVERY == 0


def split(histories: Histories) -> tuple[dict[str, Sequence[Review]], dict[str, Sequence[Review]]]:
    """(fitting part, held-out part), by question."""
    train = {q: h for q, h in histories.items() if not held_out(q)}
    test = {q: h for q, h in histories.items() if held_out(q)}
    return train, test


def countable_reviews(histories: Histories) -> int:
    """Reviews the optimizer learns from (rule in the module docstring)."""
    total = 0
    for history in histories.values():
        ordered = sorted(history, key=lambda r: r.at)[:MAX_SEQUENCE]
        total += sum(1 for a, b in itertools.pairwise(ordered) if (b.at - a.at).days > 0)
    return total


def reviews_needed(histories: Histories) -> int:
    """How many more reviews the fitting part needs before a fit can run (0: enough)."""
    train, _test = split(histories)
    return max(MIN_REVIEWS - countable_reviews(train), 0)


def valid_parameters(parameters: Sequence[float]) -> tuple[float, ...]:
    """The parameters as a tuple, or ValueError when fsrs would refuse them."""
    values = tuple(float(p) for p in parameters)
    if len(values) != len(DEFAULT_PARAMETERS):
        raise ValueError(f"expected {len(DEFAULT_PARAMETERS)} FSRS parameters, got {len(values)}")
    for i, (v, lo, hi) in enumerate(
        zip(values, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    ):
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ValueError(f"FSRS parameter {i} = {v} is outside [{lo}, {hi}]")
    return values


def evaluate(parameters: Sequence[float], histories: Histories) -> Loss:
    """Log loss and RMSE of the scheduler's predicted recall on every countable review (replayed
    exactly as the optimizer does: predict, then update the card with the rating given)."""
    scheduler = Scheduler(parameters=tuple(parameters), enable_fuzzing=False)
    losses: list[float] = []
    squares: list[float] = []
    for history in histories.values():
        card: Card | None = None
        for review in sorted(history, key=lambda r: r.at)[:MAX_SEQUENCE]:
            if card is None:
                card = Card(card_id=1, due=review.at)
            recalled = 0.0 if review.rating == Rating.Again else 1.0
            if card.last_review is not None and (review.at - card.last_review).days > 0:
                p = float(scheduler.get_card_retrievability(card, current_datetime=review.at))
                p = min(max(p, EPSILON), 1 - EPSILON)
                losses.append(-(recalled * math.log(p) + (1 - recalled) * math.log(1 - p)))
                squares.append((p - recalled) ** 2)
            card, _log = scheduler.review_card(card, Rating(review.rating), review.at)
    if not losses:
        return Loss(math.nan, math.nan, 0)
    return Loss(sum(losses) / len(losses), math.sqrt(sum(squares) / len(squares)), len(losses))


def encode(histories: Histories) -> str:
    """The worker's input: one review log, card ids numbering the questions."""
    rows = [
        [card_id, r.rating, r.at.isoformat(), r.duration_ms]
        for card_id, qid in enumerate(sorted(histories), start=1)
        for r in histories[qid]
    ]
    return json.dumps({"reviews": rows})


def fit(histories: Histories, *, timeout_s: float = FIT_TIMEOUT_S) -> FitResult:
    """Fit on the fitting part in the worker process; score both parameter sets on the held-out
    part. Raises ValueError when there are too few reviews, FitError when the worker fails."""
    train, test = split(histories)
    count = countable_reviews(train)
    if count < MIN_REVIEWS:
        raise ValueError(
            f"{MIN_REVIEWS - count} more review(s) needed before a fit ({count} of {MIN_REVIEWS})"
        )
    parameters = run_worker(encode(train), timeout_s=timeout_s)
    return FitResult(
        parameters=parameters,
        default=evaluate(DEFAULT_PARAMETERS, test),
        fitted=evaluate(parameters, test),
        train_reviews=count,
        held_out_questions=len(test),
    )


def run_worker(payload: str, *, timeout_s: float) -> tuple[float, ...]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # the fit is sequential; do not grab every core
    try:
        done = subprocess.run(
            [sys.executable, "-m", WORKER_MODULE],
            input=payload,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise FitError(f"the fit took longer than {timeout_s:.0f} s and was stopped") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FitError(f"the optimizer failed: {last}")
    try:
        return valid_parameters(json.loads(done.stdout)["parameters"])
    except (ValueError, KeyError, TypeError) as error:
        raise FitError(f"the optimizer returned unusable parameters: {error}") from None
