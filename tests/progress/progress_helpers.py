"""Helpers shared by the progress tests (a unique module name: tests/ has several conftests)."""

from __future__ import annotations

from quizapp.bank.models import Question
from quizapp.grading.types import GradeResult, GradeStatus


def make_question(
    qid: str, topic: str = "shapes", kind: str = "shape", **extra: object
) -> Question:
    fields: dict[str, object] = {"answer": "(1, 2)"} if kind != "recall" else {"key_points": ("a",)}
    if kind == "choice":
        fields = {"answer": "A", "options": ("x", "y")}
    fields["prompt"] = f"prompt of {qid}"
    fields.update(extra)
    return Question(id=qid, kind=kind, topic=topic, **fields)  # type: ignore[arg-type]


def result(
    q: Question,
    status: GradeStatus = GradeStatus.CORRECT,
    *,
    seed: int = 1,
    score: float | None = None,
    **extra: object,
) -> GradeResult:
    fields: dict[str, object] = {"device": "cpu", "torch_version": "2.13.0", **extra}
    return GradeResult(
        question_id=q.id,
        seed=seed,
        status=status,
        given="(1, 2)",
        score=score,
        **fields,  # type: ignore[arg-type]
    )
