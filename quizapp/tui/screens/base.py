"""What every quizapp screen has, so the app can ask without probing (`getattr`)."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar, cast

from textual.screen import Screen

from quizapp.tui.ports import QuizAppLike

R = TypeVar("R")


class QuizScreen(Screen[R]):
    """A screen of the app. `reload_data` is called when the bank or the progress changed;
    `checking` says a check is running (quitting waits for it to be saved); `cancel_check`
    stops it; `session` is the practice round shown, if any."""

    checking: bool = False
    session: Any = None
    # Keys that open a question here (outside a text box): the app holds the keys typed after
    # them until the question's answer box has the focus, so fast typing is never lost.
    ROUND_KEYS: ClassVar[frozenset[str]] = frozenset()

    @property
    def quiz(self) -> QuizAppLike:
        return cast(QuizAppLike, self.app)

    def opens_round(self, key: str) -> bool:
        """Whether `key` (outside a text box) opens a question here now."""
        return key in self.ROUND_KEYS

    def reload_data(self) -> None:
        """Reread what the screen shows from the service (default: nothing to reread)."""

    def cancel_check(self) -> None:
        """Stop a running check (default: there is none)."""
