"""Variants: params and option order drawn from (question id, seed), always the same."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.bank import Question, Variant, draw_variant, new_seed, params_as_code, substitute
from quizapp.bank.models import RangeParam
from quizapp.bank.variants import grid, grid_size, grid_value

seeds = st.integers(min_value=0, max_value=2**31 - 1)
ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)


def question(**fields: Any) -> Question:
    base: dict[str, Any] = {"id": "t.q", "kind": "shape", "topic": "t", "prompt": "p"}
    return Question.model_validate({**base, **fields})


CHOICE = question(
    id="t.choice",
    kind="choice",
    options=["SGD", "Adam", "RMSprop", "Adagrad", "LBFGS"],
    answer="'Adam'",
    params={"n": [1, 2, 3], "lr": {"min": 0.001, "max": 0.01, "step": 0.001}},
)


@settings(deadline=None)
@given(seeds, ids)
def test_same_question_and_seed_give_the_same_variant(seed: int, qid: str) -> None:
    q = CHOICE.model_copy(update={"id": qid})
    first, second = draw_variant(q, seed), draw_variant(q, seed)
    assert first.params == second.params
    assert first.options == second.options
    assert first == second


def test_variants_do_not_depend_on_hash_randomisation() -> None:
    code = (
        "from quizapp.bank import Question, draw_variant\n"
        "q = Question.model_validate({'id': 't.q', 'kind': 'choice', 'topic': 't',"
        " 'prompt': 'p', 'answer': 'x', 'options': list('abcdefg'),"
        " 'params': {'n': list(range(100)), 'x': {'min': 0, 'max': 1, 'step': 0.01}}})\n"
        "print([(draw_variant(q, s).params, draw_variant(q, s).options) for s in range(20)])\n"
    )
    outputs = set()
    for hash_seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1


def test_known_variant_is_stable_across_releases() -> None:
    """A stored seed must bring back the variant the user saw: pin one draw."""
    variant = draw_variant(CHOICE, 42)
    again = draw_variant(CHOICE.model_copy(update={"title": "edited"}), 42)
    assert (variant.params, variant.options) == (again.params, again.options)
    assert variant.params == draw_variant(CHOICE, 42).params


def test_different_seeds_give_different_variants() -> None:
    drawn = {
        (tuple(draw_variant(CHOICE, s).params.items()), draw_variant(CHOICE, s).options)
        for s in range(200)
    }
    assert len(drawn) > 150
    assert {draw_variant(CHOICE, s).params["n"] for s in range(200)} == {1, 2, 3}
    assert {draw_variant(CHOICE, s).options for s in range(200)}.__len__() > 60


def test_adding_a_param_keeps_the_others() -> None:
    more = CHOICE.model_copy(update={"params": {**CHOICE.params, "extra": [7, 8]}})
    for seed in range(50):
        assert draw_variant(more, seed).params["n"] == draw_variant(CHOICE, seed).params["n"]


@settings(deadline=None)
@given(seeds)
def test_options_are_a_permutation_with_letters(seed: int) -> None:
    variant = draw_variant(CHOICE, seed)
    assert variant.options is not None
    assert sorted(variant.options) == sorted(CHOICE.options or ())
    for index, option in enumerate(variant.options):
        letter = "ABCDE"[index]
        assert variant.letter_of(option) == letter
        assert variant.option_for(letter) == option
        assert variant.option_for(f" {letter.lower()} ") == option
    assert variant.option_for("F") is None
    assert variant.option_for("AB") is None
    assert variant.option_for("") is None


def test_letter_of_an_unknown_option() -> None:
    variant = draw_variant(CHOICE, 1)
    with pytest.raises(ValueError, match="not an option"):
        variant.letter_of("Nesterov")
    plain = draw_variant(question(answer="x"), 1)
    assert plain.options is None
    assert plain.option_for("A") is None


int_ranges = st.tuples(st.integers(-1000, 1000), st.integers(0, 1000), st.integers(1, 50)).map(
    lambda t: RangeParam(min=t[0], max=t[0] + t[1], step=t[2])
)
float_ranges = st.tuples(
    st.decimals(-100, 100, places=4),
    st.decimals(0, 50, places=4),
    st.decimals("0.0001", 10, places=4),
).map(lambda t: RangeParam(min=float(t[0]), max=float(t[0] + t[1]), step=float(t[2])))


@settings(deadline=None)
@given(int_ranges, seeds)
def test_int_grid_membership(spec: RangeParam, seed: int) -> None:
    q = question(params={"n": spec.model_dump()}, answer="x")
    value = draw_variant(q, seed).params["n"]
    assert type(value) is int
    assert spec.min <= value <= spec.max
    assert (value - spec.min) % spec.step == 0


@settings(deadline=None)
@given(float_ranges, seeds)
def test_float_grid_membership(spec: RangeParam, seed: int) -> None:
    q = question(params={"x": spec.model_dump()}, answer="x")
    value = draw_variant(q, seed).params["x"]
    assert isinstance(value, float)
    assert spec.min <= value <= spec.max
    steps = (Decimal(repr(value)) - Decimal(repr(spec.min))) / Decimal(repr(spec.step))
    assert steps == steps.to_integral_value()
    # Prints cleanly: no 0.30000000000000004.
    assert len(repr(value).partition(".")[2]) <= 4


@settings(deadline=None)
@given(float_ranges)
def test_grid_ends_at_or_below_max(spec: RangeParam) -> None:
    size = grid_size(spec)
    first, last = grid_value(spec, 0), grid_value(spec, size - 1)
    assert size >= 1
    assert first == spec.min and last <= spec.max
    assert last + spec.step > spec.max + 1e-9  # nothing left out at the top
    if size > 1:
        assert grid_value(spec, 1) > first


def test_grids_print_cleanly() -> None:
    assert grid(RangeParam(min=0.5, max=1.0, step=0.1)) == [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert grid(RangeParam(min=0.5, max=2.0, step=0.5)) == [0.5, 1.0, 1.5, 2.0]
    assert grid(RangeParam(min=1, max=10, step=3)) == [1, 4, 7, 10]
    assert grid(RangeParam(min=0.0001, max=0.001, step=0.0003)) == [0.0001, 0.0004, 0.0007, 0.001]
    assert grid(RangeParam(min=1, max=2, step=0.25)) == [1.0, 1.25, 1.5, 1.75, 2.0]
    assert grid(RangeParam(min=3, max=3, step=1)) == [3]
    # A huge grid is never materialised to draw from it.
    huge = RangeParam(min=0, max=10**12, step=1)
    assert grid_size(huge) == 10**12 + 1 and grid_value(huge, 5) == 5
    fine = RangeParam(min=0.0, max=1000.0, step=0.001)
    assert grid_size(fine) == 1_000_001 and grid_value(fine, 1_000_000) == 1000.0
    assert grid_value(fine, 300) == 0.3
    assert grid(RangeParam(min=0.1, max=0.35, step=0.1)) == [0.1, 0.2, 0.3]


def test_list_param_draws_an_element_as_is() -> None:
    q = question(params={"shape": [[2, 3], [4, 5, 6]], "name": ["relu", "gelu"]}, answer="x")
    seen = {
        (tuple(draw_variant(q, s).params["shape"]), draw_variant(q, s).params["name"])
        for s in range(100)
    }
    assert seen == {((2, 3), "relu"), ((2, 3), "gelu"), ((4, 5, 6), "relu"), ((4, 5, 6), "gelu")}


def test_substitute() -> None:
    params = {"n": 3, "scale": 1.5, "name": "relu", "shape": [2, 3], "flag": True}
    text = "n={{n}} s={{ scale }} f={{name}} sh={{shape}} b={{flag}} keep={{other}} {{ }}"
    assert substitute(text, params) == "n=3 s=1.5 f=relu sh=[2, 3] b=True keep={{other}} {{ }}"
    assert substitute("no placeholders", {}) == "no placeholders"


@settings(deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
            lambda s: s not in {"if", "in", "is", "or", "as", "and", "not", "for", "def", "del"}
        ),
        st.one_of(
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=10),
            st.booleans(),
            st.none(),
            st.lists(st.integers(), max_size=3),
        ),
        max_size=5,
    )
)
def test_params_as_code_is_valid_python_giving_the_values(params: dict[str, Any]) -> None:
    import keyword

    params = {k: v for k, v in params.items() if not keyword.iskeyword(k)}
    code = params_as_code(params)
    namespace: dict[str, Any] = {}
    exec(compile(ast.parse(code), "<params>", "exec"), namespace)
    assert {k: namespace[k] for k in params} == params
    assert code.count("\n") == max(len(params) - 1, 0)


def test_params_as_code_order() -> None:
    assert params_as_code({"n": 3, "scale": 1.5}) == "n = 3\nscale = 1.5"
    assert params_as_code({}) == ""


def test_variant_text_helpers() -> None:
    q = question(
        params={"n": [4]},
        setup="x = torch.zeros(n, 2)\n",
        prompt="Shape with n = {{n}}?",
        hints=["n is {{n}}"],
        explanation="Because n = {{n}}.",
        answer="x.shape",
    )
    variant = draw_variant(q, 0)
    assert isinstance(variant, Variant)
    assert variant.prompt == "Shape with n = 4?"
    assert variant.hints == ("n is 4",)
    assert variant.explanation == "Because n = 4."
    assert variant.setup_code == "n = 4\nx = torch.zeros(n, 2)"
    hidden = draw_variant(q.model_copy(update={"show_setup": False}), 0)
    assert hidden.setup_code == ""


def test_new_seed_range() -> None:
    drawn = {new_seed() for _ in range(200)}
    assert all(0 <= s < 2**31 for s in drawn)
    assert len(drawn) > 190
