"""`quizapp run` (and `quizapp` alone): open the practice app.

Only Textual and the app are imported here; the service (bank, store) is built by the app in a
worker, so the first frame paints before the bank loads, and torch is never imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from quizapp.cli.options import (
    bank_option,
    db_option,
    device_arg,
    device_option,
    user_option,
    watch_option,
)

if TYPE_CHECKING:
    from quizapp.service import QuizService


@click.command("run")
@db_option
@bank_option
@device_option
@user_option
@watch_option
def run_cmd(
    db: str | None, banks: tuple[str, ...], device: str, user: str | None, watch: bool
) -> None:
    """Open the practice app."""
    from quizapp.config import Settings, resolve_bank_dirs, resolve_db_url

    settings = Settings(
        db_url=resolve_db_url(db),
        bank_dirs=tuple(Path(p) for p in resolve_bank_dirs(banks)),
        device=device_arg(device),
    )
    for folder in settings.bank_dirs:
        if not folder.is_dir():
            raise click.BadParameter(f"{folder} is not a folder", param_hint="--bank")

    def build_service() -> QuizService:
        from quizapp.service import QuizService

        return QuizService.create(settings)

    from quizapp.tui.app import create_app

    app = create_app(build_service, user=user, watch=watch)
    app.run()
