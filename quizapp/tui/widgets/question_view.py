"""A question as the user reads it: title line, prompt (Markdown), setup code, revealed hints."""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static

from quizapp.tui.ports import ShownQuestionLike


def setup_syntax(code: str) -> Syntax:
    return Syntax(code, "python", theme="monokai", line_numbers=False, word_wrap=True)


def title_line(shown: ShownQuestionLike, extra: str = "") -> Text:
    q = shown.question
    text = Text()
    text.append(q.display_title, style="bold")
    text.append(f"  {q.topic} · {q.kind.value} · {q.difficulty.value}", style="dim")
    if q.has_params:
        text.append(f" · seed {shown.seed}", style="dim")
    if extra:
        text.append(f"  {extra}", style="bold cyan")
    return text


class QuestionView(Vertical):
    """Pure display; `show_hint(n)` reveals the first n hints."""

    def __init__(
        self,
        shown: ShownQuestionLike,
        *,
        extra: str = "",
        with_options: bool = False,
        with_title: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shown = shown
        self.extra = extra
        self.with_title = with_title  # the question screen docks its title line instead
        self.with_options = with_options  # a preview lists them; a question offers them to pick

    def compose(self) -> ComposeResult:
        if self.with_title:
            yield Static(title_line(self.shown, self.extra), id="q-title")
        yield Markdown(self.shown.prompt, id="q-prompt")
        if self.shown.setup_code:
            yield Static(setup_syntax(self.shown.setup_code), id="q-setup")
        if self.with_options and self.shown.options:
            lines = "\n".join(f"{letter}) {text}" for letter, text in self.shown.options)
            yield Static(Text(lines), id="q-options")
        yield Static("", id="q-hints", classes="hidden")

    def show_hints(self, count: int) -> None:
        hints = self.shown.hints[:count]
        box = self.query_one("#q-hints", Static)
        text = Text()
        for i, hint in enumerate(hints, 1):
            if i > 1:
                text.append("\n")
            text.append(f"Hint {i}/{len(self.shown.hints)}: ", style="bold yellow")
            text.append(hint)
        box.update(text)
        box.set_class(not hints, "hidden")
