"""An in-memory, deterministic stand-in for `QuizService`, for fast Pilot and snapshot tests.

It implements the same methods with the same meaning (grading compares against a fixed truth
instead of running PyTorch), and records every call so tests can assert on what the app did.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from quizapp.bank.models import Question
from quizapp.explain import Explanation
from quizapp.grading.types import GradeResult, GradeStatus
from quizapp.service import RunnerStatus, ShownQuestion
from quizapp.stats import DayActivity, DueDay, Stats, TopicStats, Totals, WeakQuestion

TODAY = date(2026, 11, 27)
DATA = Path(__file__).resolve().parent / "data"


def canned(name: str) -> Explanation:
    """A real instruments output (see data/regenerate.py), parsed as the service would."""
    return Explanation.from_json(json.loads((DATA / f"{name}.json").read_text()))


@dataclass(frozen=True)
class Problem:
    message: str
    file: Path | None = None
    line: int | None = None
    question_id: str | None = None

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.file else ""


@dataclass
class Bank:
    questions: dict[str, Question]
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class UserInfo:
    name: str
    attempts: int = 0


@dataclass(frozen=True)
class QueueItem:
    question_id: str
    seed: int
    reason: str
    due_at: Any = None


@dataclass
class Recorded:
    user: str
    question_id: str
    status: GradeStatus
    answer: str
    hints_used: int
    session_id: int | None
    id: int = 0
    rating: int = 3
    due_at: datetime | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Settings:
    new_per_day: int = 20
    focus_topics: tuple[str, ...] = ()
    theme: str | None = None


def _q(**kw: Any) -> Question:
    return Question(**kw)


SAMPLE_QUESTIONS: list[tuple[Question, str]] = [
    (
        _q(
            id="shapes.linear-out",
            kind="shape",
            topic="shapes",
            title="Output shape of a Linear layer",
            difficulty="easy",
            params={"batch": [16]},
            setup="layer = nn.Linear(32, 64)\nx = torch.randn(batch, 32)\ny = layer(x)",
            prompt="With `batch = {{batch}}`, what is `y.shape`?",
            answer="y.shape",
            hints=("A Linear layer maps the last dim.", "in_features -> out_features."),
            explanation="`nn.Linear(32, 64)` maps the last dimension from 32 to 64.",
        ),
        "(16, 64)",
    ),
    (
        _q(
            id="autograd.square-grad",
            kind="value",
            topic="autograd",
            title="Gradient of a square",
            setup="x = torch.tensor(3.0, requires_grad=True)\n(x ** 2).backward()",
            prompt="What is `x.grad`?",
            answer="x.grad",
            hints=("d/dx x² = 2x.",),
            explanation="The derivative of x² is 2x, so 6 at x = 3.",
        ),
        "6.0",
    ),
    (
        _q(
            id="modes.dropout-eval",
            kind="choice",
            topic="modes",
            title="Dropout in eval mode",
            setup="drop = nn.Dropout(0.5)\ndrop.eval()",
            prompt="What does `drop(x)` return in eval mode?",
            options=("x unchanged", "x with half the values zeroed", "x scaled by 2"),
            answer="'x unchanged'",
            explanation="Dropout is the identity in eval mode.",
        ),
        "x unchanged",
    ),
    (
        _q(
            id="shapes.print-size",
            kind="output",
            topic="shapes",
            title="Printing a size",
            setup="print(torch.zeros(2, 3).shape)",
            prompt="What does this print?",
            explanation="A torch.Size prints like this.",
        ),
        "torch.Size([2, 3])",
    ),
    (
        _q(
            id="autograd.write-relu",
            kind="code",
            topic="autograd",
            title="Write a ReLU",
            prompt="Define `relu(t)` without using `torch.relu`.",
            starter="def relu(t):\n    ...\n",
            check="assert torch.equal(relu(torch.tensor([-1.0, 2.0])), torch.tensor([0.0, 2.0]))",
            solution="def relu(t):\n    return t.clamp(min=0)\n",
            explanation="`clamp(min=0)` zeroes the negatives.",
        ),
        "clamp",
    ),
    (
        _q(
            id="modes.no-grad-recall",
            kind="recall",
            topic="modes",
            title="What no_grad does",
            prompt="Explain what `torch.no_grad()` does and when to use it.",
            key_points=(
                "disables graph recording",
                "saves memory",
                "use for inference",
            ),
            model_answer="It turns off autograd recording: less memory, for inference.",
            explanation="See the autograd docs.",
        ),
        "",
    ),
]


# Not in SAMPLE_QUESTIONS (the screens' tests count those): a question with all three sections.
MLP_QUESTION: tuple[Question, str] = (
    _q(
        id="modes.mlp-output",
        kind="shape",
        topic="modes",
        title="An MLP with BatchNorm and Dropout",
        setup=(
            "model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(),\n"
            "                      nn.Dropout(0.5), nn.Linear(8, 2))\n"
            "x = torch.randn(5, 4)\nloss = model(x).pow(2).mean()\nloss.backward()"
        ),
        prompt="What is `model(x).shape`?",
        answer="tuple(model(x).shape)",
        explanation="Linear(8, 2) ends it: (5, 2).",
    ),
    "(5, 2)",
)
ExplainOutcome = Explanation | Exception | None


def default_explanations() -> dict[str, ExplainOutcome]:
    """What `explain` returns per question (others get None: nothing to explain)."""
    return {"shapes.linear-out": canned("linear"), "modes.mlp-output": canned("mlp")}


class FakeService:
    """Same API as QuizService; in memory; deterministic."""

    def __init__(
        self,
        *,
        users: Sequence[str] = ("alice",),
        questions: Sequence[tuple[Question, str]] | None = None,
        problems: Sequence[Problem] = (),
        runner: str = "ready",
        runner_reason: str = "torch is not installed (pip install torch)",
        grade_delay: float = 0.0,
        bank_dirs: Sequence[Path] = (Path("/fake/bank"),),
        explanations: dict[str, ExplainOutcome] | None = None,
    ) -> None:
        self._bank_dirs = list(bank_dirs)
        pairs = list(SAMPLE_QUESTIONS if questions is None else questions)
        self.truth = {q.id: t for q, t in pairs}
        self._bank = Bank({q.id: q for q, _ in pairs}, list(problems))
        self._users = [UserInfo(u) for u in users]
        self._runner_target = runner
        self._runner_phase = "stopped"
        self._runner_reason = runner_reason
        self.grade_delay = grade_delay
        self.hold = threading.Event()  # set() to make grade() block until cancelled
        self.grading = threading.Event()  # set while a grade() call is in progress
        self.recorded: list[Recorded] = []
        self.sessions: dict[int, tuple[str, str, str | None, bool]] = {}
        self._session_ids = itertools.count(1)
        self.closed = False
        self.reloads = 0
        self.calls: list[str] = []
        self.prepared: list[str] = []
        self.explanations = default_explanations() if explanations is None else explanations
        self.explain_hold = threading.Event()  # set() to make explain() block until clear()
        self.scratch_hold = threading.Event()  # set() to make scratch() block until cancelled
        self.scratching = threading.Event()  # set while a scratch() call is in progress
        self.scratched: list[str] = []  # every snippet run
        self.scratch_cancelled = 0
        self.user_settings: dict[str, Settings] = {}
        self.rerated: list[tuple[int, int]] = []
        self.drafts: dict[str, str] = {}
        self.now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    # -- bank
    @property
    def bank(self) -> Bank:
        return self._bank

    @property
    def bank_dirs(self) -> list[Path]:
        return list(self._bank_dirs)

    def reload_bank(self) -> Bank:
        self.reloads += 1
        return self._bank

    def topics(self) -> list[str]:
        return sorted({q.topic for q in self._bank.questions.values()})

    # -- runner
    def start_runner(self) -> None:
        self._runner_phase = self._runner_target

    def runner_status(self) -> RunnerStatus:
        if self._runner_phase == "failed":
            return RunnerStatus("failed", reason=self._runner_reason)
        if self._runner_phase == "ready":
            return RunnerStatus("ready", device="cpu", torch_version="2.13.0")
        return RunnerStatus(self._runner_phase)

    # -- questions
    def new_seed(self) -> int:
        return 7

    def show(self, question_id: str, seed: int) -> ShownQuestion:
        q = self._bank.questions[question_id]
        params = {k: v[0] for k, v in q.params.items() if isinstance(v, list)}

        def sub(text: str) -> str:
            return re.sub(r"\{\{(\w+)\}\}", lambda m: str(params.get(m[1], m[0])), text)

        assignments = "\n".join(f"{k} = {v!r}" for k, v in params.items())
        setup = "\n".join(p for p in (assignments, q.setup.rstrip()) if p) if q.show_setup else ""
        options = tuple((chr(ord("A") + i), o) for i, o in enumerate(q.options or ()))
        return ShownQuestion(
            question=q,
            seed=seed,
            prompt=sub(q.prompt),
            setup_code=setup,
            options=options,
            hints=tuple(sub(h) for h in q.hints),
            explanation=sub(q.explanation),
            params=params,
            starter=q.starter,
        )

    def prepare(
        self, question_id: str, seed: int, *, cancel: threading.Event | None = None
    ) -> None:
        self.prepared.append(question_id)  # apart from `calls`: not a user's action

    def grade(
        self,
        question_id: str,
        seed: int,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        cancel: threading.Event | None = None,
    ) -> GradeResult:
        self.calls.append(f"grade {question_id}")
        self.grading.set()
        try:
            if self.hold.is_set():
                while self.hold.is_set() and not (cancel and cancel.is_set()):
                    time.sleep(0.01)
            elif self.grade_delay:
                time.sleep(self.grade_delay)
            return self._grade(question_id, seed, answer, ticked)
        finally:
            self.grading.clear()

    def _grade(
        self, question_id: str, seed: int, answer: str, ticked: Sequence[int] | None
    ) -> GradeResult:
        q = self._bank.questions[question_id]
        truth = self.truth[question_id]
        given = answer.strip()

        def result(status: GradeStatus, **kw: Any) -> GradeResult:
            return GradeResult(
                question_id, seed, status, answer, expected=truth, expected_display=truth, **kw
            )

        if self._runner_phase == "failed":
            return result(GradeStatus.ERROR, feedback=f"runner failed: {self._runner_reason}")
        if q.kind == "recall":
            points = q.key_points or ()
            score = len(ticked or ()) / len(points) if points else 0.0
            status = GradeStatus.CORRECT if score >= 0.5 else GradeStatus.INCORRECT
            return result(status, given_display=given, score=score)
        if q.kind == "code":
            ok = truth in given
            return result(
                GradeStatus.CORRECT if ok else GradeStatus.INCORRECT,
                given_display="(your code)",
                feedback=""
                if ok
                else "AssertionError: relu(tensor([-1., 2.])) != tensor([0., 2.])",
                stdout="checked relu\n",
                score=1.0 if ok else 0.0,
            )
        if not given or "?" in given:
            return result(
                GradeStatus.INVALID, feedback="could not read the answer: expected a literal"
            )
        if q.kind == "choice" and len(given) == 1:
            letters = dict(self.show(question_id, seed).options)
            given = letters.get(given.upper(), given)
        norm = re.sub(r"\s+", "", given)
        ok = norm == re.sub(r"\s+", "", truth)
        return result(
            GradeStatus.CORRECT if ok else GradeStatus.INCORRECT,
            given_display=given,
            feedback="" if ok else f"expected {truth}",
            score=1.0 if ok else 0.0,
        )

    def explain(self, question_id: str, seed: int) -> Explanation | None:
        self.calls.append(f"explain {question_id}")
        while self.explain_hold.is_set():
            time.sleep(0.01)
        outcome = self.explanations.get(question_id)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def scratch(
        self, code: str, *, timeout: float = 5.0, cancel: threading.Event | None = None
    ) -> Explanation:
        """Like the sandbox, without torch: `print('...')` literals are the output, the first
        `raise E('msg')` is the error (at its line), an nn.Sequential gives the canned MLP."""
        self.calls.append("scratch")
        self.scratched.append(code)
        self.scratching.set()
        try:
            while self.scratch_hold.is_set():
                if cancel is not None and cancel.is_set():
                    self.scratch_cancelled += 1
                    return Explanation(run_error="RunnerError: the run was cancelled")
                time.sleep(0.01)
            printed = "".join(f"{text}\n" for text in re.findall(r"print\(['\"](.*?)['\"]\)", code))
            raised = re.search(r"^[ \t]*raise (\w+)\((?:['\"](.*?)['\"])?\)", code, re.MULTILINE)
            if raised:
                line = code[: raised.start()].count("\n") + 1
                error = f"{raised[1]} in snippet line {line}: {raised[2] or ''}"
                return Explanation(run_error=error.rstrip(": "), stdout=printed)
            if "nn.Sequential" in code:
                return replace(canned("mlp"), stdout=printed)
            return Explanation(stdout=printed)
        finally:
            self.scratching.clear()

    # -- progress
    def users(self) -> list[UserInfo]:
        return list(self._users)

    def add_user(self, name: str) -> UserInfo:
        if not name.strip():
            raise ValueError("a profile name cannot be empty")
        if any(u.name == name for u in self._users):
            raise ValueError(f"a profile named {name!r} already exists")
        info = UserInfo(name)
        self._users.append(info)
        return info

    def rename_user(self, old: str, new: str) -> None:
        self._users = [UserInfo(new) if u.name == old else u for u in self._users]

    def remove_user(self, name: str) -> None:
        self._users = [u for u in self._users if u.name != name]

    def start_session(self, user: str, mode: str, topic: str | None = None) -> int:
        sid = next(self._session_ids)
        self.sessions[sid] = (user, mode, topic, False)
        return sid

    def end_session(self, session_id: int) -> None:
        user, mode, topic, _ = self.sessions[session_id]
        self.sessions[session_id] = (user, mode, topic, True)

    def record(
        self,
        user: str,
        question_id: str,
        result: GradeResult,
        *,
        answer: str,
        latency_s: float,
        hints_used: int = 0,
        session_id: int | None = None,
    ) -> Recorded | None:
        if not result.counts:
            return None
        rating = 3 if result.correct else 1
        due = self.now + (timedelta(days=3) if result.correct else timedelta(minutes=10))
        rec = Recorded(
            user,
            question_id,
            result.status,
            answer,
            hints_used,
            session_id,
            id=len(self.recorded) + 1,
            rating=rating,
            due_at=due,
            answered_at=self.now,
        )
        self.recorded.append(rec)
        return rec

    def rerate(self, attempt_id: int, rating: int) -> Recorded:
        self.rerated.append((attempt_id, rating))
        rec = self.recorded[attempt_id - 1]
        rec.rating = rating
        rec.due_at = self.now + timedelta(days={1: 0, 2: 1, 3: 3, 4: 8}[rating], minutes=10)
        return rec

    # -- practice: the real planner and session over an in-memory history
    def question(self, question_id: str) -> Question:
        return self._bank.questions[question_id]

    def _history(self, user: str) -> Any:
        from quizapp.practice.planner import CardSnapshot, History

        seen = dict.fromkeys(r.question_id for r in self.recorded if r.user == user)
        cards = [
            CardSnapshot(
                qid, self.now - timedelta(minutes=1), 1.0, 0, "h", self.now - timedelta(days=2)
            )
            for qid in seen
        ]
        s = self.settings(user)
        return History(cards, s.new_per_day, 0, s.focus_topics)

    def plan(
        self, user: str, mode: Any, *, topic: str | None = None, size: int | None = None
    ) -> Any:
        from quizapp.practice.planner import plan_round

        self.calls.append(f"plan {mode.value}")
        return plan_round(
            mode,
            questions=list(self._bank.questions.values()),
            history=self._history(user),
            now=self.now,
            topic=topic,
            size=size,
            rng=random.Random(7),  # deterministic seeds and mocks for the snapshots
        )

    def single(self, question_id: str, seed: int | None = None) -> Any:
        from quizapp.practice.planner import single_round

        return single_round(self._bank.questions[question_id], 7 if seed is None else seed)

    def open_session(self, user: str, plan: Any) -> Any:
        from quizapp.practice.session import PracticeSession

        return PracticeSession.open(self, user, plan, drafts=self.drafts)

    def mock_history(self, user: str) -> list[Any]:
        from quizapp.practice.summary import PastRound

        return [PastRound(99, self.now - timedelta(days=1), 5, 2)]

    def question_statuses(self, user: str) -> dict[str, str]:
        from quizapp.practice.modes import QuestionStatus

        last: dict[str, GradeStatus] = {}
        for r in self.recorded:
            if r.user == user:
                last[r.question_id] = r.status
        return {
            qid: QuestionStatus.NEW
            if qid not in last
            else QuestionStatus.FAILED
            if last[qid] is not GradeStatus.CORRECT
            else QuestionStatus.LEARNING
            for qid in self._bank.questions
        }

    def settings(self, user: str) -> Settings:
        return self.user_settings.get(user, Settings())

    def update_settings(
        self,
        user: str,
        *,
        new_per_day: int | None = None,
        focus_topics: Sequence[str] | None = None,
        theme: str | None = None,
    ) -> Settings:
        s = self.settings(user)
        s = Settings(
            s.new_per_day if new_per_day is None else new_per_day,
            s.focus_topics if focus_topics is None else tuple(focus_topics),
            s.theme if theme is None else theme,
        )
        self.user_settings[user] = s
        return s

    def next_questions(
        self, user: str, *, mode: str = "review", topic: str | None = None, limit: int = 10
    ) -> list[QueueItem]:
        qs = [q for q in self._bank.questions.values() if topic is None or q.topic == topic]
        seen = {r.question_id for r in self.recorded if r.user == user}
        if mode == "review":
            qs = [q for q in qs if q.id in seen]
        elif mode == "learn":
            qs = [q for q in qs if q.id not in seen]
        return [QueueItem(q.id, 7, "new" if q.id not in seen else "due") for q in qs][:limit]

    def stats(self, user: str) -> Stats:
        mine = [r for r in self.recorded if r.user == user]
        correct = sum(r.status is GradeStatus.CORRECT for r in mine)
        topics = []
        for t in self.topics():
            in_topic = [r for r in mine if self._bank.questions[r.question_id].topic == t]
            ok = sum(r.status is GradeStatus.CORRECT for r in in_topic)
            n_q = sum(q.topic == t for q in self._bank.questions.values())
            seen = len({r.question_id for r in in_topic})
            topics.append(
                TopicStats(
                    topic=t,
                    questions=n_q,
                    seen=seen,
                    attempts=len(in_topic),
                    correct=ok,
                    accuracy=ok / len(in_topic) if in_topic else None,
                    mastered=min(ok, n_q),
                    mastery=min(1.0, ok / n_q) if n_q else 0.0,
                    due=0,
                )
            )
        activity = [
            DayActivity(TODAY - timedelta(days=d), (d * 7) % 5, (d * 7) % 3)
            for d in range(364, 0, -1)
        ]
        activity.append(DayActivity(TODAY, len(mine), correct))
        weakest = [
            WeakQuestion(q.id, q.topic, 2, 1, 0.5, 1, False, 30.0, title=q.display_title)
            for q in list(self._bank.questions.values())[:3]
        ]
        return Stats(
            user=user,
            today=TODAY,
            totals=Totals(
                attempts=len(mine),
                correct=correct,
                accuracy=correct / len(mine) if mine else None,
                questions_seen=len({r.question_id for r in mine}),
                time_spent_s=0.0,
            ),
            topics=topics,
            current_streak=3,
            longest_streak=9,
            activity=activity,
            due_forecast=[DueDay(TODAY + timedelta(days=d), (d * 3) % 4) for d in range(14)],
            weakest=weakest,
            median_latency_s=42.0,
            due_today=2,
            new_today=len(self._bank.questions),
            new_per_day=10,
        )

    def trusted_stats(self, user: str) -> Any:
        """No interview date, no reviews (tests/tui/test_readiness_widgets.py has a richer one)."""
        from quizapp.readiness import TrustedStats, memory_distribution, true_retention

        return TrustedStats(None, true_retention([], TODAY), memory_distribution([]), 0, 512)

    def close(self) -> None:
        self.closed = True
