"""How the bank covers topics, kinds and difficulties (`quizapp list --summary`, docs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from quizapp.bank.bank import Bank
from quizapp.bank.models import Difficulty, Kind


@dataclass(frozen=True)
class CoverageRow:
    topic: str
    kind: Kind
    difficulty: Difficulty
    count: int

    def __iter__(self) -> Iterator[object]:  # unpacks like the tuple it stands for
        return iter((self.topic, self.kind, self.difficulty, self.count))


def coverage(bank: Bank) -> list[CoverageRow]:
    """One row per (topic, kind, difficulty) that has questions.

    Topics in bank order, then kinds and difficulties in their declared order.
    """
    counts = Counter((q.topic, q.kind, q.difficulty) for q in bank.questions.values())
    topic_order = {t: i for i, t in enumerate(bank.topics())}
    kind_order = {k: i for i, k in enumerate(Kind)}
    level_order = {d: i for i, d in enumerate(Difficulty)}
    keys = sorted(counts, key=lambda k: (topic_order[k[0]], kind_order[k[1]], level_order[k[2]]))
    return [
        CoverageRow(topic, kind, level, counts[(topic, kind, level)]) for topic, kind, level in keys
    ]


def totals(bank: Bank, by: str) -> dict[str, int]:
    """Question counts by "topic", "kind" or "difficulty"."""
    if by not in ("topic", "kind", "difficulty"):
        raise ValueError(f"cannot total by {by!r}; use topic, kind or difficulty")
    counts: dict[str, int] = {}
    for question in bank.questions.values():
        key = str(getattr(question, by))
        counts[key] = counts.get(key, 0) + 1
    return counts
