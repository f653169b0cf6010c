"""Schema upgrades at start: back up, then upgrade to head, programmatically (no alembic.ini).

A database from a newer quizapp (a revision this version does not know) is refused with a clear
message and left untouched. So is a SQLite file that has tables but no quizapp schema version.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from quizapp import __version__
from quizapp.store.engine import Store, connect_error, display_url, make_engine, sqlite_path
from quizapp.store.errors import DatabaseTooNew, StoreError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {script.revision for script in script_directory().walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@dataclass(frozen=True)
class UpgradeReport:
    from_revision: str | None
    to_revision: str
    backup: Path | None  # the copy made before upgrading (SQLite files only)

    @property
    def upgraded(self) -> bool:
        return self.from_revision != self.to_revision


def backup_sqlite(path: Path, revision: str, *, now: datetime | None = None) -> Path:
    """Copy a SQLite database aside with the online backup API (consistent under WAL)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-{revision}-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.bak-{revision}-{stamp}-{n}")
        n += 1
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def upgrade_to_head(engine: Engine, *, backup: bool = True) -> UpgradeReport:
    """Bring the database to the newest schema, backing a SQLite file up first."""
    head = head_revision()
    where = display_url(engine.url)
    try:
        current = current_revision(engine)
        if current is None:
            tables = set(inspect(engine).get_table_names())
            if tables:
                names = ", ".join(sorted(tables)[:5])
                raise StoreError(
                    f"{where} is not a quizapp database (it has tables {names} "
                    "but no quizapp schema version); it was left untouched. Pass another --db"
                )
    except SQLAlchemyError as error:
        raise connect_error(engine.url, error) from None
    if current == head:
        return UpgradeReport(current, head, None)
    if current is not None and current not in known_revisions():
        raise DatabaseTooNew(
            f"{where} was written by a newer quizapp (schema revision {current!r}; this is "
            f"quizapp {__version__}, whose newest is {head!r}). It was left untouched: upgrade "
            "quizapp (pip install -U quizapp) or pass another --db"
        )
    backup_path = None
    path = sqlite_path(engine.url)
    if backup and current is not None and path is not None and path.exists():
        try:
            backup_path = backup_sqlite(path, current)
        except (OSError, sqlite3.Error) as error:
            raise StoreError(
                f"could not back up {path} before upgrading its schema ({error}); nothing was "
                "changed. Free some disk space or fix the folder's permissions and retry"
            ) from None
    config = alembic_config()
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
    except (SQLAlchemyError, RuntimeError) as error:
        opened = connect_error(engine.url, error)
        if "locked" in str(opened):
            raise opened from None
        kept = f"; a copy from before is at {backup_path}" if backup_path else ""
        raise StoreError(
            f"upgrading the schema of {where} from {current or 'empty'} to {head} failed "
            f"({getattr(error, 'orig', None) or error}); the upgrade was rolled back{kept}. "
            "Please report this at the quizapp issue tracker"
        ) from None
    return UpgradeReport(current, head, backup_path)


def open_store(url: str | None = None, *, migrate: bool = True, backup: bool = True) -> Store:
    """Open (creating or upgrading as needed) the progress database at `url`.

    `url` None means `QUIZAPP_DB` or the platform default (quizapp.config.resolve_db_url).
    Raises StoreError with a message a user can act on.
    """
    from quizapp.config import default_db_url, resolve_db_url

    resolved = resolve_db_url(url)
    engine = make_engine(resolved, create_parent=resolved == default_db_url())
    try:
        if migrate:
            upgrade_to_head(engine, backup=backup)
        else:
            with engine.connect():
                pass
    except SQLAlchemyError as error:
        engine.dispose()
        raise connect_error(resolved, error) from None
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
