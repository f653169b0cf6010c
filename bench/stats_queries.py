"""Stats and recording speed on a big progress database.

Fills a SQLite database with 1,000,000 attempts over 10 users and 2 years (Core executemany in
one transaction per batch), then times the full `ProgressService.stats` for one user (median of
several runs) and one `record_attempt`. Targets on SQLite: stats <= 50 ms, one attempt <= 2 ms.

    python bench/stats_queries.py [--attempts N] [--users N] [--db URL] [--runs N]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from quizapp.bank.models import Question
from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.progress import ProgressService
from quizapp.store import open_store
from quizapp.store.models import Attempt, QuestionSeen, ReviewCard, User
from quizapp.store.repository import rebuild_daily_totals

TOPICS = ["shapes", "autograd", "forward-pass", "modes", "hooks", "broadcasting"]
KINDS = ["shape", "value", "choice", "output", "code", "recall"]
BATCH = 50_000


def make_questions(n: int) -> list[Question]:
    return [
        Question(
            id=f"{TOPICS[i % len(TOPICS)]}.q{i:04d}",
            kind=KINDS[i % len(KINDS)],
            topic=TOPICS[i % len(TOPICS)],
            prompt=f"question {i}",
            answer="(1, 2)",
        )
        for i in range(n)
    ]


def fill(
    service: ProgressService, questions: list[Question], users: int, attempts: int, days: int
) -> float:
    """Bulk-insert users, questions, cards and attempts; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(42)
    now = datetime.now(UTC)
    first_day = now - timedelta(days=days)
    hashes = {q.id: q.content_hash() for q in questions}
    names = [f"user{u:02d}" for u in range(users)]
    for name in names:
        service.add_user(name)
    with service.store.session() as s:
        uids = {name: uid for name, uid in s.execute(select(User.name, User.id))}
        s.execute(
            insert(QuestionSeen),
            [
                {
                    "id": q.id,
                    "topic": q.topic,
                    "kind": q.kind.value,
                    "content_hash": hashes[q.id],
                    "first_seen_at": first_day,
                    "flagged_changed": False,
                }
                for q in questions
            ],
        )
        cards = []
        for name in names:
            for q in questions:
                due = now + timedelta(days=rng.uniform(-5, 30))
                state = rng.choice((1, 2, 2, 2, 3))
                cards.append(
                    {
                        "user_id": uids[name],
                        "question_id": q.id,
                        "card_id": rng.randrange(1, 2**40),
                        "state": state,
                        "step": None if state == 2 else 0,
                        "stability": rng.uniform(0.5, 60),
                        "difficulty": rng.uniform(1, 10),
                        "due": due,
                        "last_review": due - timedelta(days=3),
                        "reps": 20,
                        "lapses": rng.randrange(0, 10),
                        "correct_count": rng.randrange(5, 20),
                        "leech": False,
                        "content_hash": hashes[q.id],
                        "first_day": (first_day + timedelta(days=rng.randrange(days))).date(),
                        "created_at": first_day,
                    }
                )
        s.execute(insert(ReviewCard), cards)
    span = days * 86400
    per_user = attempts // users
    for name in names:
        uid = uids[name]
        done = 0
        while done < per_user:
            rows = []
            for _ in range(min(BATCH, per_user - done)):
                q = questions[rng.randrange(len(questions))]
                at = first_day + timedelta(seconds=rng.randrange(span))
                correct = rng.random() < 0.7
                rows.append(
                    {
                        "user_id": uid,
                        "question_id": q.id,
                        "session_id": None,
                        "topic": q.topic,
                        "kind": q.kind.value,
                        "content_hash": hashes[q.id],
                        "seed": rng.randrange(2**31),
                        "answer": "(1, 2)",
                        "status": "correct" if correct else "incorrect",
                        "correct": correct,
                        "score": None,
                        "rating": 3 if correct else 1,
                        "latency_s": round(rng.lognormvariate(2.3, 0.6), 3),
                        "hints_used": 0,
                        "device": "cpu",
                        "torch_version": "2.13.0",
                        "answered_at": at,
                        "answered_day": at.date(),
                    }
                )
            with service.store.session() as s:
                s.execute(insert(Attempt), rows)
            done += len(rows)
        with service.store.session() as s:
            rebuild_daily_totals(s, uid)  # what an import does after its bulk insert
    return time.perf_counter() - started


def median_ms(fn: object, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument(
        "--db", default=None, help="database URL (default: a temporary SQLite file)"
    )
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="quizapp-bench-")
    url = args.db or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    store = open_store(url)
    service = ProgressService(store)
    questions = make_questions(args.questions)
    fill_s = fill(service, questions, args.users, args.attempts, args.days)
    print(
        f"filled {args.attempts:,} attempts over {args.users} users in {fill_s:.1f} s",
        file=sys.stderr,
    )

    user = f"user{min(3, args.users - 1):02d}"
    service.stats(user, questions=questions)  # warm the page cache once
    stats_ms, stats_runs = median_ms(lambda: service.stats(user, questions=questions), args.runs)
    print(f"stats for one user: median {stats_ms:.1f} ms of {args.runs} runs", file=sys.stderr)

    rng = random.Random(7)

    def record() -> None:
        q = questions[rng.randrange(len(questions))]
        result = GradeResult(
            question_id=q.id, seed=rng.randrange(2**31), status=GradeStatus.CORRECT, given="(1, 2)"
        )
        service.record_attempt(user, q, result, answer="(1, 2)", latency_s=4.2, hints_used=0)

    record_ms, _ = median_ms(record, args.records)
    print(f"record_attempt: median {record_ms:.2f} ms of {args.records}", file=sys.stderr)
    summary = service.stats(user, questions=questions)
    service.close()
    tmp.cleanup()
    print(
        json.dumps(
            {
                "backend": url.split(":", 1)[0],
                "attempts": args.attempts,
                "users": args.users,
                "user_attempts": summary.totals.attempts,
                "fill_s": round(fill_s, 1),
                "stats_median_ms": round(stats_ms, 2),
                "stats_runs_ms": [round(t, 1) for t in stats_runs],
                "record_attempt_median_ms": round(record_ms, 3),
                "targets": {"stats_ms": 50, "record_attempt_ms": 2},
                "stats_ok": stats_ms <= 50,
                "record_ok": record_ms <= 2,
                "date": date.today().isoformat(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
