"""Framing and (de)serialisation of what crosses the process boundary."""

from __future__ import annotations

import io
import math

import pytest

from quizapp.runner.protocol import (
    HEADER,
    MAX_MESSAGE_BYTES,
    FrameDecoder,
    RunError,
    RunRequest,
    RunResult,
    RunStatus,
    Step,
    encode_message,
    read_message,
    write_message,
)


def test_decoder_handles_split_and_joined_frames() -> None:
    frames = encode_message({"a": 1}) + encode_message({"b": [1, 2]}) + encode_message({"c": "é"})
    decoder = FrameDecoder()
    got = []
    for i in range(len(frames)):  # one byte at a time
        got += decoder.feed(frames[i : i + 1])
    assert got == [{"a": 1}, {"b": [1, 2]}, {"c": "é"}]
    assert decoder.pending_bytes == 0
    assert FrameDecoder().feed(frames) == got


def test_decoder_refuses_oversized_and_non_object_frames() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        FrameDecoder().feed(HEADER.pack(MAX_MESSAGE_BYTES + 1))
    body = b"[1, 2]"
    with pytest.raises(ValueError, match="object"):
        FrameDecoder().feed(HEADER.pack(len(body)) + body)


def test_stream_roundtrip_keeps_nan() -> None:
    stream = io.BytesIO()
    write_message(stream, {"x": float("nan"), "y": math.inf})
    stream.seek(0)
    message = read_message(stream)
    assert message is not None and math.isnan(message["x"]) and message["y"] == math.inf
    assert read_message(stream) is None  # a clean end


def test_stream_cut_inside_a_message_is_an_error() -> None:
    stream = io.BytesIO(encode_message({"x": 1})[:-2])
    with pytest.raises(EOFError):
        read_message(stream)


def test_request_and_result_roundtrip() -> None:
    request = RunRequest(
        steps=(Step("x = 1", "setup"), Step("y = x", "user")),
        seed=3,
        params={"n": [1, 2]},
        evaluate="y",
        instruments={"trace": "auto"},
    )
    assert RunRequest.from_json(request.to_json()) == request
    result = RunResult(
        status=RunStatus.ERROR,
        error=RunError("ValueError", "bad", "tb", step="user", line=2),
        stdout="out",
        stderr="warn",
        stdout_truncated=True,
    )
    back = RunResult.from_json(result.to_json())
    assert back == result
    assert back.describe() == "ValueError in user line 2: bad"
