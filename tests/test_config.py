"""Where the app looks for its database and its banks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quizapp import config


def test_db_url_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(config.ENV_DB, raising=False)
    assert config.resolve_db_url().startswith("sqlite:///")
    assert config.resolve_db_url().endswith("quizapp.sqlite3")
    monkeypatch.setenv(config.ENV_DB, "postgresql+psycopg://u@h/db")
    assert config.resolve_db_url() == "postgresql+psycopg://u@h/db"
    assert config.resolve_db_url("sqlite:///x.db") == "sqlite:///x.db"  # --db beats the env


def test_a_bare_path_means_sqlite(tmp_path: Path) -> None:
    url = config.resolve_db_url(str(tmp_path / "p.sqlite3"))
    assert url == f"sqlite:///{tmp_path / 'p.sqlite3'}"


def test_bank_dirs_default_to_the_bundled_bank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.ENV_BANK, raising=False)
    dirs = config.resolve_bank_dirs()
    assert dirs == [config.bundled_bank_dir()]
    assert any(dirs[0].glob("*.yaml"))


def test_bank_flag_replaces_and_env_replaces_or_adds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert config.resolve_bank_dirs([str(a), str(b)]) == [a, b]
    monkeypatch.setenv(config.ENV_BANK, f"{a}{os.pathsep}{b}")
    assert config.resolve_bank_dirs() == [a, b]
    monkeypatch.setenv(config.ENV_BANK, f"+{a}")
    assert config.resolve_bank_dirs() == [config.bundled_bank_dir(), a]
    assert config.resolve_bank_dirs([str(b)]) == [b]  # --bank beats the env
