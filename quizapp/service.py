"""The one place that composes bank + runner + grading + store for the front ends (CLI, TUI).

Front ends hold a `QuizService` and call only its methods; what they get back is plain data
(dataclasses from bank, grading, stats and progress). No Textual and no torch here: the runner
owns torch in its own process. Methods documented as BLOCKING run PyTorch code or hit the
database; a UI calls them from a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizapp.bank import (
    Bank,
    Problem,
    Variant,
    draw_variant,
    load_bank,
    new_seed,
    params_as_code,
    substitute,
)
from quizapp.bank.models import Kind, Question
from quizapp.config import Settings
from quizapp.grading.types import GradeResult

if TYPE_CHECKING:
    from quizapp.explain import Explanation
    from quizapp.grading.live import LiveGrader
    from quizapp.practice import PastRound, Plan, PracticeMode, PracticeSession
    from quizapp.practice.modes import QuestionStatus
    from quizapp.progress import (
        AttemptRecord,
        ProfileReadiness,
        ProgressService,
        QueueItem,
        UserInfo,
        UserSettings,
    )
    from quizapp.readiness import TrustedStats
    from quizapp.runner import Runner
    from quizapp.stats import Stats


def private_paths(settings: Settings) -> tuple[str, ...]:
    """Folders the runner hides from runs: the data folder and the SQLite database's."""
    from quizapp.config import data_dir

    paths = [str(data_dir())]
    if settings.db_url.startswith("sqlite:///"):
        db = Path(settings.db_url.removeprefix("sqlite:///"))
        if db.parent != Path("/"):
            paths.append(str(db.parent))
    return tuple(paths)


@dataclass(frozen=True)
class RunnerStatus:
    phase: str  # "starting" | "ready" | "failed" | "stopped"
    device: str | None = None
    torch_version: str | None = None
    reason: str | None = None  # why it failed, in words a user can act on
    files_isolated: bool | None = None  # None: not known yet (see docs/runner.md)
    sandbox: str | None = None  # what confines runs here, in a few words

    RESTART_KEY = "f5"

    def label(self) -> str:
        if self.phase == "ready":
            exposed = " · files NOT sandboxed" if self.files_isolated is False else ""
            return f"ready on {self.device}{exposed}"
        if self.phase == "failed":
            return f"runner failed: {self.reason} ({self.RESTART_KEY.upper()} restarts it)"
        return "warming up" if self.phase == "starting" else self.phase


@dataclass(frozen=True)
class ShownQuestion:
    """A question variant as a user sees it."""

    question: Question
    seed: int
    prompt: str  # Markdown, params substituted
    setup_code: str  # params as assignment lines, then the setup ("" when show_setup is false)
    options: tuple[tuple[str, str], ...]  # (letter, text) in this seed's order; choice only
    hints: tuple[str, ...]  # params substituted
    explanation: str  # params substituted
    params: dict[str, Any]
    starter: str  # code kind

    @property
    def kind(self) -> Kind:
        return self.question.kind


def show_variant(variant: Variant) -> ShownQuestion:
    """A variant rendered for display; shared by the CLI's `show` and the TUI."""
    q, params = variant.question, variant.params
    setup = ""
    if q.show_setup:
        assignments = params_as_code(params)
        setup = "\n".join(part for part in (assignments, q.setup.rstrip()) if part)
    options: tuple[tuple[str, str], ...] = ()
    if variant.options:
        options = tuple((variant.letter_of(opt), opt) for opt in variant.options)
    return ShownQuestion(
        question=q,
        seed=variant.seed,
        prompt=substitute(q.prompt, params),
        setup_code=setup,
        options=options,
        hints=tuple(substitute(h, params) for h in q.hints),
        explanation=substitute(q.explanation, params),
        params=dict(params),
        starter=q.starter,
    )


