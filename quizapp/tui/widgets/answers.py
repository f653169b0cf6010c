"""Answer widgets, one per kind of question. Each reads what the user typed; none grades.

Every widget offers `answer_text()` (and the recall widget `ticked()`); the question screen
asks for a submit, and the widget says whether it is ready (recall reveals its key points first).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Markdown, OptionList, SelectionList, TextArea
from textual.widgets.option_list import Option

from quizapp.tui.ports import ShownQuestionLike

PLACEHOLDERS = {
    "shape": "e.g. (16, 64) — () for a scalar",
    "value": "e.g. 6.0, [[1, 2], [3, 4]], True",
    "choice": "",
    "output": "what it prints",
}


# Keys the question screen acts on, taken by the answer widget in the order they were typed
# (with the answer as it was at that key): a binding would run only after the keys already
# queued behind it, so `answer, ctrl+s, more` used to submit `answer more`.
SCREEN_KEYS = {"ctrl+s": "submit", "ctrl+r": "run"}


class AnswerKey(Message):
    """ctrl+s / ctrl+r pressed in an answer widget, with the answer at that moment."""

    def __init__(self, action: str, answer: str) -> None:
        super().__init__()
        self.action = action
        self.answer = answer


async def keys_in_order(widget: Widget, event: events.Key, answer: str) -> bool:
    """Runs the widget's own binding for this key now, in typing order (True: handled).

    Textual checks a non-priority binding only when the key bubbles up, after every key already
    queued in the widget: typed fast (tmux, a paste), `ctrl+a` then text selected all *after*
    the text, and backspace deleted the wrong character. Running them here keeps the order."""
    action = SCREEN_KEYS.get(event.key)
    if action is not None:
        event.stop()
        event.prevent_default()
        widget.post_message(AnswerKey(action, answer))
        return True
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority:
            event.stop()
            event.prevent_default()
            await widget.run_action(binding.action)
            return True
    return False


def python_highlighting() -> str | None:
    """'python' when TextArea can highlight it (tree-sitter installed), else None."""
    try:
        from textual._tree_sitter import get_language
    except ImportError:
        return None
    return "python" if get_language("python") is not None else None


class LineAnswer(Input):
    """Shape and value answers: one line, Enter submits."""

    async def _on_key(self, event: events.Key) -> None:
        if not await keys_in_order(self, event, self.value):
            await super()._on_key(event)

    def answer_text(self) -> str:
        return self.value


class InOrderTextArea(TextArea):
    """A TextArea whose keys act in the order they were typed (see keys_in_order)."""

    async def _on_key(self, event: events.Key) -> None:
        if not await keys_in_order(self, event, self.text):
            await super()._on_key(event)


class OutputAnswer(InOrderTextArea):
    """Output answers: the printed text, which may span lines. ctrl+s submits."""

    def answer_text(self) -> str:
        return self.text


def indentation_after(line_before_cursor: str, indent_width: int = 4) -> str:
    """The indentation a new line gets after Enter: the line's own, one level deeper after a
    line ending in `:` (a comment after it ignored)."""
    own = line_before_cursor[: len(line_before_cursor) - len(line_before_cursor.lstrip())]
    code = line_before_cursor.split("#", 1)[0].rstrip()
    return own + " " * indent_width if code.endswith(":") else own


class CodeAnswer(TextArea):
    """Code answers: a Python editor seeded with the starter. Enter keeps the indentation (one
    level deeper after a `:`), ctrl+a selects all, ctrl+e opens the answer in $EDITOR; ctrl+r
    runs and ctrl+s submits (the question screen's keys)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+a", "select_all", "Select all", show=False),
        Binding("ctrl+e", "open_in_editor", "$EDITOR", show=False),
    ]

    class OpenInEditor(Message):
        """ctrl+e: the screen suspends the app and opens $EDITOR on the answer."""

    def action_open_in_editor(self) -> None:
        self.post_message(self.OpenInEditor())

    async def _on_key(self, event: events.Key) -> None:
        if await keys_in_order(self, event, self.text):
            return
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            row, column = self.cursor_location
            before = self.document[row][:column]
            start, end = self.selection
            self._replace_via_keyboard(
                "\n" + indentation_after(before, self.indent_width), start, end
            )
            return
        await super()._on_key(event)

    def answer_text(self) -> str:
        return self.text


class ChoiceAnswer(OptionList):
    """Choice answers: the options under their letters; a letter (or the arrows) selects one,
    Enter confirms it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(letter.lower(), f"pick('{letter}')", show=False) for letter in "ABCDEFGH"
    ]

    def __init__(self, options: tuple[tuple[str, str], ...], **kwargs: object) -> None:
        self.letters = [letter for letter, _ in options]
        super().__init__(
            *(Option(f"{letter}) {text}", id=letter) for letter, text in options),
            **kwargs,  # type: ignore[arg-type]
        )

    def action_pick(self, letter: str) -> None:
        """A letter selects its option; Enter then confirms it (no submit on a slip)."""
        if letter in self.letters:
            self.highlighted = self.letters.index(letter)

    def answer_text(self) -> str:
        if self.highlighted is None:
            return ""
        return self.letters[self.highlighted]


class RecallAnswer(Vertical):
    """Recall answers: free text first; then the key points appear and the user ticks them."""

    def __init__(self, key_points: tuple[str, ...], model_answer: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.key_points = key_points
        self.model_answer = model_answer
        self.revealed = False

    def compose(self) -> ComposeResult:
        yield InOrderTextArea(id="recall-text", soft_wrap=True)
        with Vertical(id="recall-points", classes="hidden"):
            yield Label("Tick the key points your answer covered (space), then ctrl+s:")
            yield SelectionList[int](
                *((point, i) for i, point in enumerate(self.key_points)), id="recall-ticks"
            )
            if self.model_answer:
                yield Markdown(f"**A model answer:** {self.model_answer}", id="recall-model")

    def reveal(self) -> None:
        self.revealed = True
        self.query_one("#recall-points").remove_class("hidden")
        self.query_one("#recall-text", TextArea).read_only = True
        self.query_one("#recall-ticks", SelectionList).focus()

    def answer_text(self) -> str:
        return self.query_one("#recall-text", TextArea).text

    def ticked(self) -> list[int]:
        return sorted(self.query_one("#recall-ticks", SelectionList).selected)

    def focus_input(self) -> None:
        self.query_one("#recall-text", TextArea).focus()


AnswerWidget = LineAnswer | OutputAnswer | CodeAnswer | ChoiceAnswer | RecallAnswer


def make_answer(shown: ShownQuestionLike) -> AnswerWidget:
    kind = shown.question.kind.value
    if kind == "choice":
        return ChoiceAnswer(shown.options, id="answer")
    if kind == "code":
        return CodeAnswer.code_editor(
            shown.starter, language=python_highlighting(), id="answer", theme="monokai"
        )  # type: ignore[return-value]
    if kind == "output":
        return OutputAnswer(id="answer", soft_wrap=False, placeholder=PLACEHOLDERS["output"])
    if kind == "recall":
        q = shown.question
        return RecallAnswer(q.key_points or (), q.model_answer or "", id="answer")
    return LineAnswer(placeholder=PLACEHOLDERS.get(kind, ""), id="answer")
