"""Words and figures the screens write (the round itself lives in quizapp.practice)."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 answer`, `3 answers`: the words the screens count in all take a plain -s."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def clip(text: str, width: int = 18) -> str:
    """`text` on one line, cut to `width` characters with an ellipsis (for table cells)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
