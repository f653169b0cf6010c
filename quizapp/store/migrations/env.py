"""Alembic environment for quizapp's progress database.

Runs from the repo (`alembic upgrade head` with alembic.ini at the root) and programmatically from
the installed package (quizapp.store.migrate passes a live connection in
`config.attributes["connection"]`). The database URL, when alembic is run by hand, comes from
`-x db=URL`, then `sqlalchemy.url` in alembic.ini, then QUIZAPP_DB / the platform default.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, Engine

from quizapp.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    from quizapp.config import resolve_db_url

    return (
        context.get_x_argument(as_dictionary=True).get("db")
        or config.get_main_option("sqlalchemy.url")
        or resolve_db_url()
    )


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
        # With BEGIN IMMEDIATE, SQLite's DDL is transactional: a failed upgrade changes nothing.
        transactional_ddl=True,
    )


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        # Batch mode drops and recreates tables. With foreign keys on, dropping `users` would
        # delete every attempt through ON DELETE actions (measured). The pragma only works
        # outside a transaction, so it goes straight to the DBAPI connection.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
    finally:
        if sqlite and not connection.in_transaction():
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    if isinstance(given, Engine):  # pytest-alembic passes an engine
        with given.connect() as conn:
            _run(conn)
            conn.commit()
        return
    from quizapp.store.engine import make_engine

    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
