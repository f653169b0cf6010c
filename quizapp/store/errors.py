"""Errors the store raises. Each message says what went wrong, where, and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be used as asked (bad URL, unreadable or foreign file, too new...)."""


class DatabaseTooNew(StoreError):
    """The database was written by a newer quizapp (its schema revision is unknown here)."""


class UnknownUser(StoreError, LookupError):
    """No profile with that name."""

    def __init__(self, name: str, known: list[str] | None = None) -> None:
        self.name = name
        self.known = known or []
        if self.known:
            hint = "existing profiles: " + ", ".join(self.known)
        else:
            hint = "there are no profiles yet; create one with `quizapp users add NAME`"
        super().__init__(f"no profile named {name!r} ({hint})")


class UserExists(StoreError, ValueError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a profile named {name!r} already exists; pick another name")
