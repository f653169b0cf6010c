"""The engine factory: SQLite settings, UTC datetimes, and clear errors for bad URLs and files
(which are never overwritten)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, text

from quizapp.store import StoreError, make_engine, open_store
from quizapp.store.models import Attempt
from quizapp.store.repository import sum_int
from quizapp.store.types import UTCDateTime


def test_sqlite_connections_are_configured(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    store.close()


def test_sqlite_transactions_take_the_write_lock_at_begin(sqlite_url: str) -> None:
    """BEGIN IMMEDIATE: a second writer waits for the lock at BEGIN instead of failing later."""
    store = open_store(sqlite_url)
    with store.engine.connect() as first:
        first.exec_driver_sql("SELECT 1")  # autobegin -> BEGIN IMMEDIATE: holds the write lock
        import sqlite3

        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        first.rollback()
    store.close()


def test_datetimes_come_back_aware_utc(db_url: str) -> None:
    engine = make_engine(db_url)
    meta = MetaData()
    table = Table("t", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    meta.create_all(engine)
    plus_two = datetime(2026, 1, 2, 5, 6, 7, 891011, tzinfo=timezone(timedelta(hours=2)))
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": plus_two}])
        back = conn.execute(select(table.c.at)).scalar_one()
    assert back == plus_two
    assert back.tzinfo is UTC
    assert back.hour == 3
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as conn:
        conn.execute(insert(table), [{"id": 2, "at": datetime(2026, 1, 2)}])
    engine.dispose()


def test_boolean_sums_work_on_every_backend(store: object) -> None:
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        total = conn.execute(select(sum_int(Attempt.correct), func.count())).one()
    assert tuple(total) == (0, 0)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://me@host/db", "unsupported database 'mysql'"),
        ("nosuchdriver://x", "unsupported database|not a database URL|cannot use"),
        ("postgresql+nosuchdbapi://u@h/db", "cannot use the database"),
        ("sqlite:////no/such/folder/q.db", "folder /no/such/folder .* does not exist"),
        ("sqlite+nosuchdriver:///x.db", "cannot use the database"),
    ],
)
def test_bad_urls_get_clear_errors(url: str, fragment: str) -> None:
    with pytest.raises(StoreError, match=fragment) as info:
        open_store(url)
    assert "--db" in str(info.value) or "QUIZAPP_DB" in str(info.value)


def test_unreachable_postgres_names_the_url_without_password() -> None:
    url = "postgresql+psycopg://me:secret@127.0.0.1:1/quizapp?connect_timeout=2"
    with pytest.raises(StoreError) as info:
        open_store(url)
    message = str(info.value)
    assert "127.0.0.1:1/quizapp" in message
    assert "secret" not in message


def _unchanged(path: Path, content: bytes) -> None:
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.parametrize(
    "content",
    [
        b"this is my thesis, not a database\n" * 50,
        b"SQLite format 3\x00" + b"\xff" * 4000,  # right header, garbage after
        b"\x00" * 8192,
    ],
    ids=["text", "garbage-after-header", "zeros"],
)
def test_corrupt_database_file_is_refused_and_never_overwritten(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "quizapp.sqlite3"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="left untouched") as info:
        open_store(str(path))
    assert str(path) in str(info.value)
    _unchanged(path, content)


def test_directory_as_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        open_store(str(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_database_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "quizapp.sqlite3"
    open_store(str(path)).close()
    path.chmod(0)
    try:
        with pytest.raises(StoreError, match="cannot read"):
            open_store(str(path))
    finally:
        path.chmod(0o600)


def test_store_rolls_back_a_failed_transaction(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    with pytest.raises(RuntimeError), store.session() as s:
        s.execute(
            text("INSERT INTO users (name, created_at, new_per_day) VALUES ('x', '2026-01-01', 1)")
        )
        raise RuntimeError("boom")
    with store.session() as s:
        assert s.execute(text("SELECT count(*) FROM users")).scalar() == 0
    store.close()
