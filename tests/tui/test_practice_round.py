"""The words the screens write (the round's rules are tested in tests/practice/)."""

from __future__ import annotations

from quizapp.tui.practice import format_seconds, plural


def test_format_seconds() -> None:
    assert format_seconds(0) == "0:00"
    assert format_seconds(61.4) == "1:01"
    assert format_seconds(-5) == "0:00"


def test_plural() -> None:
    assert plural(1, "answer") == "1 answer" and plural(3, "day") == "3 days"
