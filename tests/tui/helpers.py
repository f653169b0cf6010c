"""Small waits for Pilot tests: workers run in threads, so tests wait on conditions, not sleeps."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Callable

from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled

from quizapp.tui.app import QuizApp


async def settle(pilot: Pilot[None]) -> None:
    # the author-mode watcher runs for the app's lifetime; everything else finishes
    workers = [w for w in pilot.app.workers if w.group != "watch"]
    if workers:  # an empty list would mean "all of them"
        with contextlib.suppress(WorkerCancelled):  # a cancelled check is a finished one
            await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()


async def until(pilot: Pilot[None], condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Pauses until `condition()` holds; fails the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.02)


async def started(pilot: Pilot[None]) -> QuizApp:
    """Waits for the boot worker and the home screen's data."""
    app = pilot.app
    assert isinstance(app, QuizApp)
    await until(pilot, lambda: app.ready)
    await settle(pilot)
    return app


def text_of(app: QuizApp, selector: str) -> str:
    """The plain text a Static shows (markup, Rich Text, tables alike)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    plain = getattr(content, "plain", None)
    if isinstance(plain, str):
        return plain
    console = Console(width=160, file=io.StringIO(), record=True)
    console.print(content)
    return console.export_text()


def type_ahead(pilot: Pilot[None], *keys: str) -> None:
    """Delivers keys the way a paste or a fast hand does: queued together, with no idle wait
    between them (Pilot.press waits for the app to settle after each key)."""
    app = pilot.app
    assert app._driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)
