"""The curriculum's rules over random banks (quizapp/practice/curriculum.py)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from practice_helpers import banks, question

from quizapp.bank import load_bank
from quizapp.bank.models import Question
from quizapp.config import bundled_bank_dir
from quizapp.practice.curriculum import DIFFICULTY_RANK, RUN_LIMIT, curriculum_order


def _rank(q: Question) -> int:
    return DIFFICULTY_RANK[q.difficulty]


@settings(max_examples=150, deadline=None)
@given(banks())
def test_every_new_question_once(bank: list[Question]) -> None:
    order = curriculum_order(bank)
    assert sorted(q.id for q in order) == sorted(q.id for q in bank)


@settings(max_examples=150, deadline=None)
@given(banks())
def test_easy_before_medium_before_hard_within_a_topic(bank: list[Question]) -> None:
    order = curriculum_order(bank)
    for topic in {q.topic for q in bank}:
        ranks = [_rank(q) for q in order if q.topic == topic]
        assert ranks == sorted(ranks), topic


@settings(max_examples=150, deadline=None)
@given(banks(), st.lists(st.sampled_from(("shapes", "hooks")), max_size=2))
def test_never_three_in_a_row_from_one_topic_while_others_have_questions(
    bank: list[Question], recent: list[str]
) -> None:
    order = curriculum_order(bank, recent_topics=recent)
    topics = [*recent, *(q.topic for q in order)]
    for end in range(len(recent) + RUN_LIMIT, len(topics)):
        window = topics[end - RUN_LIMIT : end + 1]
        if len(set(window)) == 1:
            # Allowed only when no other topic had a question left at that point.
            rest = topics[end:]
            assert set(rest) == {window[0]}, (topics, end)


@settings(max_examples=150, deadline=None)
@given(banks())
def test_no_question_two_levels_harder_than_what_another_topic_still_has(
    bank: list[Question],
) -> None:
    """Rule 5: no hard question while some topic still has an easy one (unless rule 3 forces a
    topic switch and only harder ones are left elsewhere)."""
    order = curriculum_order(bank)
    for i, q in enumerate(order):
        if _rank(q) < 2:
            continue
        later_easy = [p for p in order[i + 1 :] if _rank(p) == 0 and p.topic != q.topic]
        if later_easy:
            previous = [p.topic for p in order[max(0, i - RUN_LIMIT) : i]]
            forced = len(previous) == RUN_LIMIT and len(set(previous)) == 1
            assert forced, (q.id, [p.id for p in later_easy])


@settings(max_examples=150, deadline=None)
@given(banks(with_after=True))
def test_prerequisites_come_first_unless_they_form_a_cycle(bank: list[Question]) -> None:
    order = curriculum_order(bank)
    position = {q.id: i for i, q in enumerate(order)}
    ids = {q.id for q in bank}
    # Edges that close a cycle (taken in bank order) are dropped; every other edge holds.
    graph: dict[str, set[str]] = {q.id: set() for q in bank}

    def reaches(a: str, b: str) -> bool:
        stack, seen = [a], set()
        while stack:
            n = stack.pop()
            if n == b:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(graph[n])
        return False

    for q in bank:
        for p in q.after:
            if p in ids and p != q.id and not reaches(p, q.id):
                graph[q.id].add(p)
                assert position[p] < position[q.id], (p, q.id)


def test_answered_prerequisites_count_as_met() -> None:
    bank = [question("b", after=("a",)), question("c", after=("b",))]
    assert [q.id for q in curriculum_order(bank, done={"a"})] == ["b", "c"]


def test_focus_topics_lead_and_the_rest_still_interleave() -> None:
    bank = [question(f"s{i}", "shapes") for i in range(6)] + [
        question(f"h{i}", "hooks") for i in range(6)
    ]
    order = [q.topic for q in curriculum_order(bank, focus={"hooks"})]
    assert order[0] == "hooks" and order[:6].count("hooks") >= 4
    assert "shapes" in order[:3]  # no three in a row, even for a focus


def test_the_bundled_bank_starts_broad_and_easy() -> None:
    bank = load_bank([bundled_bank_dir()])
    first = curriculum_order(list(bank.questions.values()))[:10]
    assert len({q.topic for q in first}) >= 4
    assert len({q.kind for q in first}) >= 3
    assert all(q.difficulty.value != "hard" for q in first)
    assert Counter(q.topic for q in first[:4]) & Counter({"shapes": 1, "forward-pass": 1})
