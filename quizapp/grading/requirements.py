"""Whether a question's `requires` (device, torch version) can be met by the runner.

`requires.torch` is a PEP 440 specifier set (`>=2.1`, `>=2.1,<3`, `==2.13.*`), matched with
`packaging` (local labels such as `+cpu` and pre-releases count as the version they build on).
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from quizapp.bank.models import Requires


class BadSpecifier(ValueError):
    pass


def version_matches(version: str, spec: str) -> bool:
    """Whether `version` satisfies `spec`. Raises BadSpecifier for an invalid spec or version."""
    try:
        return SpecifierSet(spec).contains(Version(version), prereleases=True)
    except InvalidSpecifier:
        raise BadSpecifier(f"{spec!r} is not a version specifier like '>=2.1'") from None
    except InvalidVersion:
        raise BadSpecifier(f"{version!r} is not a version") from None


def unmet_requirement(
    requires: Requires, *, device: str | None, torch_version: str | None
) -> str | None:
    """Why `requires` cannot be met on this device/torch, or None. Unknown facts pass."""
    if requires.device and device and not device.startswith(requires.device):
        return f"it needs device {requires.device}, and the runner uses {device}"
    if requires.torch and torch_version:
        try:
            if not version_matches(torch_version, requires.torch):
                return f"it needs torch {requires.torch}, and the runner has torch {torch_version}"
        except BadSpecifier as exc:
            return f"its requires.torch is not valid: {exc}"
    return None
