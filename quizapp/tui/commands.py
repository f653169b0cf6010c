"""The command palette (ctrl+p): every action of the app, and every question by title."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from quizapp.practice.modes import DEFAULT_MOCK_SIZE, MOCK_SIZES
from quizapp.tui.ports import Service


class _Commandable(Protocol):
    """What the palette calls on the app (typed here: the app module imports this one)."""

    @property
    def ready(self) -> bool: ...
    @property
    def service(self) -> Service: ...

    def action_home(self) -> None: ...
    def start_round(
        self, mode: Any, topic: str | None = None, *, size: int | None = None
    ) -> None: ...
    def practise_question(self, question_id: str, seed: int | None = None) -> None: ...
    def choose_topic(self) -> None: ...
    def action_stats(self) -> None: ...
    def action_browse(self) -> None: ...
    def action_scratchpad(self) -> None: ...
    def action_switch_user(self) -> None: ...
    def action_help(self) -> None: ...
    def action_settings(self) -> None: ...


class QuizCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast(_Commandable, self.app)
        cmds: list[tuple[str, str, Callable[[], object]]] = [
            ("Home", "Back to the home screen", app.action_home),
            (
                "Review due questions",
                "Practise what is due today",
                partial(app.start_round, "review"),
            ),
            (
                "Learn new questions",
                "Questions you have not seen",
                partial(app.start_round, "learn"),
            ),
            ("Drill a topic", "Choose a topic and practise it", app.choose_topic),
            ("Mixed practice", "Due and new questions, mixed", partial(app.start_round, "mixed")),
            (
                "Mock interview",
                f"{DEFAULT_MOCK_SIZE} mixed questions, 2 minutes each (code 5), no hints, "
                "a summary at the end",
                partial(app.start_round, "mock"),
            ),
            *(
                (
                    f"Mock interview: {n} questions",
                    f"{n} mixed questions, at least one code, 2 minutes each (code 5)",
                    partial(app.start_round, "mock", size=n),
                )
                for n in MOCK_SIZES
                if n != DEFAULT_MOCK_SIZE
            ),
            (
                "Settings",
                "New questions per day, focus topics, theme (kept per profile)",
                app.action_settings,
            ),
            ("Statistics", "Accuracy, activity, forecast, weakest questions", app.action_stats),
            ("Browse the bank", "Every question by topic and kind", app.action_browse),
            (
                "Scratchpad",
                "Run any PyTorch snippet: its output, forward trace, autograd graph and modes",
                app.action_scratchpad,
            ),
            ("Switch profile", "Choose or create a profile", app.action_switch_user),
            ("Help", "Keys and how the app works", app.action_help),
        ]
        if app.ready:
            for topic in app.service.topics():
                cmds.append(
                    (
                        f"Drill topic: {topic}",
                        f"Practise {topic}",
                        partial(app.start_round, "drill", topic),
                    )
                )
            for q in app.service.bank.questions.values():
                seed = app.service.new_seed()
                cmds.append(
                    (
                        f"Practise: {q.display_title}",
                        # Not the id: ids are author handles and often name the trap.
                        f"{q.kind.value}, {q.topic}",
                        partial(app.practise_question, q.id, seed),
                    )
                )
        return cmds

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            if not name.startswith("Practise:"):
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            # a question is found by its id too ("hooks.code-capture"), shown in the help line
            score = max(matcher.match(name), matcher.match(help_text) * 0.9)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
