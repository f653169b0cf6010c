"""A loaded question bank: the questions by id, and what was wrong with the files."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from quizapp.bank.models import Difficulty, Kind, Question
from quizapp.bank.problems import Problem


class UnknownQuestion(KeyError):
    """No question has this id; the message suggests close ids."""

    def __init__(self, question_id: str, known: list[str]) -> None:
        close = difflib.get_close_matches(question_id, known, n=3, cutoff=0.6)
        message = f"no question with id '{question_id}'"
        if close:
            message += " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"
        super().__init__(message)
        self.question_id = question_id
        self.message = message
        self.suggestions = close

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return self.message


@dataclass
class Bank:
    questions: dict[str, Question]  # insertion order = file order
    problems: list[Problem]
    dirs: list[Path]

    def __len__(self) -> int:
        return len(self.questions)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self.questions

    @property
    def ok(self) -> bool:
        return not self.problems

    def get(self, question_id: str) -> Question:
        """The question with this id, or the one that had it before a rename (its alias)."""
        try:
            return self.questions[question_id]
        except KeyError:
            renamed = self.aliases.get(question_id)
            if renamed is not None:
                return self.questions[renamed]
            raise UnknownQuestion(question_id, list(self.questions)) from None

    @property
    def aliases(self) -> dict[str, str]:
        """Old id -> the id of the question that has it as an alias (renamed questions)."""
        found: dict[str, str] = {}
        for q in self.questions.values():
            for old in q.aliases:
                if old not in self.questions:
                    found.setdefault(old, q.id)
        return found

    def topics(self) -> list[str]:
        """Every topic, in the order the bank first mentions it."""
        return list(dict.fromkeys(q.topic for q in self.questions.values()))

    def filter(
        self,
        *,
        topic: str | None = None,
        kind: Kind | str | None = None,
        difficulty: Difficulty | str | None = None,
        tag: str | None = None,
        text: str | None = None,
    ) -> list[Question]:
        """Questions matching every given criterion, in bank order.

        `text` matches case-insensitively in the id, title, topic, tags and prompt.
        """
        needle = text.casefold() if text else None
        found = []
        for question in self.questions.values():
            if topic is not None and question.topic != topic:
                continue
            if kind is not None and question.kind != kind:
                continue
            if difficulty is not None and question.difficulty != difficulty:
                continue
            if tag is not None and tag not in question.tags:
                continue
            if needle is not None:
                haystack = " ".join(
                    (question.id, question.title, question.topic, *question.tags, question.prompt)
                )
                if needle not in haystack.casefold():
                    continue
            found.append(question)
        return found
