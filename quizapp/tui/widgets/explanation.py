"""Explain-by-running, displayed: the Why? panel's and the scratchpad's titled sections.

`explanation_sections` turns a `quizapp.explain.Explanation` into titled rich renderables (the
trace table, the graph tree, the modes table, what the code printed, its error); call it in the
worker, as it imports the renderers. `ExplanationView` shows them, one fixed slot per section so
tests and CSS can find each by id (`{prefix}-trace`, `{prefix}-graph`, `{prefix}-modes`...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

if TYPE_CHECKING:
    from quizapp.explain import Explanation

# (key, title); the error's title is the caller's ("It raised", "The run failed"...)
SECTIONS: tuple[tuple[str, str], ...] = (
    ("error", ""),
    ("output", "Printed"),
    ("trace", "Forward trace · one row per module call"),
    ("graph", "Autograd graph · from the tensor back to its leaves"),
    ("modes", "Modes · the same forward in train / eval, with and without no_grad"),
    ("notes", "Notes"),
)
NO_MODES = (
    "No train/eval comparison: the model has no Dropout or BatchNorm layer, so train and eval "
    "give the same output."
)


@dataclass(frozen=True)
class Section:
    key: str  # one of SECTIONS' keys
    title: str
    body: RenderableType


def explanation_sections(explanation: Explanation, *, error_title: str) -> list[Section]:
    """The sections an explanation has, in display order; [] when it has nothing at all."""
    from quizapp.explain import TraceResult, render_graph, render_modes, render_trace

    titles = dict(SECTIONS)
    out: list[Section] = []
    if explanation.run_error is not None:
        out.append(Section("error", error_title, Text(explanation.run_error, style="bold red")))
    if explanation.stdout:
        out.append(Section("output", titles["output"], Text(explanation.stdout.rstrip("\n"))))
    if explanation.trace is not None:
        out.append(Section("trace", titles["trace"], render_trace(explanation.trace)))
    if explanation.graph is not None:
        out.append(Section("graph", titles["graph"], render_graph(explanation.graph)))
    if explanation.modes is not None:
        out.append(Section("modes", titles["modes"], render_modes(explanation.modes)))
    notes = list(explanation.notes)
    if isinstance(explanation.trace, TraceResult) and explanation.modes is None:
        notes.append(NO_MODES)
    if notes:
        body = Group(*(Text(f"• {note}", style="italic") for note in notes))
        out.append(Section("notes", titles["notes"], body))
    return out


class ExplanationView(Vertical):
    """A message line, then one titled slot per section; only what was given is shown."""

    def __init__(self, prefix: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.prefix = prefix
        self.shown_keys: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("", id=f"{self.prefix}-message", classes="x-message hidden")
        for key, title in SECTIONS:
            yield Static(title, id=f"{self.prefix}-{key}-title", classes="section-title hidden")
            yield Static("", id=f"{self.prefix}-{key}", classes=f"x-body x-{key} hidden")

    def show_sections(self, sections: Sequence[Section]) -> None:
        given = {s.key: s for s in sections}
        for key, _ in SECTIONS:
            section = given.get(key)
            title = self.query_one(f"#{self.prefix}-{key}-title", Static)
            body = self.query_one(f"#{self.prefix}-{key}", Static)
            title.set_class(section is None, "hidden")
            body.set_class(section is None, "hidden")
            if section is not None:
                title.update(section.title)
                body.update(section.body)
            else:
                body.update("")
        self.shown_keys = tuple(s.key for s in sections)

    def show_message(self, message: str, *, error: bool = False) -> None:
        line = self.query_one(f"#{self.prefix}-message", Static)
        line.update(Text(message, style="bold red" if error else ""))
        line.set_class(not message, "hidden")

    def clear(self) -> None:
        self.show_sections(())
        self.show_message("")
