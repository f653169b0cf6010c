"""The bank browser: every question by topic and kind with its status for this profile (new,
failed, due, learning, mature), a filter that takes what you type (words match id, title,
topic, kind, tags and the status: `due`, `failed`...), a preview, and practising any question.

Load problems (broken files or questions) are listed in their own branch rather than hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Input, Static, Tree

from quizapp.bank.models import Question
from quizapp.tui.lifecycle import unless_closing
from quizapp.tui.messages import PractiseQuestion
from quizapp.tui.ports import ProblemLike
from quizapp.tui.screens.base import QuizScreen
from quizapp.tui.widgets.header import QuizHeader
from quizapp.tui.widgets.question_view import QuestionView

NodeData = Question | ProblemLike | None
STATUS_STYLE = {
    "new": "cyan",
    "failed": "bold red",
    "due": "yellow",
    "learning": "",
    "mature": "green",
}


@dataclass
class StatusesLoaded(Message):
    statuses: Mapping[str, str]


def matches(q: Question, needle: str, status: str = "") -> bool:
    if not needle:
        return True
    hay = " ".join((q.id, q.title, q.topic, q.kind.value, *q.tags, status)).lower()
    return all(word in hay for word in needle.lower().split())


class FilterBox(Input):
    """The filter. Enter hands the focus to the tree at once, not when its Submitted message
    comes back: keys typed fast after Enter are already queued here, and must act where the
    focus now is (the tree's keys, `p` to practise) instead of landing in the filter."""

    async def _on_key(self, event: events.Key) -> None:
        # screen.focused, not has_focus: that one changes only when the Blur event, queued
        # behind these keys, is handled.
        focused = self.screen.focused is self
        if event.key == "enter" and focused:
            event.stop()
            event.prevent_default()
            self.screen.set_focus(self.screen.query_one(Tree))
            return
        if not focused:
            # Not typed into the filter (Input's own handler is the default one), but it
            # bubbles: the screen's and the app's bindings see it, as they would from the tree.
            event.prevent_default()
            return
        await super()._on_key(event)


class BrowserScreen(QuizScreen[None]):
    ROUND_KEYS: ClassVar[frozenset[str]] = frozenset({"p"})
    AUTO_FOCUS = "#b-filter"
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
        self.statuses: Mapping[str, str] = {}

    def compose(self) -> ComposeResult:
        yield QuizHeader()
        with Horizontal(id="browser"):
            with Vertical(id="b-left"):
                yield FilterBox(
                    placeholder="type to filter: words, due, failed, new", id="b-filter"
                )
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
        if self.quiz.user:
            self.load_statuses(self.quiz.user)

    @work(thread=True, exclusive=True, group="statuses")
    def load_statuses(self, user: str) -> None:
        try:
            statuses = self.quiz.service.question_statuses(user)
        except Exception:  # statuses are a help; the browser works without them
            return
        self.post_message(StatusesLoaded({k: str(v) for k, v in statuses.items()}))

    @on(StatusesLoaded)
    def _statuses(self, message: StatusesLoaded) -> None:
        self.statuses = message.statuses
        self.fill(self.query_one("#b-filter", Input).value)

    def on_key(self, event: events.Key) -> None:
        """Typing goes to the filter, wherever the focus is (the tree's keys excepted)."""
        box = self.query_one("#b-filter", Input)
        if box.has_focus or not event.is_printable or event.character is None:
            return
        if event.character in ("p", "s"):  # practise it, new seed: the tree's own keys
            return
        event.stop()
        event.prevent_default()
        box.focus()
        box.insert_text_at_cursor(event.character)

    def fill(self, needle: str) -> None:
        tree: Tree[NodeData] = self.query_one(Tree)
        bank = self.quiz.service.bank
        tree.clear()
        tree.root.expand()
        by_topic: dict[str, dict[str, list[Question]]] = {}
        for q in bank.questions.values():
            if matches(q, needle, self.statuses.get(q.id, "")):
                by_topic.setdefault(q.topic, {}).setdefault(q.kind.value, []).append(q)
        for topic in sorted(by_topic):
            kinds = by_topic[topic]
            count = sum(len(v) for v in kinds.values())
            topic_node = tree.root.add(f"{topic} ({count})", expand=True)
            for kind in sorted(kinds):
                kind_node = topic_node.add(f"{kind} ({len(kinds[kind])})", expand=bool(needle))
                for q in sorted(kinds[kind], key=lambda q: q.id):
                    kind_node.add_leaf(self._label(q), data=q)
        if not by_topic:
            tree.root.add_leaf("no questions match" if needle else "the bank is empty")
        if bank.problems:
            probs = tree.root.add(
                Text(f"⚠ problems ({len(bank.problems)})", style="bold red"), expand=not by_topic
            )
            for p in bank.problems:
                label = p.question_id or p.location() or "bank"
                probs.add_leaf(Text(label, style="red"), data=p)

    def _label(self, q: Question) -> Text:
        status = self.statuses.get(q.id, "")
        label = Text()
        if status:
            label.append(f"{status:<8} ", style=STATUS_STYLE.get(status, ""))
        label.append(q.display_title)
        return label

    @on(Input.Changed, "#b-filter")
    def filtered(self, event: Input.Changed) -> None:
        self.fill(event.value)

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
            status = self.statuses.get(data.id, "new")
            where = Text(
                f"{status} · {data.location()}  ·  p: practise it  ·  s: new seed", style="dim"
            )
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

    def opens_round(self, key: str) -> bool:
        """`p` opens a question only when one is highlighted (else it just says so, and the
        keys after it must not wait for a question that never comes)."""
        return key in self.ROUND_KEYS and self.under_cursor() is not None

    def under_cursor(self) -> Question | None:
        """The question the tree's cursor is on now. Not `selected`, which follows the tree's
        highlight messages: keys typed fast run before those arrive."""
        node = self.query_one(Tree).cursor_node
        return node.data if node is not None and isinstance(node.data, Question) else None

    def action_practise(self) -> None:
        question = self.under_cursor()
        if question is None:
            self.notify("Highlight a question first.")
            return
        self.post_message(PractiseQuestion(question.id, self.seed))

    def action_back(self) -> None:
        if self.query_one("#b-filter", Input).has_focus:
            self.query_one(Tree).focus()
        else:
            self.app.pop_screen()
