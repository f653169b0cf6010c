"""Guards for handlers that can run while the app is already closing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from textual.screen import Screen

S = TypeVar("S", bound=Screen[Any])


def unless_closing(handler: Callable[[S], None]) -> Callable[[S], None]:
    """Skips a screen's mount handler when the app began closing before the screen mounted.

    A quit typed ahead (a paste, a fast hand) can start the shutdown while a just-pushed screen
    is still mounting; its nested widgets are then never mounted, and querying them would crash
    the exit with a traceback. Nothing the handler sets up matters once the app is closing.
    """

    @wraps(handler)
    def guarded(screen: S) -> None:
        if screen.app.is_running:
            handler(screen)

    return guarded
