"""Nothing a user did may be lost: concurrent writers, a killed process, simultaneous start-ups."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

from sqlalchemy import func, select

from quizapp.store import open_store
from quizapp.store.models import Attempt, PracticeSession, ReviewCard

RECORDER = textwrap.dedent(
    """
    import sys
    from quizapp.bank.models import Question
    from quizapp.grading.types import GradeResult, GradeStatus
    from quizapp.progress import ProgressService
    from quizapp.store import open_store

    url, user, count, session_id = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    questions = [
        Question(id=f"q{i}", kind="shape", topic="shapes", prompt="p", answer="x") for i in range(5)
    ]
    service = ProgressService(open_store(url))
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    n = 0
    while count < 0 or n < count:
        q = questions[n % len(questions)]
        status = GradeStatus.CORRECT if n % 3 else GradeStatus.INCORRECT
        result = GradeResult(question_id=q.id, seed=n, status=status, given="(1, 2)")
        record = service.record_attempt(
            user, q, result, answer="(1, 2)", latency_s=1.5, hints_used=0, session_id=session_id
        )
        n += 1
        print(record.id, flush=True)
    service.close()
    """
)


def _spawn(url: str, user: str, count: int, session_id: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", RECORDER, url, user, str(count), str(session_id)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _rest_of_output(proc: subprocess.Popen[str]) -> list[int]:
    """The ids the recorder printed that the test had not read yet when it was killed."""
    assert proc.stdout is not None
    return [int(line) for line in proc.stdout.read().split()]


def _setup(url: str) -> tuple[int, int]:
    from quizapp.progress import ProgressService

    service = ProgressService(open_store(url))
    service.add_user("ann")
    service.add_user("bob")
    ids = service.start_session("ann", "review"), service.start_session("bob", "review")
    service.close()
    return ids


def test_two_processes_recording_at_once_lose_nothing(db_url: str) -> None:
    ann_session, _ = _setup(db_url)
    procs = [_spawn(db_url, "ann", 300, ann_session) for _ in range(2)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=240)[0] for proc in procs]
    assert [p.returncode for p in procs] == [0, 0]
    ids = [int(line) for out in outputs for line in out.split()]
    assert len(ids) == len(set(ids)) == 600
    store = open_store(db_url)
    with store.session() as s:
        assert s.execute(select(func.count()).select_from(Attempt)).scalar_one() == 600
        # Read-then-write card updates from both processes: every review counted once.
        assert s.execute(select(func.sum(ReviewCard.reps))).scalar_one() == 600
        assert s.execute(select(func.sum(ReviewCard.correct_count))).scalar_one() == 400
        assert s.get(PracticeSession, ann_session).attempts == 600  # type: ignore[union-attr]
    store.close()


def test_killed_process_loses_at_most_the_answer_in_flight(db_url: str) -> None:
    _, bob_session = _setup(db_url)
    proc = _spawn(db_url, "bob", -1, bob_session)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    seen = [int(proc.stdout.readline()) for _ in range(40)]  # let it record for a while
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # Acknowledged = every id it printed (commit first, then print), read or still in the pipe.
    acknowledged = seen + _rest_of_output(proc)
    store = open_store(db_url)
    with store.session() as s:
        stored = s.execute(select(Attempt.id).order_by(Attempt.id)).scalars().all()
        reps = s.execute(select(func.sum(ReviewCard.reps))).scalar_one()
        session_count = s.get(PracticeSession, bob_session).attempts  # type: ignore[union-attr]
    # Every acknowledged answer is there; at most the one in flight was committed but not printed.
    assert set(acknowledged) <= set(stored)
    assert len(stored) <= len(acknowledged) + 1
    # Card, session counters and log were written together: never half an attempt.
    assert reps == len(stored) == session_count
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    store.close()


OPENER = "import sys; from quizapp.store import open_store; open_store(sys.argv[1]).close()"


def test_processes_starting_at_once_on_a_new_database_all_succeed(sqlite_url: str) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, sqlite_url]) for _ in range(3)]
    deadline = time.monotonic() + 120
    codes = [p.wait(timeout=max(deadline - time.monotonic(), 1)) for p in procs]
    assert codes == [0, 0, 0]
    from quizapp.store.migrate import current_revision, head_revision

    store = open_store(sqlite_url)
    assert current_revision(store.engine) == head_revision()
    store.close()
