"""A defect reaching the top of the CLI becomes a message and a report file, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import quizapp.cli as cli_module


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the grader fell over")


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("QUIZAPP_DEBUG", raising=False)
    monkeypatch.setattr(cli_module, "cli", _boom)
    monkeypatch.setattr("sys.argv", ["quizapp", "check", "shapes.x", "16x64"])
    return tmp_path


def test_an_internal_error_is_reported_briefly_with_a_report_file(
    data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 70
    err = capsys.readouterr().err
    assert "quizapp hit an internal error: RuntimeError: the grader fell over" in err
    assert "Traceback" not in err
    (report,) = (data_home / "quizapp" / "crash-reports").glob("crash-*.txt")
    assert str(report) in err
    text = report.read_text()
    assert "command: quizapp check shapes.x 16x64" in text
    assert "Traceback" in text and "the grader fell over" in text


def test_debug_mode_shows_the_traceback(data_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIZAPP_DEBUG", "1")
    with pytest.raises(RuntimeError, match="the grader fell over"):
        cli_module.main()


def test_with_nowhere_to_write_the_details_go_to_the_terminal(
    data_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_home / "quizapp").write_text("a file where the folder should be")
    with pytest.raises(SystemExit):
        cli_module.main()
    err = capsys.readouterr().err
    assert "internal error" in err and "Traceback" in err
