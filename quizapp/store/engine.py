"""Opening a database: URL checks, the engine factory (SQLite pragmas, BEGIN IMMEDIATE) and
`Store`, which holds the engine and hands out sessions."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from quizapp.store.errors import StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 5.0
READ_ONLY = "quizapp_read_only"
URL_HELP = (
    "use a SQLite file path, sqlite:///PATH, or postgresql+psycopg://USER@HOST/DB "
    "(via --db or QUIZAPP_DB)"
)


def display_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return str(url)


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise StoreError(f"not a database URL: {url!r} ({error}); {URL_HELP}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver quizapp installs; plain postgresql:// would mean psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in {display_url(parsed)}; "
            f"{URL_HELP}"
        )
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def check_sqlite_file(path: Path, *, create_parent: bool) -> None:
    """Refuse, with a clear message, a path that is not (or cannot become) a SQLite database.

    The file is only ever read here: a foreign or damaged file is left exactly as it was.
    """
    if path.is_dir():
        raise StoreError(f"database path {path} is a directory; pass a file path with --db")
    if path.exists():
        try:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_MAGIC))
        except OSError as error:
            raise StoreError(
                f"cannot read the database file {path}: {error.strerror}; "
                "check its permissions or pass another file with --db"
            ) from None
        if header and header != SQLITE_MAGIC:
            raise StoreError(
                f"{path} is not a SQLite database (or it is damaged); it was left untouched. "
                "Move it aside or pass another file with --db"
            )
        if not os.access(path, os.W_OK):
            raise StoreError(
                f"the database file {path} is read-only; fix its permissions or pass another "
                "file with --db"
            )
        return
    parent = path.parent
    if not parent.exists():
        if not create_parent:
            raise StoreError(
                f"the folder {parent} for the database {path.name} does not exist; create it "
                "or pass another path with --db"
            )
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the data folder {parent}: {error.strerror}") from None


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # isolation_level=None stops the sqlite3 module from issuing its own (deferred) BEGINs;
    # the "begin" event below issues BEGIN IMMEDIATE instead, so two writers queue on the
    # lock rather than losing read-then-write updates or failing with "database is locked".
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        # 32 MiB of page cache (default 2 MiB): a year of stats reads a few MB of index.
        cursor.execute("PRAGMA cache_size = -32768")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Readers (Store.read) take no write lock: under WAL they never wait for a writer.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, *, create_parent: bool = False, echo: bool = False) -> Engine:
    """An engine for `url` with the settings every quizapp connection needs.

    SQLite: WAL, synchronous=NORMAL, foreign keys on, 5 s busy timeout, BEGIN IMMEDIATE.
    PostgreSQL (psycopg 3): a small pool with pre-ping.
    """
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            path = sqlite_path(parsed)
            if path is not None:
                check_sqlite_file(path, create_parent=create_parent)
            engine = create_engine(
                parsed,
                echo=echo,
                connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            )
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
        else:
            engine = create_engine(parsed, echo=echo, pool_pre_ping=True, pool_size=2)
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
        raise StoreError(
            f"cannot use the database {display_url(parsed)}: {error}; {URL_HELP}"
        ) from None
    return engine


def connect_error(url: str | URL, error: BaseException) -> StoreError:
    """A StoreError naming the URL for an error raised while connecting or querying."""
    orig = getattr(error, "orig", None) or error
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    where = display_url(url)
    if "file is not a database" in detail or "malformed" in detail:
        return StoreError(
            f"{where} is damaged or not a SQLite database ({detail}); it was left untouched. "
            "Restore a backup (quizapp.sqlite3.bak-*) or pass another file with --db"
        )
    if "database is locked" in detail:
        return StoreError(
            f"{where} is locked by another program for more than {BUSY_TIMEOUT_S:.0f} s; "
            "close other quizapp windows and retry"
        )
    return StoreError(f"cannot open the database {where}: {detail}; {URL_HELP}")


class Store:
    """The engine plus a session factory. Create with `quizapp.store.open_store`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return display_url(self.engine.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """A Core connection in a write transaction (BEGIN IMMEDIATE on SQLite), committed on
        success: the fast path for hot writes such as recording an answer."""
        with self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A Core connection for queries that write nothing (no write lock on SQLite)."""
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
