"""Databases for store tests: every test runs on SQLite and, when QUIZAPP_TEST_PG_URL points at a
reachable server, on PostgreSQL too (a fresh database per test, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from quizapp.store import Store, make_engine, open_store
from quizapp.store.migrate import alembic_config as make_alembic_config

PG_ENV = "QUIZAPP_TEST_PG_URL"


def _pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV} (run `bash .ci/postgres.sh`, then source .ci/pg.env)"
        )
    return url


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL at {make_url(url).render_as_string()} is unreachable: {error}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for an empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'quizapp.sqlite3'}"
        return
    admin_url = _pg_admin_url()
    name = f"quizapp_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_connect(admin_url)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as opened:
        yield opened


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'quizapp.sqlite3'}"


# pytest-alembic's built-in tests (imported in test_store_migrations.py) use these.
@pytest.fixture
def alembic_config():  # type: ignore[no-untyped-def]
    return make_alembic_config()


@pytest.fixture
def alembic_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
