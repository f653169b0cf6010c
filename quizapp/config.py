"""Where things live: the database, the bundled bank, extra banks. Stdlib and platformdirs only."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

APP_NAME = "quizapp"
ENV_DB = "QUIZAPP_DB"
ENV_BANK = "QUIZAPP_BANK"
ENV_DEVICE = "QUIZAPP_DEVICE"


def bundled_bank_dir() -> Path:
    """The bundled bank: `questions/` in a checkout, `quizapp/questions` inside a wheel."""
    packaged = Path(__file__).parent / "questions"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "questions"


def data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'quizapp.sqlite3'}"


def resolve_db_url(cli_value: str | None = None) -> str:
    """`--db` beats `QUIZAPP_DB` beats the platform default. A bare path means SQLite."""
    raw = cli_value or os.environ.get(ENV_DB) or default_db_url()
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    return raw


def resolve_bank_dirs(cli_values: tuple[str, ...] | list[str] = ()) -> list[Path]:
    """Banks to load, in order.

    `--bank DIR` (repeatable) replaces the bundled bank. `QUIZAPP_BANK` is a path list
    (os.pathsep-separated); an entry starting with `+` adds to the bundled bank instead of
    replacing it, e.g. `QUIZAPP_BANK=+~/my-questions`.
    """
    if cli_values:
        return [Path(v).expanduser() for v in cli_values]
    env = os.environ.get(ENV_BANK, "").strip()
    if not env:
        return [bundled_bank_dir()]
    entries = [e for e in env.split(os.pathsep) if e.strip()]
    additive = all(e.startswith("+") for e in entries)
    dirs = [Path(e.lstrip("+")).expanduser() for e in entries]
    return [bundled_bank_dir(), *dirs] if additive else dirs


@dataclass(frozen=True)
class Settings:
    """Everything a front end decides before building the service."""

    db_url: str = field(default_factory=default_db_url)
    bank_dirs: tuple[Path, ...] = field(default_factory=lambda: (bundled_bank_dir(),))
    device: str | None = None  # None: auto (cuda, then mps, then cpu)
