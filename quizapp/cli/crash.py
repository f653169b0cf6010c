"""The last resort for a bug: a short message and a report file, never a bare traceback.

Everything a user can cause has its own message; an exception that reaches here is a defect
in quizapp. Progress is never at stake (each answer is committed when it is graded), so the
job is to say what happened and keep the details for a bug report.
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

from quizapp import __version__
from quizapp.config import data_dir

ENV_DEBUG = "QUIZAPP_DEBUG"
EXIT_INTERNAL = 70  # EX_SOFTWARE


def report_crash(exc: BaseException, argv: list[str]) -> int:
    """Writes the traceback to a report file, prints where it is, returns the exit status."""
    details = "".join(traceback.format_exception(exc))
    summary = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    path = _write_report(details, argv)
    click.echo(f"quizapp hit an internal error: {summary}", err=True)
    if path is not None:
        click.echo(f"The full report is in {path}; please attach it to a bug report.", err=True)
    else:  # nowhere to write it: the details go to the terminal after all
        click.echo(details, err=True)
    click.echo(f"(Set {ENV_DEBUG}=1 to see the traceback here.)", err=True)
    return EXIT_INTERNAL


def _write_report(details: str, argv: list[str]) -> Path | None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = data_dir() / "crash-reports"
    path = folder / f"crash-{stamp}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        header = (
            f"quizapp {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n"
            f"command: quizapp {' '.join(argv)}\n\n"
        )
        path.write_text(header + details, encoding="utf-8")
    except OSError:
        return None
    return path


def debugging() -> bool:
    return os.environ.get(ENV_DEBUG, "") not in ("", "0")
