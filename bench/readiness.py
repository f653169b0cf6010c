"""Readiness benchmark: does the plan get a learner ready, and can its forecast be trusted?

Simulated learners with known memory parameters (each a hidden FSRS parameter vector, different
from fsrs's defaults) practise the bundled bank for 60 days toward an interview on day 60, through
the real progress service (SQLite in a temporary folder): each day they do what Learn and Review
serve (`ProgressService.next_questions`, which follows the plan), and each answer is right with the
learner's true recall probability (the hidden model's retrievability; a first answer is right with
the learner's own first-try rate). No runner: results are recorded directly.

On day 30 the profile's scheduler is fitted (and refitted every `--refit-every` days after, as a
learner taking the app's offer would) (`quizapp.fitting.fit`, fsrs's optimizer in its own
process) and the forecast for day 60 is taken (`ProgressService.readiness(...).at_pace`). On the
day (12:00, nothing studied that day) we measure the learner's true expected share right (mean true
recall over the bank; unseen 0) and also draw one answer per question.

Prints one JSON line:
- calibration_error_points: |forecast on day 30 for day 60 - true share right on day 60| x 100,
  mean over learners (target <= 5);
- share_at_target: share of focus questions whose retrievability on the day (the profile's model)
  is at least the target retention (target >= 0.90); share_at_target_true: the same by the hidden
  model;
- log_loss_default / log_loss_fitted (and RMSE): on reviews held out of the fit, at day 60
  (fitted must be lower).

The bank is `--copies` copies of the bundled bank (ids suffixed ~0, ~1, ...), each day's session
starts at a random hour between 07:00 and 21:00.

Usage: python bench/readiness.py [--learners 4] [--days 60] [--copies 2] [--seed 1] [--no-fit]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from quizapp import fitting
from quizapp.bank import load_bank
from quizapp.bank.models import Question
from quizapp.config import resolve_bank_dirs
from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.progress import ProgressService
from quizapp.readiness import interview_moment
from quizapp.store import open_store

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)  # day 0 (the study zone is UTC)
FIRST_HOUR, LAST_HOUR = 7, 21  # each day's session starts at a random time between these
MAX_ANSWERS_A_DAY = 300


@dataclass
class Learner:
    """A hidden memory model: FSRS with its own parameters; first tries right with `first_right`."""

    name: str
    parameters: tuple[float, ...]
    first_right: float
    rng: random.Random
    scheduler: Scheduler = field(init=False)
    cards: dict[str, Card] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scheduler = Scheduler(parameters=self.parameters, enable_fuzzing=False)

    def recall(self, qid: str, at: datetime) -> float:
        card = self.cards.get(qid)
        if card is None:
            return self.first_right
        return float(self.scheduler.get_card_retrievability(card, current_datetime=at))

    def answer(self, qid: str, at: datetime) -> bool:
        return self.rng.random() < self.recall(qid, at)

    def learn(self, qid: str, rating: int, at: datetime) -> None:
        card = self.cards.get(qid) or Card(card_id=len(self.cards) + 1, due=at)
        self.cards[qid], _ = self.scheduler.review_card(card, Rating(rating), review_datetime=at)


# The learners, as people differ: (name, memory factor on the initial stabilities w0-w3, growth
# factor on w8 (how much a successful review multiplies stability), decay w20 of the forgetting
# curve, share of first tries right). fsrs's defaults are 1.0, 1.0 and 0.1542.
LEARNERS = (
    ("forgets fast", 0.45, 0.75, 0.3, 0.5),
    ("strong memory", 2.2, 1.2, 0.2, 0.7),
    ("steep forgetting", 0.8, 0.85, 0.5, 0.6),
    ("average", 1.0, 1.0, 0.1542, 0.55),
)


def hidden_parameters(
    rng: random.Random, memory: float, growth: float, decay: float
) -> tuple[float, ...]:
    """A learner's hidden memory model: initial stabilities (w0-w3) scaled by `memory`, the
    recall stability growth (w8) by `growth`, the forgetting curve's decay (w20) set, every other
    parameter within +-10% of fsrs's defaults; all inside fsrs's bounds."""
    values = []
    for i, (default, lo, hi) in enumerate(
        zip(DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)
    ):
        if i <= 3:
            value = default * memory
        elif i == 8:
            value = default * growth
        elif i == 20:
            value = decay
        else:
            value = default * rng.uniform(0.9, 1.1)
        values.append(min(max(value, lo), hi))
    return tuple(values)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def result_for(q: Question, correct: bool, seed: int) -> GradeResult:
    return GradeResult(
        question_id=q.id,
        seed=seed,
        status=GradeStatus.CORRECT if correct else GradeStatus.INCORRECT,
        given="simulated",
        score=(1.0 if correct else 0.0) if q.kind.value == "recall" else None,
        device="cpu",
        torch_version="sim",
    )


def study_day(
    service: ProgressService, clock: Clock, learner: Learner, bank: dict[str, Question]
) -> int:
    """One day's practice: everything Learn and Review serve (due reviews, the plan's new ones),
    answered one at a time, learning steps included (they come back within the day)."""
    questions = list(bank.values())
    answered = 0
    while answered < MAX_ANSWERS_A_DAY:
        # A round as the app serves it (due first, then the plan's new ones); again until the
        # queue is empty (learning steps come back within LEARN_AHEAD).
        queue = service.next_questions(learner.name, questions=questions, mode="mixed", limit=40)
        if not queue:
            return answered
        for item in queue:
            q = bank[item.question_id]
            correct = learner.answer(q.id, clock.now)
            latency = learner.rng.lognormvariate(math.log(25.0), 0.6)
            record = service.record_attempt(
                learner.name,
                q,
                result_for(q, correct, item.seed),
                answer="simulated",
                latency_s=latency,
                hints_used=0,
            )
            assert record is not None
            learner.learn(q.id, record.rating, clock.now)
            answered += 1
            clock.now += timedelta(seconds=latency + 5)
    return answered


def run_learner(
    index: int, args: argparse.Namespace, bank: dict[str, Question]
) -> dict[str, float]:
    rng = random.Random(args.seed * 1000 + index)
    random.seed(args.seed * 1000 + index)  # fsrs's fuzz draws from the global generator
    label, memory, growth, decay, first_right = LEARNERS[index % len(LEARNERS)]
    learner = Learner(
        name=f"learner{index}",
        parameters=hidden_parameters(rng, memory, growth, decay),
        first_right=first_right,
        rng=rng,
    )
    interview_day = (START + timedelta(days=args.days)).date()
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(START)
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        service = ProgressService(store, clock=clock, tz=UTC, rng=rng)
        service.add_user(learner.name)
        service.set_interview(learner.name, interview_day)
        questions = list(bank.values())
        forecast_day30: float | None = None
        # Fit when the forecast is taken (day 30), then refit every `--refit-every` days.
        refit_days = set(range(args.days // 2, args.days, args.refit_every))
        fit_day30: bool = False
        answers = 0
        for day in range(args.days):
            start_hour = rng.uniform(FIRST_HOUR, LAST_HOUR)
            clock.now = START + timedelta(days=day, hours=start_hour)
            if day in refit_days and not args.no_fit:
                # The learner takes the app's offer to fit (or refit) the scheduler.
                histories = service.review_histories(learner.name)
                if not fitting.reviews_needed(histories):
                    result = fitting.fit(histories)
                    service.set_fsrs_parameters(learner.name, result.parameters)
                    fit_day30 = fit_day30 or day == args.days // 2
            if day == args.days // 2:
                ready = service.readiness(learner.name, questions=questions)
                assert ready is not None
                forecast_day30 = ready.at_pace
            answers += study_day(service, clock, learner, bank)
        # The interview: 12:00 on day 60, nothing studied that day.
        moment = interview_moment(interview_day, UTC)
        clock.now = moment
        true_share = sum(learner.recall(q, moment) if q in learner.cards else 0.0 for q in bank)
        true_share /= len(bank)
        drawn = sum(1 for q in bank if q in learner.cards and learner.answer(q, moment)) / len(bank)
        final = service.readiness(learner.name, questions=questions)
        assert final is not None
        target = final.target_retention
        profile = service.readiness_settings(learner.name)
        model = service._scheduler_of(profile)  # the profile's own model, as the forecast uses it
        memories = {m.question_id: m for m in _memories(service, learner.name)}
        at_target = sum(
            1
            for q in bank
            if q in memories
            and model.get_card_retrievability(memories[q].to_card(), current_datetime=moment)
            >= target
        )
        at_target_true = sum(
            1 for q in bank if q in learner.cards and learner.recall(q, moment) >= target
        )
        histories = service.review_histories(learner.name)
        losses: dict[str, float] = {}
        if not args.no_fit and not fitting.reviews_needed(histories):
            fit = fitting.fit(histories)
            losses = {
                "log_loss_default": fit.default.log_loss,
                "log_loss_fitted": fit.fitted.log_loss,
                "rmse_default": fit.default.rmse,
                "rmse_fitted": fit.fitted.rmse,
                "held_out_reviews": fit.fitted.reviews,
            }
        service.close()
    assert forecast_day30 is not None
    return {
        "learner": label,
        "forecast_day30": forecast_day30,
        "fitted_day30": fit_day30,
        "true_share": true_share,
        "drawn_share": drawn,
        "share_at_target": at_target / len(bank),
        "share_at_target_true": at_target_true / len(bank),
        "answers": answers,
        **losses,
    }


def _memories(service: ProgressService, user: str) -> list:  # type: ignore[type-arg]
    from quizapp.store import repository as repo

    with service.store.read() as conn:
        return service._memories(conn, repo.user_id(conn, user))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=len(LEARNERS))
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--copies", type=int, default=2, help="copies of the bundled bank")
    parser.add_argument("--no-fit", action="store_true", help="skip fsrs's optimizer")
    parser.add_argument(
        "--refit-every", type=int, default=15, help="days between refits after day 30"
    )
    args = parser.parse_args()
    real = list(load_bank(resolve_bank_dirs(())).questions.values())
    # `--copies` independent copies of the bundled bank (ids suffixed): a bank the size of a
    # real user's, so that 30 days give the optimizer enough reviews to fit.
    bank = {
        f"{q.id}~{c}": q.model_copy(update={"id": f"{q.id}~{c}"})
        for c in range(args.copies)
        for q in real
    }
    started = time.perf_counter()
    runs = [run_learner(i, args, bank) for i in range(args.learners)]

    def mean(key: str) -> float | None:
        values = [r[key] for r in runs if key in r]
        return sum(values) / len(values) if values else None

    calibration = [abs(r["forecast_day30"] - r["true_share"]) * 100 for r in runs]
    out = {
        "bench": "readiness",
        "learners": args.learners,
        "days": args.days,
        "questions": len(bank),
        "calibration_error_points": round(sum(calibration) / len(calibration), 2),
        "calibration_error_points_max": round(max(calibration), 2),
        "forecast_day30": round(mean("forecast_day30") or 0, 4),
        "true_share_day60": round(mean("true_share") or 0, 4),
        "drawn_share_day60": round(mean("drawn_share") or 0, 4),
        "share_at_target": round(mean("share_at_target") or 0, 4),
        "share_at_target_true": round(mean("share_at_target_true") or 0, 4),
        "fitted_on_day30": sum(1 for r in runs if r["fitted_day30"]),
        "answers_per_learner": round(mean("answers") or 0),
        "seconds": round(time.perf_counter() - started, 1),
    }
    for key in ("log_loss_default", "log_loss_fitted", "rmse_default", "rmse_fitted"):
        value = mean(key)
        out[key] = None if value is None else round(value, 4)
    out["per_learner"] = [
        {
            k: (round(v, 4) if isinstance(v, float) else v)
            for k, v in r.items()
            if k
            in (
                "learner",
                "forecast_day30",
                "true_share",
                "share_at_target",
                "log_loss_default",
                "log_loss_fitted",
            )
        }
        for r in runs
    ]
    out["fitted_beats_default"] = (
        out["log_loss_fitted"] is not None
        and out["log_loss_default"] is not None
        and out["log_loss_fitted"] < out["log_loss_default"]
    )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
