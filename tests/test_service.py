"""The service composes the real layers: a fixture bank, a real runner, a SQLite file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizapp.config import Settings
from quizapp.grading.types import GradeStatus
from quizapp.runner import Runner
from quizapp.service import QuizService

FIXTURE_BANK = Path(__file__).parent / "fixtures" / "bank"


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    r = Runner(device="cpu")
    r.wait_ready(120)
    yield r
    r.close()


@pytest.fixture
def service(tmp_path: Path, runner: Runner) -> Iterator[QuizService]:
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'q.sqlite3'}", bank_dirs=(FIXTURE_BANK,))
    svc = QuizService.create(settings, runner=runner)
    svc.add_user("ada")
    yield svc
    svc.progress.close()  # the module's runner outlives each service


def test_create_does_not_import_torch(tmp_path: Path) -> None:
    # In a fresh interpreter: other tests in this process import torch on purpose.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from quizapp.config import Settings\n"
        "from quizapp.service import QuizService\n"
        f"s = Settings(db_url='sqlite:///{tmp_path}/t.sqlite3',\n"
        f"             bank_dirs=(Path('{FIXTURE_BANK}'),))\n"
        "svc = QuizService.create(s)\n"
        "svc.show('fixture.scaled-mean', 1)\n"
        "svc.add_user('x')\n"
        "svc.stats('x')\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_bank_loads_clean(service: QuizService) -> None:
    assert service.bank.problems == []
    assert "fixture.linear-shape" in service.bank.questions


def test_show_substitutes_params_and_letters_options(service: QuizService) -> None:
    shown = service.show("fixture.scaled-mean", 7)
    scale = shown.params["scale"]
    assert f"scale = {scale}" in shown.setup_code
    assert str(scale) in shown.prompt and "{{" not in shown.prompt
    choice = service.show("fixture.no-grad-choice", 3)
    assert [letter for letter, _ in choice.options] == ["A", "B", "C", "D"][: len(choice.options)]


def test_grade_record_and_stats_round_trip(service: QuizService) -> None:
    right = service.grade("fixture.square-grad", 1, "[2, 4, 6]")
    wrong = service.grade("fixture.square-grad", 1, "[1, 2, 3]")
    invalid = service.grade("fixture.square-grad", 1, "two four six")
    assert (right.status, wrong.status, invalid.status) == (
        GradeStatus.CORRECT,
        GradeStatus.INCORRECT,
        GradeStatus.INVALID,
    )
    session = service.start_session("ada", "learn")
    for result, answer in ((right, "[2, 4, 6]"), (wrong, "[1, 2, 3]"), (invalid, "two")):
        service.record(
            "ada", "fixture.square-grad", result, answer=answer, latency_s=3.0, session_id=session
        )
    service.end_session(session)
    stats = service.stats("ada")
    assert stats.totals.attempts == 2  # the invalid answer is not an attempt
    assert stats.totals.correct == 1


def test_next_questions_serves_new_questions_then_not_the_same_twice(
    service: QuizService,
) -> None:
    first = service.next_questions("ada", limit=3)
    assert len(first) == 3
    assert len({item.question_id for item in first}) == 3
    only_autograd = service.next_questions("ada", topic="autograd", limit=20)
    assert only_autograd
    assert {service.question(i.question_id).topic for i in only_autograd} == {"autograd"}


def test_code_question_through_the_service(service: QuizService) -> None:
    shown = service.show("fixture.write-relu", 0)
    failing = service.grade("fixture.write-relu", 0, shown.starter)
    assert failing.status is GradeStatus.INCORRECT
    solution = service.question("fixture.write-relu").solution
    assert solution is not None
    assert service.grade("fixture.write-relu", 0, solution).status is GradeStatus.CORRECT


def test_reload_bank_sees_a_new_file(service: QuizService, tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "x.yaml").write_text(
        "format: 1\ntopic: shapes\nquestions:\n"
        "  - id: extra.one\n    kind: shape\n    prompt: Shape?\n"
        "    setup: x = torch.zeros(2, 3)\n    answer: x.shape\n"
    )
    service._bank_dirs.append(extra)
    assert "extra.one" in service.reload_bank().questions
    assert service.grade("extra.one", 0, "2x3").correct


def test_runner_status_reports_ready_device(service: QuizService) -> None:
    status = service.runner_status()
    assert status.phase == "ready"
    assert status.label() == "ready on cpu"


def test_readiness_settings_pass_through_the_service(service: QuizService) -> None:
    from datetime import date

    saved = service.set_readiness("ada", interview=date(2027, 1, 15), target_retention=0.95)
    assert (saved.interview_date, saved.target_retention) == (date(2027, 1, 15), 0.95)
    assert service.readiness_settings("ada").interview_date == date(2027, 1, 15)
    trusted = service.trusted_stats("ada")
    assert trusted.readiness is not None
    assert trusted.readiness.interview_date == date(2027, 1, 15)
    assert trusted.readiness.questions == len(service.bank.questions)


def test_a_question_renamed_with_an_alias_keeps_its_progress(
    service: QuizService, tmp_path: Path
) -> None:
    extra = tmp_path / "renamed"
    extra.mkdir()
    yaml_of = (
        "format: 1\ntopic: shapes\nquestions:\n"
        "  - id: {qid}\n    kind: shape\n    prompt: Shape?\n{aliases}"
        "    setup: x = torch.zeros(2, 3)\n    answer: x.shape\n"
    ).format
    (extra / "x.yaml").write_text(yaml_of(qid="extra.names-the-answer", aliases=""))
    service._bank_dirs.append(extra)
    service.reload_bank()
    for answer in ("2x3", "3x2"):
        result = service.grade("extra.names-the-answer", 0, answer)
        service.record("ada", "extra.names-the-answer", result, answer=answer, latency_s=2.0)
    # The author renames it and records the old id; the next load moves the progress.
    aliases = "    aliases: [extra.names-the-answer]\n"
    (extra / "x.yaml").write_text(yaml_of(qid="extra.neutral", aliases=aliases))
    service.reload_bank()
    statuses = service.progress.question_statuses("ada")
    assert "extra.neutral" in statuses and "extra.names-the-answer" not in statuses
    weakest = {w.question_id: w.attempts for w in service.stats("ada").weakest}
    assert weakest.get("extra.neutral") == 2
    assert service.grade("extra.names-the-answer", 0, "2x3").question_id == "extra.neutral"
