"""The order new questions are introduced in: a curriculum, not the bank's file order.

Rules (each a unit test over random banks, tests/practice/test_curriculum.py):

1. Prerequisites: a question is not introduced before the questions its `after:` names (ids
   not in the bank are ignored; a cycle is broken at the question that comes first in the bank:
   validation reports both).
2. Within a topic, easy before medium before hard (among questions whose prerequisites allow).
3. Never three in a row from one topic while another topic has a question ready.
4. Topics interleave by weight, like weighted fair queueing: the foundations (shapes, the
   forward pass) are served most often at first, autograd and modes next, hooks least, so the
   first questions span the topics while the basics lead. With focus topics, those get the
   weight instead and the foundation order no longer applies.
5. A question is not served while another topic still has one two difficulty levels easier
   (no hard question while some topic still has easy ones left), unless rule 3 needs it.
6. Kinds interleave: between equally good choices, a kind different from the last one wins.
7. Otherwise bank order, so the result is deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from quizapp.bank.models import Difficulty, Question

DIFFICULTY_RANK = {Difficulty.EASY: 0, Difficulty.MEDIUM: 1, Difficulty.HARD: 2}
# How often each topic is served relative to the others before focus topics are chosen:
# foundations first. Topics not named here (an author's own bank) get DEFAULT_WEIGHT.
FOUNDATION_WEIGHTS: dict[str, float] = {
    "shapes": 3.0,
    "forward-pass": 3.0,
    "modes": 2.0,
    "autograd": 2.0,
    "hooks": 1.0,
}
DEFAULT_WEIGHT = 2.0
FOCUS_WEIGHT = 6.0  # a focus topic against 1.0 for every other: about two in three, interleaved
OTHER_WEIGHT_WITH_FOCUS = 1.0
RUN_LIMIT = 2  # at most this many in a row from one topic while others have questions ready


@dataclass(frozen=True)
class _Entry:
    question: Question
    position: int  # in the bank

    @property
    def rank(self) -> int:
        return DIFFICULTY_RANK[self.question.difficulty]


def topic_weights(topics: Iterable[str], focus: Collection[str] = ()) -> dict[str, float]:
    focus = set(focus)
    if focus:
        return {t: FOCUS_WEIGHT if t in focus else OTHER_WEIGHT_WITH_FOCUS for t in topics}
    return {t: FOUNDATION_WEIGHTS.get(t, DEFAULT_WEIGHT) for t in topics}


def curriculum_order(
    new: Sequence[Question],
    *,
    done: Collection[str] = (),
    focus: Collection[str] = (),
    recent_topics: Sequence[str] = (),
) -> list[Question]:
    """`new` (bank order) reordered as a curriculum (rules in the module docstring).

    `done`: ids already answered (they satisfy prerequisites). `recent_topics`: the topics of the
    last questions answered, oldest first, so a new round does not make a third in a row.
    """
    entries = [_Entry(q, i) for i, q in enumerate(new)]
    ids_in_bank = {q.id for q in new} | set(done)
    pending = {e.question.id for e in entries}
    placed: set[str] = set(done)
    by_topic: dict[str, list[_Entry]] = defaultdict(list)
    for e in entries:
        by_topic[e.question.topic].append(e)
    weights = topic_weights(by_topic, focus)
    served: dict[str, int] = defaultdict(int)
    out: list[Question] = []
    history = list(recent_topics[-RUN_LIMIT:])
    last_kind: str | None = None
    kinds_served: dict[tuple[str, str], int] = defaultdict(int)  # (topic, kind) -> count
    blocked_by = _prerequisites(entries, ids_in_bank)

    def ready(e: _Entry) -> bool:
        return all(p in placed or p not in pending for p in blocked_by[e.question.id])

    while pending:
        heads: dict[str, _Entry] = {}
        for topic, queue in by_topic.items():
            head = _topic_head(
                queue, ready, lambda e: kinds_served[(e.question.topic, e.question.kind.value)]
            )
            if head is not None:
                heads[topic] = head
        if not heads:  # a cycle the checks above could not break: take the first in bank order
            first = min(
                (e for q in by_topic.values() for e in q),
                key=lambda e: e.position,
            )
            heads = {first.question.topic: first}
        run_topic = history[-1] if len(history) >= RUN_LIMIT and len(set(history)) == 1 else None
        choices = {t: e for t, e in heads.items() if t != run_topic} or heads
        easiest = min(e.rank for e in choices.values())
        gated = {t: e for t, e in choices.items() if e.rank <= easiest + 1} or choices
        topic = min(
            gated,
            key=lambda t: (
                (served[t] + 1) / weights[t],  # weighted fair queueing: the next finish time
                gated[t].rank,
                gated[t].question.kind.value == last_kind,
                gated[t].position,
            ),
        )
        entry = gated[topic]
        by_topic[topic].remove(entry)
        if not by_topic[topic]:
            del by_topic[topic]
        pending.discard(entry.question.id)
        placed.add(entry.question.id)
        served[topic] += 1
        history = [*history, topic][-RUN_LIMIT:]
        last_kind = entry.question.kind.value
        kinds_served[(topic, last_kind)] += 1
        out.append(entry.question)
    return out


def _topic_head(
    queue: list[_Entry], ready: Callable[[_Entry], bool], kind_count: Callable[[_Entry], int]
) -> _Entry | None:
    """The topic's next question: the easiest whose prerequisites are met; the kind this topic
    has served least breaks ties, then bank order."""
    candidates = [e for e in queue if ready(e)]
    if not candidates:
        return None
    return min(candidates, key=lambda e: (e.rank, kind_count(e), e.position))


def _prerequisites(entries: Sequence[_Entry], known: Collection[str]) -> dict[str, set[str]]:
    """Each question's prerequisites that exist, with cycles broken: an edge that would close a
    cycle is dropped, taking the questions in bank order (validation reports the cycle)."""
    graph: dict[str, set[str]] = {e.question.id: set() for e in entries}
    for e in entries:
        for p in e.question.after:
            if p in known and p != e.question.id and not _reaches(graph, p, e.question.id):
                graph[e.question.id].add(p)
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    """Whether `goal` is a prerequisite of `start`, directly or not."""
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return False
