"""One thing wrong with a question bank, said so that an author can find it and fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: file, line, question and field (each optional)."""

    message: str
    file: Path | None = None
    line: int | None = None
    field: str | None = None  # dotted path within the question, e.g. "params.n", "tolerance.rtol"
    question_id: str | None = None

    def location(self) -> str:
        """`file:line`, `file`, or "" when the problem is not tied to a file."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)

    def __str__(self) -> str:
        parts = [p for p in (self.location(), self.question_id) if p]
        if self.field:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)
