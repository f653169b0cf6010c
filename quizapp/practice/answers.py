"""Answers that are not attempts: caught before anything runs, said in words, never counted.

A code answer that does not parse, that is still the starter, or that is empty used to cost a
wrong attempt and show the reference solution; now it is `invalid` (GradeStatus.INVALID) and the
user fixes it. Parsing uses `ast.parse` (it compiles nothing and runs nothing).
"""

from __future__ import annotations

import ast

from quizapp.grading.types import GradeResult, GradeStatus


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def invalid_code_reason(answer: str, starter: str) -> str | None:
    """Why a code answer cannot be run as an attempt, or None when it can."""
    if not answer.strip():
        return "The answer is empty: write your code, then run (ctrl+r) or submit (ctrl+s)."
    if starter.strip() and _normalised(answer) == _normalised(starter):
        return "This is still the starter code: change it, then run or submit."
    try:
        ast.parse(answer)
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "your code"
        kind = type(exc).__name__  # SyntaxError, IndentationError, TabError
        return f"{kind} on {where}: {exc.msg}. Fix it and try again (not counted)."
    return None


def invalid_result(question_id: str, seed: int, answer: str, reason: str) -> GradeResult:
    return GradeResult(
        question_id=question_id,
        seed=seed,
        status=GradeStatus.INVALID,
        given=answer,
        feedback=reason,
    )


def precheck(
    kind: str, question_id: str, seed: int, answer: str, starter: str
) -> GradeResult | None:
    """An INVALID result for an answer that must not reach the grader, else None."""
    if kind == "code":
        reason = invalid_code_reason(answer, starter)
        if reason:
            return invalid_result(question_id, seed, answer, reason)
    elif kind != "recall" and not answer.strip():
        return invalid_result(question_id, seed, answer, "Type an answer first.")
    return None
