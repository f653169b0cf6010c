"""values.encode, called in-process: the plain-data encoding documented in protocol.py."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
from torch import nn

from quizapp.runner.values import REPR_CAP, TENSOR_VALUES_CAP, encode


def roundtrip(value: Any) -> Any:
    encoded = encode(value)
    return json.loads(json.dumps(encoded, allow_nan=True))


def test_scalars_pass_through() -> None:
    assert roundtrip([None, True, 3, 2.5, "s"]) == {"__list__": [None, True, 3, 2.5, "s"]}
    nan, inf = roundtrip((float("nan"), float("-inf")))["__tuple__"]
    assert math.isnan(nan) and inf == -math.inf


def test_size_tuple_list_dict_are_told_apart() -> None:
    value = roundtrip({"s": torch.Size([2, 3]), "t": (1, [2, (3,)]), "b": [True, False]})
    assert value == {
        "__dict__": {
            "s": {"__size__": [2, 3]},
            "t": {"__tuple__": [1, {"__list__": [2, {"__tuple__": [3]}]}]},
            "b": {"__list__": [True, False]},
        }
    }


def test_tensor_fields() -> None:
    x = torch.tensor([[1.0, float("nan")], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    info = roundtrip(y)["__tensor__"]
    assert info["shape"] == [2, 2]
    assert info["dtype"] == "float32"
    assert info["requires_grad"] is True
    assert info["grad_fn"] == "MulBackward0" and info["is_leaf"] is False
    assert info["values"][0][0] == 2.0 and math.isnan(info["values"][0][1])
    assert info["device"] == "cpu"
    assert "nan=1" in info["summary"] and "float32[2, 2]" in info["summary"]


def test_tensor_dtypes_and_kinds() -> None:
    assert roundtrip(torch.tensor([True, False]))["__tensor__"]["values"] == [True, False]
    assert roundtrip(torch.arange(3))["__tensor__"]["dtype"] == "int64"
    assert roundtrip(torch.tensor(5.0))["__tensor__"]["values"] == 5.0
    assert roundtrip(torch.ones(2, dtype=torch.bfloat16))["__tensor__"]["values"] == [1.0, 1.0]
    param = roundtrip(nn.Parameter(torch.zeros(2)))["__tensor__"]
    assert param["requires_grad"] is True and param["values"] == [0.0, 0.0]
    sparse = roundtrip(torch.eye(2).to_sparse())["__tensor__"]
    assert sparse["values"] == [[1.0, 0.0], [0.0, 1.0]]
    complex_ = roundtrip(torch.tensor([1 + 2j]))["__tensor__"]
    assert complex_["values"] is None and complex_["dtype"] == "complex64"
    empty = roundtrip(torch.empty(0, 3))["__tensor__"]
    assert empty["shape"] == [0, 3] and empty["values"] == []


def test_large_tensor_keeps_shape_but_not_values() -> None:
    info = roundtrip(torch.zeros(TENSOR_VALUES_CAP + 1))["__tensor__"]
    assert info["values"] is None
    assert info["shape"] == [TENSOR_VALUES_CAP + 1]


def test_total_budget_across_a_container() -> None:
    many = [torch.zeros(TENSOR_VALUES_CAP) for _ in range(20)]
    items = roundtrip(many)["__list__"]
    with_values = [t for t in items if t["__tensor__"]["values"] is not None]
    assert 0 < len(with_values) < 20


def test_odd_values_become_bounded_reprs() -> None:
    module = roundtrip(nn.Linear(2, 3))
    assert module["type"] == "Linear" and "Linear" in module["__repr__"]
    assert roundtrip({1: "a"})["type"] == "dict"  # non-string keys
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    assert roundtrip(cyclic)["__list__"][1]["type"] == "list"
    huge = roundtrip(list(range(10**6)))
    assert huge["type"] == "list" and len(huge["__repr__"]) <= REPR_CAP
    assert roundtrip(torch.float32) == {"__repr__": "torch.float32", "type": "dtype"}


def test_repr_that_raises_is_reported() -> None:
    class Bad:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert "repr failed" in roundtrip(Bad())["__repr__"]


def test_numpy_values_when_numpy_is_installed() -> None:
    np = pytest.importorskip("numpy")
    assert roundtrip(np.float32(1.5)) == 1.5
    assert roundtrip(np.bool_(True)) is True
    info = roundtrip(np.arange(4).reshape(2, 2))["__tensor__"]
    assert info["shape"] == [2, 2] and info["values"] == [[0, 1], [2, 3]]
