"""The bundled bank (questions/) meets the bank's quality bar, and docs/question-bank.md matches it.

Loading only (no torch): `quizapp validate questions/` runs the questions live in `make test`.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from quizapp.bank import Bank, Difficulty, Kind, Question, coverage, load_bank
from quizapp.config import bundled_bank_dir

DOC = Path(__file__).resolve().parents[2] / "docs" / "question-bank.md"
ROW = re.compile(r"^\|(.+)\|\s*$")


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_bank([bundled_bank_dir()])


@pytest.fixture(scope="module")
def questions(bank: Bank) -> list[Question]:
    return list(bank.questions.values())


def open_kinds(questions: list[Question]) -> list[Question]:
    """Questions with a computed truth: everything but code and recall."""
    return [q for q in questions if q.kind not in (Kind.CODE, Kind.RECALL)]


def doc_rows() -> list[list[str]]:
    """Every Markdown table row of the doc, as stripped cells (separator rows skipped)."""
    rows = []
    for line in DOC.read_text().splitlines():
        match = ROW.match(line.strip())
        if match is None:
            continue
        cells = [cell.strip() for cell in match.group(1).split("|")]
        if all(set(cell) <= set("-: ") for cell in cells):
            continue
        rows.append(cells)
    return rows


def as_count(cell: str) -> int:
    return int(cell) if cell else 0


def test_bank_loads_without_problems(bank: Bank) -> None:
    assert bank.problems == [], "\n".join(str(p) for p in bank.problems)


def test_bank_is_large_enough(questions: list[Question]) -> None:
    assert len(questions) >= 320


def test_every_topic_has_every_kind(bank: Bank, questions: list[Question]) -> None:
    present = {(q.topic, q.kind) for q in questions}
    missing = [(t, str(k)) for t in bank.topics() for k in Kind if (t, k) not in present]
    assert not missing, f"topics without a kind: {missing}"


def test_enough_code_and_recall(questions: list[Question]) -> None:
    kinds = Counter(q.kind for q in questions)
    assert kinds[Kind.CODE] >= 70
    assert kinds[Kind.RECALL] >= 30


def test_enough_build_it_from_scratch_questions(questions: list[Question]) -> None:
    implement = [q for q in questions if "implement" in q.tags]
    assert len(implement) >= 30
    assert all(q.kind is Kind.CODE for q in implement), [q.id for q in implement]


def test_every_code_question_carries_two_wrong_solutions(questions: list[Question]) -> None:
    """`quizapp validate` proves that each check rejects them (the mutation test)."""
    thin = [
        q.id
        for q in questions
        if q.kind is Kind.CODE and sum(m.code is not None for m in q.misconceptions) < 2
    ]
    assert not thin, f"code questions with fewer than two code misconceptions: {thin}"


def test_the_classic_traps_carry_misconceptions(questions: list[Question]) -> None:
    assert sum(bool(q.misconceptions) for q in questions) >= 150
    for q in questions:
        for m in q.misconceptions:
            assert m.summary.strip() and m.explanation.strip(), f"{q.id}: {m.name}"


def test_every_recall_question_marks_what_a_pass_needs(questions: list[Question]) -> None:
    loose = [q.id for q in questions if q.kind is Kind.RECALL and not q.must_points]
    assert not loose, f"recall questions without must key points: {loose}"


def test_at_least_half_of_computed_questions_have_params(questions: list[Question]) -> None:
    computed = open_kinds(questions)
    with_params = [q for q in computed if q.has_params]
    assert 2 * len(with_params) >= len(computed), f"{len(with_params)} of {len(computed)}"


def test_every_question_has_an_explanation(questions: list[Question]) -> None:
    bare = [q.id for q in questions if not q.explanation.strip()]
    assert not bare, f"questions without an explanation: {bare}"


def test_medium_and_hard_questions_have_hints(questions: list[Question]) -> None:
    hintless = [
        q.id
        for q in questions
        if q.difficulty != Difficulty.EASY and q.kind != Kind.RECALL and not q.hints
    ]
    assert not hintless, f"medium/hard questions without hints: {hintless}"


def test_doc_coverage_table_matches_the_bank(bank: Bank) -> None:
    expected: dict[tuple[str, str], dict[str, int]] = {}
    for row in coverage(bank):
        expected.setdefault((row.topic, str(row.kind)), {})[str(row.difficulty)] = row.count
    levels = [str(d) for d in Difficulty]
    documented: dict[tuple[str, str], dict[str, int]] = {}
    for cells in doc_rows():
        if len(cells) == 6 and cells[0] in bank.topics():
            counts = [as_count(c) for c in cells[2:5]]
            assert sum(counts) == as_count(cells[5]), f"row total is wrong: {cells}"
            documented[(cells[0], cells[1])] = {
                level: n for level, n in zip(levels, counts, strict=True) if n
            }
    assert documented == expected, "docs/question-bank.md's coverage table is stale"

    all_row = next(c for c in doc_rows() if c[0] == "**all**")
    by_level = Counter(str(q.difficulty) for q in bank.questions.values())
    assert [as_count(c) for c in all_row[2:6]] == [*(by_level[lv] for lv in levels), len(bank)]


def test_doc_totals_match_the_bank(questions: list[Question]) -> None:
    totals = {c[0]: int(c[1]) for c in doc_rows() if len(c) == 2 and c[1].isdigit()}
    computed = open_kinds(questions)
    assert totals == {
        "questions": len(questions),
        "code questions": sum(q.kind == Kind.CODE for q in questions),
        "recall questions": sum(q.kind == Kind.RECALL for q in questions),
        "questions with params (all kinds)": sum(q.has_params for q in questions),
        "shape, value, choice and output questions": len(computed),
        "of those, with params": sum(q.has_params for q in computed),
    }, "docs/question-bank.md's totals are stale"


def test_the_tag_vocabulary_is_the_tags_the_bank_uses(questions: list[Question]) -> None:
    # The doc's rule: "a new tag is fine when none fits, but add it here"; and a tag no
    # question carries any more is a filter that finds nothing.
    documented = {
        tag
        for cells in doc_rows()
        if len(cells) == 2 and cells[0].startswith("`")
        for tag in re.findall(r"`([a-z0-9-]+)`", cells[0])
    }
    used = {tag for q in questions for tag in q.tags}
    assert sorted(used - documented) == [], "tags missing from docs/question-bank.md's vocabulary"
    assert sorted(documented - used) == [], "tags in the vocabulary that no question carries"


def _intraword_emphasis(markdown: str) -> list[str]:
    """Emphasis opened straight after a letter, digit or bracket: `2*3*4` or `C*kh*kw` written
    as prose, which Markdown shows as 2<em>3</em>4. Deliberate emphasis follows a space."""
    from markdown_it import MarkdownIt

    found = []
    for block in MarkdownIt().parse(markdown):
        children = block.children or []
        for before, token in itertools.pairwise(children):
            if token.type not in ("em_open", "strong_open") or before.type != "text":
                continue
            tail = before.content[-1:]
            if tail and (tail.isalnum() or tail in ")]}"):
                found.append(before.content[-20:] + token.markup)
    return found


def test_products_in_markdown_text_are_not_read_as_emphasis(questions: list[Question]) -> None:
    # The prompt, explanation, model answer and misconception explanations are shown as
    # Markdown; a product written `a*b*c` outside backticks loses its signs and italicises.
    from quizapp.bank.variants import draw_variant, substitute

    bad = []
    for q in questions:
        params = draw_variant(q, 1).params
        texts = [("prompt", q.prompt), ("explanation", q.explanation)]
        texts.append(("model_answer", q.model_answer or ""))
        texts += [(f"misconception {m.name}", m.explanation) for m in q.misconceptions]
        for where, text in texts:
            for hit in _intraword_emphasis(substitute(text, params)):
                bad.append(f"{q.id} {where}: ...{hit}")
    assert bad == [], "write products in backticks or with ·/×:\n" + "\n".join(bad)
