"""Options shared by several commands, so each is spelled and documented once."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

bank_option = click.option(
    "--bank",
    "banks",
    multiple=True,
    type=click.Path(file_okay=False, path_type=str),
    metavar="DIR",
    help="A question bank folder (repeatable); replaces the bundled bank. Env: QUIZAPP_BANK.",
)
db_option = click.option(
    "--db",
    "db",
    default=None,
    metavar="URL",
    help="Database URL or SQLite file path. Env: QUIZAPP_DB. Default: SQLite in your data dir.",
)
device_option = click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda", "mps"]),
    default="auto",
    show_default=True,
    help="Where PyTorch code runs.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
watch_option = click.option(
    "--watch", is_flag=True, help="Author mode: reload changed YAML files while the app runs."
)
user_option = click.option("--user", "user", default=None, metavar="NAME", help="Profile name.")


def device_arg(value: str | None) -> str | None:
    return None if value in (None, "auto") else value


_NEGATIVE_NUMBER = re.compile(r"-(\d|\.\d|inf\b)", re.IGNORECASE)


class AnswerCommand(click.Command):
    """A command whose arguments may be negative numbers: `quizapp check ID -4.0`.

    Click reads `-4.0` as an unknown option. Such tokens (when not an option's value) are moved
    behind a `--`, where Click takes them as arguments in the same order; a misspelt option
    still gets Click's "No such option" message.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            return super().parse_args(ctx, args)
        takes_value = {
            name
            for param in self.params
            if isinstance(param, click.Option) and not param.is_flag
            for name in param.opts
        }
        kept: list[str] = []
        numbers: list[str] = []
        for token in args:
            after_option = bool(kept) and kept[-1] in takes_value
            if _NEGATIVE_NUMBER.match(token) and not after_option:
                numbers.append(token)
            else:
                kept.append(token)
        return super().parse_args(ctx, [*kept, "--", *numbers] if numbers else kept)
