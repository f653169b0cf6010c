"""The command palette (ctrl+p): every action of the app, and every question by title."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from quizapp.tui.practice import MOCK_QUESTIONS, MOCK_SECONDS_PER_QUESTION

if TYPE_CHECKING:
    from quizapp.tui.app import QuizApp


class QuizCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast("QuizApp", self.app)
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
                f"{MOCK_QUESTIONS} questions, timed, no hints, a summary at the end",
                partial(app.start_round, "mock"),
            ),
            *(
                (
                    f"Mock interview: {n} questions",
                    f"{n} questions in {n * MOCK_SECONDS_PER_QUESTION // 60} minutes, no hints",
                    partial(app.start_round, "mock", size=n),
                )
                for n in (10, 15)
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
                        f"{q.id} ({q.kind.value}, {q.topic})",
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
