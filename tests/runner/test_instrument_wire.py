"""The explain instruments' wire format: what the parent sends is what the child reads back."""

from __future__ import annotations

import pytest

from quizapp.bank.models import Question
from quizapp.explain import instrument_spec
from quizapp.runner.instrument_wire import (
    AUTO,
    MODE_LABELS,
    InstrumentsRequest,
    ModelInput,
    Section,
    parse_section,
)


def test_a_request_round_trips() -> None:
    request = InstrumentsRequest(
        trace=ModelInput("net", "x"), graph="loss", modes=None, answer_expr="y.shape"
    )
    assert InstrumentsRequest.from_json(request.to_json()) == request
    assert InstrumentsRequest.from_json(InstrumentsRequest().to_json()) == InstrumentsRequest()


def test_the_parent_builds_what_the_child_reads() -> None:
    q = Question.model_validate(
        {
            "id": "t.q",
            "kind": "shape",
            "topic": "t",
            "prompt": "?",
            "setup": "net = nn.Linear(2, 3)\nx = torch.ones(1, 2)",
            "answer": "net(x).shape",
            "trace": {"model": "net", "input": "x"},
        }
    )
    parsed = InstrumentsRequest.from_json(instrument_spec(q))
    assert parsed.trace == ModelInput("net", "x")
    assert parsed.graph == AUTO and parsed.modes == AUTO
    assert parsed.answer_expr == "net(x).shape"


@pytest.mark.parametrize(
    ("section", "value", "message"),
    [
        (Section.MODES, {"model": "m"}, "modes: expected {model: NAME, input: NAME} or auto"),
        (Section.TRACE, "net", "trace: expected {model: NAME, input: NAME} or auto"),
        (Section.GRAPH, 3, "graph: expected an expression or auto"),
        (Section.GRAPH, "  ", "graph: expected an expression or auto"),
    ],
)
def test_a_malformed_section_says_what_is_wrong(
    section: Section, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parse_section(section, value)
    with pytest.raises(ValueError):
        InstrumentsRequest.from_json({section.value: value})


def test_mode_labels_are_the_ones_the_child_runs() -> None:
    pytest.importorskip("torch")
    from quizapp.runner.instruments import MODES

    assert tuple(label for label, _train, _grad in MODES) == MODE_LABELS
    assert MODE_LABELS[0] == "train" and "eval + inference_mode" in MODE_LABELS
