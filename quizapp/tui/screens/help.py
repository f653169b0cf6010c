"""Keys and how the app works."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# quizapp — help

Practise PyTorch interview questions. Every answer is checked by running real PyTorch code,
and saved the moment it is checked.

| Where | Key | What |
|---|---|---|
| anywhere | `ctrl+p` | command palette: every action, every question, themes |
| anywhere | `f1` | this help |
| anywhere | `ctrl+q` | quit (nothing answered is lost) |
| anywhere | `f5` | restart the sandboxed runner (when it has failed) |
| home | `r` `l` `d` `m` | review due · learn new · drill a topic · mock interview |
| home | `s` `b` `u` `,` | statistics · browse the bank · switch profile · settings |
| home | `p` | scratchpad: run any PyTorch snippet, see its trace, graph and modes |
| question | `Enter` / `ctrl+s` | submit (Enter for one-line answers, ctrl+s in editors) |
| question | `a`–`h`, `Enter` | pick an option, then confirm it (choice questions) |
| code | `ctrl+r` | run your code and the check (records nothing, as often as you like) |
| code | `ctrl+a` `ctrl+e` | select all · edit the answer in `$EDITOR` |
| question | `ctrl+t` | reveal the next hint (not in mock interviews) |
| question | `Esc` | cancel a running check; otherwise back home |
| result | `n` / `Enter` | next question |
| result | `1`–`4` | change the rating (Again, Hard, Good, Easy) before moving on |
| result | `t` `v` | try a failed code question again (code kept) · show the solution |
| result | `w` | Why? — rerun the question with instruments |
| scratchpad | `ctrl+r` / `ctrl+s` | run the snippet in the sandbox (5 s limit) |
| scratchpad | `ctrl+o` | between the code and the results (arrows, PgUp/PgDn scroll) |
| scratchpad | `Esc` | cancel a running snippet; otherwise back (the code stays) |
| browser | `ctrl+f` `p` `s` | filter · practise the highlighted question · new seed |

**Recall questions**: write your answer, submit; the key points appear; tick the ones you
covered (space) and submit again.

**Mock interview**: mixed questions against a clock, no hints, a summary at the end.

The header shows the profile and the runner: *warming up* while PyTorch loads in the background,
*ready on cpu* (or cuda/mps) when checks can run.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss(None)", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Markdown(HELP)
