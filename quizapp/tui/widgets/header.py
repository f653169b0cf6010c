"""The app's header: Textual's Header, safe to tear down before its first paint."""

from __future__ import annotations

from contextlib import suppress

from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class QuizHeader(Header):
    """Header whose title watchers tolerate a header that is already being removed.

    Textual 8.2's Header schedules its first title update for the next idle; when its screen is
    pushed and the app exits (or the screen is popped) before that, the HeaderTitle child is gone
    and the update raises NoMatches, which Textual turns into a crash with a traceback at quit.
    This is Header's own mount handler with that case caught as well as NoScreen.
    """

    def _on_mount(self, event: Mount) -> None:
        # Header's handler would register the unguarded watchers as well; ours replaces it.
        # (Widget's _on_mount, also skipped, only sets up scrollbars, which a header has none of.)
        event.prevent_default()

        async def set_title() -> None:
            with suppress(NoScreen, NoMatches):
                self.query_one(HeaderTitle).update(self.format_title())

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
