from __future__ import annotations

import pytest

from quizapp.bank.models import Requires
from quizapp.grading.requirements import unmet_requirement, version_matches


@pytest.mark.parametrize(
    ("version", "spec", "ok"),
    [
        ("2.13.0+cpu", ">=2.1", True),
        ("2.13.0", ">=2.1,<3", True),
        ("2.13.0", "<2.0", False),
        ("2.13.0", "==2.13.*", True),
        ("2.13.0", "!=2.13.*", False),
        ("2.13.0", "~=2.10", True),
        ("2.13.0", "==2.13", True),
        ("2.14.0a0+git123", ">=2.1", True),
    ],
)
def test_version_matches(version: str, spec: str, ok: bool) -> None:
    assert version_matches(version, spec) is ok


def test_unmet_requirement() -> None:
    assert unmet_requirement(Requires(device="cuda"), device="cpu", torch_version="2.13.0")
    assert unmet_requirement(Requires(device="cuda"), device="cuda:0", torch_version=None) is None
    assert unmet_requirement(Requires(device="cuda"), device=None, torch_version=None) is None
    reason = unmet_requirement(Requires(torch=">=3"), device="cpu", torch_version="2.13.0")
    assert reason is not None and ">=3" in reason
    bad = unmet_requirement(Requires(torch="newest"), device="cpu", torch_version="2.13.0")
    assert bad is not None and "not a version specifier" in bad