class QuizService:
    """Composes the layers. Build with `QuizService.create(settings)`; tests inject parts."""

    def __init__(
        self,
        *,
        bank_dirs: Sequence[Path],
        runner: Runner,
        progress: ProgressService,
        bank: Bank | None = None,
        diagnosis_wait_s: float | None = None,
    ) -> None:
        self._bank_dirs = list(bank_dirs)
        # None: the grader's default (the app prepares diagnoses ahead; a one-shot CLI waits)
        self._diagnosis_wait_s = diagnosis_wait_s
        self._bank = bank if bank is not None else load_bank(self._bank_dirs)
        self._bank_lock = threading.Lock()
        self.runner = runner
        self.progress = progress
        progress.adopt_aliases(self._bank.aliases)  # renamed questions keep their progress
        self._grader: LiveGrader | None = None
        self._drafts: dict[str, str] = {}  # question id -> what the user last wrote

    @classmethod
    def create(cls, settings: Settings, *, runner: Runner | None = None) -> QuizService:
        """Cheap: loads the bank and opens (and migrates) the store; does not start the runner."""
        from quizapp.progress import ProgressService
        from quizapp.runner import Runner as RunnerImpl
        from quizapp.store import open_store

        store = open_store(settings.db_url)
        if runner is None:
            runner = RunnerImpl(device=settings.device, private_paths=private_paths(settings))
        return cls(
            bank_dirs=settings.bank_dirs,
            runner=runner,
            progress=ProgressService(store),
        )

    # -- bank ---------------------------------------------------------------------------------
    @property
    def bank(self) -> Bank:
        return self._bank

    def reload_bank(self) -> Bank:
        bank = load_bank(self._bank_dirs)
        self.progress.adopt_aliases(bank.aliases)
        with self._bank_lock:
            self._bank = bank
        return bank

    @property
    def bank_dirs(self) -> list[Path]:
        return list(self._bank_dirs)

    def bank_problems(self) -> list[Problem]:
        return list(self._bank.problems)

    def topics(self) -> list[str]:
        return self._bank.topics()

    def question(self, question_id: str) -> Question:
        return self._bank.get(question_id)

    # -- runner -------------------------------------------------------------------------------
    def start_runner(self) -> None:
        self.runner.start()

    def restart_runner(self) -> None:
        """A fresh runner now (the app's restart key), whatever state the current one is in."""
        self.runner.restart()

    def runner_status(self) -> RunnerStatus:
        st = self.runner.state
        return RunnerStatus(
            phase=st.phase,
            device=st.device,
            torch_version=st.torch_version,
            reason=st.reason,
            files_isolated=st.filesystem_isolated,
            sandbox=st.sandbox.describe() if st.sandbox else None,
        )

    @property
    def grader(self) -> LiveGrader:
        if self._grader is None:
            from quizapp.grading.live import LiveGrader

            self._grader = LiveGrader(self.runner, diagnosis_wait_s=self._diagnosis_wait_s)
        return self._grader

    # -- questions ----------------------------------------------------------------------------
    @staticmethod
    def new_seed() -> int:
        return new_seed()

    def variant(self, question_id: str, seed: int) -> Variant:
        return draw_variant(self._bank.get(question_id), seed)

    def show(self, question_id: str, seed: int) -> ShownQuestion:
        return show_variant(self.variant(question_id, seed))

    def grade(
        self,
        question_id: str,
        seed: int,
        answer: str,
        *,
        ticked: Sequence[int] | None = None,
        cancel: threading.Event | None = None,
    ) -> GradeResult:
        """BLOCKING: grades one answer by running the question live in the sandbox."""
        return self.grader.grade(
            self.variant(question_id, seed), answer, ticked=ticked, cancel=cancel
        )

    def prepare(
        self, question_id: str, seed: int, *, cancel: threading.Event | None = None
    ) -> None:
        """BLOCKING: runs ahead what a wrong answer to this variant would need (a code
        question's misconceptions, through its check), so that its diagnosis is instant."""
        self.grader.prepare(self.variant(question_id, seed), cancel=cancel)

    def explain(self, question_id: str, seed: int) -> Explanation | None:
        """BLOCKING: reruns the question with instruments attached (trace, graph, modes)."""
        from quizapp.explain import explain_variant

        return explain_variant(self.runner, self.variant(question_id, seed))

    def scratch(
        self, code: str, *, timeout: float = 5.0, cancel: threading.Event | None = None
    ) -> Explanation:
        """BLOCKING: runs a user's snippet in the sandbox and explains it (the scratchpad).
        Setting `cancel` kills the run."""
        from quizapp.explain import explain_snippet

        return explain_snippet(self.runner, code, timeout=timeout, cancel=cancel)

    # -- progress -----------------------------------------------------------------------------
    def users(self) -> list[UserInfo]:
        return self.progress.list_users()

    def add_user(self, name: str) -> UserInfo:
        return self.progress.add_user(name)

    def rename_user(self, old: str, new: str) -> UserInfo:
        return self.progress.rename_user(old, new)

    def remove_user(self, name: str) -> int:
        """Removes the profile and its progress; returns how many attempts went with it."""
        return self.progress.remove_user(name)

    def settings(self, user: str) -> UserSettings:
        return self.progress.settings(user)

    def update_settings(
        self,
        user: str,
        *,
        new_per_day: int | None = None,
        focus_topics: Sequence[str] | None = None,
        theme: str | None = None,
    ) -> UserSettings:
        """Saves the settings given (None: unchanged; `focus_topics=[]` clears the focus)."""
        return self.progress.update_settings(
            user, new_per_day=new_per_day, focus_topics=focus_topics, theme=theme
        )

    def start_session(self, user: str, mode: str, topic: str | None = None) -> int:
        return self.progress.start_session(user, mode, topic)

    def end_session(self, session_id: int) -> None:
        self.progress.end_session(session_id)

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
    ) -> AttemptRecord | None:
        """Commits the attempt at once. Invalid answers are not attempts: returns None."""
        if not result.counts:
            return None
        return self.progress.record_attempt(
            user,
            self._bank.get(question_id),
            result,
            answer=answer,
            latency_s=latency_s,
            hints_used=hints_used,
            session_id=session_id,
        )

    # -- practice rounds (quizapp.practice) ----------------------------------------------------
    def plan(
        self,
        user: str,
        mode: PracticeMode,
        *,
        topic: str | None = None,
        size: int | None = None,
    ) -> Plan:
        """The round the app would serve `user` now (planned, nothing recorded)."""
        return self.progress.plan(
            user, mode, questions=self._playable(None), topic=topic, size=size
        )

    def single(self, question_id: str, seed: int | None = None) -> Plan:
        """A round of one chosen question (browser, stats, a summary)."""
        from quizapp.practice import single_round

        return single_round(self._bank.get(question_id), self.new_seed() if seed is None else seed)

    def open_session(self, user: str, plan: Plan) -> PracticeSession:
        """BLOCKING: starts the store's session for `plan`; the session records through here."""
        from quizapp.practice import PracticeSession

        return PracticeSession.open(self, user, plan, drafts=self._drafts)

    def rerate(self, attempt_id: int, rating: int) -> AttemptRecord:
        """Overrides the rating of the answer just recorded (1 Again .. 4 Easy)."""
        return self.progress.rerate(attempt_id, rating)

    def mock_history(self, user: str) -> list[PastRound]:
        return self.progress.mock_history(user)

    def question_statuses(self, user: str) -> dict[str, QuestionStatus]:
        """new / failed / due / learning / mature per question of the bank."""
        from quizapp.practice.modes import QuestionStatus

        known = self.progress.question_statuses(user)
        return {qid: known.get(qid, QuestionStatus.NEW) for qid in self._bank.questions}

    def next_questions(
        self, user: str, *, mode: str = "mixed", topic: str | None = None, limit: int = 10
    ) -> list[QueueItem]:
        questions = self._playable(topic)
        return self.progress.next_questions(
            user, questions=questions, mode=mode, topic=topic, limit=limit
        )

    def stats(self, user: str) -> Stats:
        return self.progress.stats(
            user, questions=list(self._bank.questions.values()), playable=self._playable(None)
        )

    def readiness_settings(self, user: str) -> ProfileReadiness:
        """The profile's interview date, target retention and fitted parameters (if any)."""
        return self.progress.readiness_settings(user)

    def set_readiness(
        self, user: str, *, interview: date | None, target_retention: float | None = None
    ) -> ProfileReadiness:
        """Saves the interview date (None: none) and, when given, the target retention."""
        self.progress.set_interview(user, interview)
        if target_retention is not None:
            self.progress.set_target_retention(user, target_retention)
        return self.progress.readiness_settings(user)

    def trusted_stats(self, user: str) -> TrustedStats:
        """Readiness (forecast and plan to the interview), true retention, the memory
        distribution and how far the profile is from a fitted scheduler."""
        return self.progress.trusted_stats(user, questions=list(self._bank.questions.values()))

    def _playable(self, topic: str | None) -> list[Question]:
        device = self.runner.state.device
        out = []
        for q in self._bank.questions.values():
            if topic is not None and q.topic != topic:
                continue
            if q.requires and q.requires.device and device and q.requires.device != device:
                continue
            out.append(q)
        return out

    def close(self) -> None:
        self.runner.close()
        self.progress.close()

    def __enter__(self) -> QuizService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
