"""A practice history made through the real progress service (a unique module name: tests/ has
several conftests): every day, everything the queue serves, right with a fixed chance."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from progress_helpers import make_question, result

from quizapp.bank.models import Question
from quizapp.grading.types import GradeStatus
from quizapp.progress import ProgressService


def make_bank(n: int, topics: Sequence[str] = ("shapes", "autograd", "modes")) -> list[Question]:
    return [
        make_question(f"{topics[i % len(topics)]}.q{i:03d}", topic=topics[i % len(topics)])
        for i in range(n)
    ]


def practise(
    service: ProgressService,
    clock: Callable[[], datetime] | object,
    user: str,
    bank: Sequence[Question],
    *,
    days: int,
    right: float = 0.85,
    seed: int = 7,
) -> int:
    """`days` days of practice from the clock's current time; returns the number of answers."""
    rng = random.Random(seed)
    by_id = {q.id: q for q in bank}
    answers = 0
    for _day in range(days):
        start = clock.now  # type: ignore[attr-defined]
        while True:
            queue = service.next_questions(user, questions=bank, mode="mixed", limit=1)
            if not queue:
                break
            q = by_id[queue[0].question_id]
            status = GradeStatus.CORRECT if rng.random() < right else GradeStatus.INCORRECT
            service.record_attempt(
                user, q, result(q, status), answer="x", latency_s=rng.uniform(5, 60), hints_used=0
            )
            answers += 1
            clock.now += timedelta(seconds=40)  # type: ignore[attr-defined]
        clock.now = start + timedelta(days=1, hours=rng.uniform(-3, 3))  # type: ignore[attr-defined]
    return answers
