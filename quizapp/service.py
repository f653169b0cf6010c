"""The one place that composes bank + runner + grading + store for the front ends (CLI, TUI).

Front ends hold a `QuizService` and call only its methods; everything they get back is plain
data (dataclasses from bank/grading/stats/progress). No Textual, no torch here.

STATUS: API contract under construction; methods are implemented as the layers land.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quizapp.bank.models import Question
from quizapp.grading.types import GradeResult


@dataclass(frozen=True)
class RunnerStatus:
    phase: str  # "starting" | "ready" | "failed" | "stopped"
    device: str | None = None
    torch_version: str | None = None
    reason: str | None = None  # why it failed, in words a user can act on

    def label(self) -> str:
        if self.phase == "ready":
            return f"ready on {self.device}"
        if self.phase == "failed":
            return f"runner failed: {self.reason}"
        return "warming up" if self.phase == "starting" else self.phase


@dataclass(frozen=True)
class ShownQuestion:
    """A question variant as a user sees it."""

    question: Question
    seed: int
    prompt: str  # Markdown, params substituted
    setup_code: str  # params as assignment lines, then the setup (empty when show_setup is false)
    options: tuple[tuple[str, str], ...]  # (letter, text) in this seed's order; choice only
    hints: tuple[str, ...]  # params substituted
    explanation: str  # params substituted
    params: dict[str, Any]
    starter: str  # code kind


class QuizService:
    """See module docstring. Construct with `QuizService.create(settings)` or inject parts in tests."""
