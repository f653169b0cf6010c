"""Options shared by several commands, so each is spelled and documented once."""

from __future__ import annotations

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
