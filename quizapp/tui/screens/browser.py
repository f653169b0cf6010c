"""The bank browser: every question by topic and kind, a filter, a preview, start any question.

Load problems (broken files or questions) are listed in their own branch rather than hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, Tree

from quizapp.bank.models import Question
from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.ports import ProblemLike
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.question_view import QuestionView

if TYPE_CHECKING:
    from quizapp.tui.app import QuizApp

NodeData = Question | ProblemLike | None


def matches(q: Question, needle: str) -> bool:
    if not needle:
        return True
    hay = " ".join((q.id, q.title, q.topic, q.kind.value, *q.tags)).lower()
    return all(word in hay for word in needle.lower().split())


class BrowserScreen(Screen[None]):
    AUTO_FOCUS = "#b-tree"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+f", "focus_filter", "Filter"),
        Binding("p", "practise", "Practise it"),
        Binding("s", "reseed", "New seed"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.selected: Question | None = None
        self.seed = 0

    @property
    def quiz(self) -> QuizApp:
        return cast("QuizApp", self.app)

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        with Horizontal(id="browser"):
            with Vertical(id="b-left"):
                yield Input(placeholder="filter: id, title, topic, kind, tag", id="b-filter")
                yield Tree[NodeData]("bank", id="b-tree")
            with VerticalScroll(id="b-preview"):
                yield Static("Choose a question to preview it.", id="b-empty", classes="dim")
        yield Footer(compact=True)

    @unless_closing
    def on_mount(self) -> None:
        self.seed = self.quiz.service.new_seed()
        self.reload_data()

    def reload_data(self) -> None:
        self.fill(self.query_one("#b-filter", Input).value)

    def fill(self, needle: str) -> None:
        tree: Tree[NodeData] = self.query_one(Tree)
        bank = self.quiz.service.bank
        tree.clear()
        tree.root.expand()
        by_topic: dict[str, dict[str, list[Question]]] = {}
        for q in bank.questions.values():
            if matches(q, needle):
                by_topic.setdefault(q.topic, {}).setdefault(q.kind.value, []).append(q)
        for topic in sorted(by_topic):
            kinds = by_topic[topic]
            count = sum(len(v) for v in kinds.values())
            topic_node = tree.root.add(f"{topic} ({count})", expand=True)
            for kind in sorted(kinds):
                kind_node = topic_node.add(f"{kind} ({len(kinds[kind])})", expand=bool(needle))
                for q in sorted(kinds[kind], key=lambda q: q.id):
                    kind_node.add_leaf(q.display_title, data=q)
        if not by_topic:
            tree.root.add_leaf("no questions match" if needle else "the bank is empty")
        if bank.problems:
            probs = tree.root.add(
                Text(f"⚠ problems ({len(bank.problems)})", style="bold red"), expand=not by_topic
            )
            for p in bank.problems:
                label = p.question_id or p.location() or "bank"
                probs.add_leaf(Text(label, style="red"), data=p)

    @on(Input.Changed, "#b-filter")
    def filtered(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(Input.Submitted, "#b-filter")
    def filter_done(self) -> None:
        self.query_one(Tree).focus()

    @on(Tree.NodeHighlighted)
    def highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        self.preview(event.node.data)

    @on(Tree.NodeSelected)
    def selected_node(self, event: Tree.NodeSelected[NodeData]) -> None:
        if isinstance(event.node.data, Question):
            self.preview(event.node.data)

    def preview(self, data: NodeData) -> None:
        pane = self.query_one("#b-preview", VerticalScroll)
        pane.remove_children()
        if isinstance(data, Question):
            self.selected = data
            try:
                shown = self.quiz.service.show(data.id, self.seed)
            except Exception as exc:
                pane.mount(Static(Text(f"Cannot show {data.id}: {exc}", style="red")))
                return
            where = Text(f"{data.location()}  ·  p: practise it  ·  s: new seed", style="dim")
            pane.mount(QuestionView(shown, with_options=True), Static(where, classes="b-where"))
        elif data is not None:
            self.selected = None
            text = Text("Problem\n", style="bold red")
            if data.location():
                text.append(data.location() + "\n", style="dim")
            text.append(data.message)
            pane.mount(Static(text, classes="b-problem"))
        else:
            self.selected = None
            pane.mount(Static("Choose a question to preview it.", classes="dim"))

    def action_focus_filter(self) -> None:
        self.query_one("#b-filter", Input).focus()

    def action_reseed(self) -> None:
        self.seed = self.quiz.service.new_seed() if self.seed == 0 else self.seed + 1
        if self.selected is not None:
            self.preview(self.selected)

    def action_practise(self) -> None:
        if self.selected is None:
            self.notify("Highlight a question first.")
            return
        self.quiz.practise_question(self.selected.id, self.seed)

    def action_back(self) -> None:
        if self.query_one("#b-filter", Input).has_focus:
            self.query_one(Tree).focus()
        else:
            self.app.pop_screen()
