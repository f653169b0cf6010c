"""Random banks and histories for the planner's property tests (a unique module name)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from quizapp.bank.models import Question
from quizapp.practice.planner import CardSnapshot, History

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TOPICS = ("shapes", "forward-pass", "autograd", "modes", "hooks", "extra")
KINDS = ("shape", "value", "choice", "output", "code", "recall")
DIFFICULTIES = ("easy", "medium", "hard")


def question(
    qid: str,
    topic: str = "shapes",
    kind: str = "shape",
    difficulty: str = "medium",
    after: tuple[str, ...] = (),
) -> Question:
    fields: dict[str, object] = {"answer": "(1, 2)"}
    if kind == "recall":
        fields = {"key_points": ("a",)}
    elif kind == "choice":
        fields = {"answer": "A", "options": ("x", "y")}
    elif kind == "code":
        fields = {"check": "assert True", "starter": "def f():\n    pass\n"}
    elif kind == "output":
        fields = {"setup": "print(1)"}
    return Question(
        id=qid,
        kind=kind,  # type: ignore[arg-type]
        topic=topic,
        difficulty=difficulty,  # type: ignore[arg-type]
        prompt=f"prompt of {qid}",
        after=after,
        **fields,  # type: ignore[arg-type]
    )


@st.composite
def banks(draw: st.DrawFn, *, with_after: bool = False, min_size: int = 1) -> list[Question]:
    n = draw(st.integers(min_value=min_size, max_value=40))
    out: list[Question] = []
    for i in range(n):
        after: tuple[str, ...] = ()
        if with_after and i and draw(st.booleans()):
            # Mostly earlier ids, sometimes later ones (possible cycles) or unknown ones.
            targets = st.sampled_from([f"q{j}" for j in range(n)] + ["missing.id"])
            after = tuple(draw(st.lists(targets, max_size=3, unique=True)))
        out.append(
            question(
                f"q{i}",
                draw(st.sampled_from(TOPICS)),
                draw(st.sampled_from(KINDS)),
                draw(st.sampled_from(DIFFICULTIES)),
                after,
            )
        )
    return out


@st.composite
def histories(draw: st.DrawFn, bank: list[Question]) -> History:
    """Some of the bank answered, at random times around NOW."""
    cards = []
    for q in bank:
        if not draw(st.booleans()):
            continue
        last = NOW - timedelta(hours=draw(st.integers(min_value=0, max_value=24 * 30)))
        due = NOW + timedelta(hours=draw(st.integers(min_value=-24 * 10, max_value=24 * 10)))
        cards.append(
            CardSnapshot(
                q.id,
                due,
                draw(st.floats(min_value=0.1, max_value=50)),
                draw(st.integers(min_value=0, max_value=9)),
                "h",
                last,
                first_day_is_today=last.date() == NOW.date(),
            )
        )
    per_day = draw(st.integers(min_value=0, max_value=30))
    new_today = sum(1 for c in cards if c.first_day_is_today)
    return History(cards=cards, new_per_day=per_day, new_today=new_today)
