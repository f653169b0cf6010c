"""Bank-level checks of the optional `after: [ids]` field (prerequisites): every id must name a
question in the bank, and the prerequisites must not form a cycle. Each finding is a `Problem`
at the question that names the id (or that closes the cycle), so `quizapp validate` and the
browser's problem list show it; the questions themselves stay playable (the curriculum ignores
unknown ids and breaks cycles, quizapp/practice/curriculum.py)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from quizapp.bank.models import Question
from quizapp.bank.problems import Problem


def prerequisite_problems(questions: Mapping[str, Question]) -> list[Problem]:
    problems: list[Problem] = []
    for q in questions.values():
        for pid in q.after:
            if pid == q.id:
                problems.append(_at(q, "'after' names the question itself; remove it"))
            elif pid not in questions:
                close = difflib.get_close_matches(pid, list(questions), n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(_at(q, f"'after' names '{pid}', which is not in the bank{hint}"))
    problems.extend(_cycles(questions))
    return problems


def alias_problems(questions: Mapping[str, Question]) -> list[Problem]:
    """An alias is an id a question had before: it must not be a question's id now (progress
    under it would belong to two questions), nor be claimed by two questions."""
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for q in questions.values():
        for old in q.aliases:
            if old == q.id:
                problems.append(
                    _at(q, "'aliases' names the question's own id; remove it", "aliases")
                )
            elif old in questions:
                problems.append(
                    _at(
                        q,
                        f"'aliases' names '{old}', which is another question's id: an alias is "
                        "an id no question has any more",
                        "aliases",
                    )
                )
            elif old in claimed:
                problems.append(
                    _at(
                        q,
                        f"'aliases' names '{old}', which '{claimed[old]}' names too: an old id "
                        "can pass its progress to one question only",
                        "aliases",
                    )
                )
            else:
                claimed[old] = q.id
    return problems


def _cycles(questions: Mapping[str, Question]) -> list[Problem]:
    """Each cycle once, reported at its first question in bank order."""
    order = {qid: i for i, qid in enumerate(questions)}
    graph = {q.id: [p for p in q.after if p in questions and p != q.id] for q in questions.values()}
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    found: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                found.append(path[path.index(nxt) :])
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for qid in questions:
        if qid not in state:
            visit(qid, [])
    problems = []
    seen: set[frozenset[str]] = set()
    for cycle in found:
        key = frozenset(cycle)
        if key in seen:
            continue
        seen.add(key)
        start = min(cycle, key=order.__getitem__)
        i = cycle.index(start)
        # The path runs from a question to its prerequisite; say it the way authors write it.
        ring = cycle[i:] + cycle[:i]
        chain = " -> ".join([*ring, start])
        problems.append(
            _at(
                questions[start],
                f"'after' prerequisites form a cycle: {chain} (each comes after the next); "
                "remove one of these ids",
            )
        )
    return problems


def _at(q: Question, message: str, field: str = "after") -> Problem:
    return Problem(message, q.source_file, q.source_line, field, q.id)
