"""Loading question files: every problem reported with file, line and field; never a traceback.

A broken question is left out and reported; the other questions of its file still load.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from quizapp.bank import rules
from quizapp.bank.bank import Bank
from quizapp.bank.messages import (
    LOADER_ONLY_FIELDS,
    QUESTION_FIELDS,
    describe,
    did_you_mean,
    explain,
    field_names_at,
)
from quizapp.bank.models import FORMAT_VERSION, Question
from quizapp.bank.prerequisites import alias_problems, prerequisite_problems
from quizapp.bank.problems import Problem
from quizapp.bank.yamlnodes import Located, PathKey, YamlSyntaxError, parse

FILE_KEYS = ("format", "topic", "questions")
SUFFIX = ".yaml"
MAX_FILE_BYTES = 1024 * 1024  # the largest bundled file is ~55 KB
EXCERPT = 60  # characters of a file's own text that a problem may quote
_UNION_TAGS = ("list", "range")


def field_label(path: Sequence[str | int]) -> str | None:
    """("params", "n") -> "params.n"; ("options", 1) -> "options[1]"."""
    label = ""
    for part in path:
        label += f"[{part}]" if isinstance(part, int) else (f".{part}" if label else str(part))
    return label or None


@dataclass
class FileResult:
    questions: list[Question] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Every id met in the file with its line, broken questions included (for duplicates).
    ids: list[tuple[str, int | None]] = field(default_factory=list)


def load_file(path: Path) -> tuple[list[Question], list[Problem]]:
    """The valid questions of one file, and every problem found in it."""
    result = read_file(path)
    return result.questions, result.problems


def read_file(path: Path) -> FileResult:
    result = FileResult()

    def problem(message: str, line: int | None = None, field: str | None = None) -> None:
        result.problems.append(Problem(message, file=path, line=line, field=field))

    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problem(f"cannot read the file: {exc.strerror or exc}")
        return result
    if len(raw) > MAX_FILE_BYTES:
        problem(
            f"the file is larger than {MAX_FILE_BYTES // 1024} KiB; a question file is far "
            "smaller (split it into several files)"
        )
        return result
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem("the file is not UTF-8 text; save it as UTF-8", line)
        return result
    try:
        located = parse(text)
    except YamlSyntaxError as exc:
        problem(exc.message, exc.line)
        return result
    if located is None:
        problem("the file is empty; a question file starts with 'format: 1'", 1)
        return result
    data = located.data
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else f"just {excerpt(data)}"
        hint = (
            " (did you forget the 'format: 1' and 'questions:' lines?)"
            if isinstance(data, list)
            else ""
        )
        problem(
            "a question file is a mapping with 'format', 'topic' and 'questions'; "
            f"this one is {what}{hint}",
            located.line_of(()),
        )
        return result
    _FileReader(path, located, result).read(data)
    result.problems.sort(key=lambda p: p.line or 0)
    return result


class _FileReader:
    def __init__(self, path: Path, located: Located, result: FileResult) -> None:
        self.path = path
        self.located = located
        self.result = result
        # Mapping-level issues (duplicate keys) by the question index they belong to.
        self.issues: dict[int | None, list[tuple[PathKey, int, str]]] = {}
        for issue in located.issues:
            path_key = issue[0]
            index = path_key[1] if len(path_key) > 1 and path_key[0] == "questions" else None
            self.issues.setdefault(index if isinstance(index, int) else None, []).append(issue)

    def problem(
        self, message: str, line: int | None, field: str | None = None, qid: str | None = None
    ) -> None:
        self.result.problems.append(Problem(message, self.path, line, field, qid))

    def read(self, data: dict[Any, Any]) -> None:
        for path_key, line, message in self.issues.get(None, []):
            self.problem(
                message, line, field_label(path_key[1:]) if path_key[:1] == ("questions",) else None
            )
        for key in data:
            if key not in FILE_KEYS:
                self.problem(
                    f"unknown top-level key {key!r}{did_you_mean(str(key), FILE_KEYS)}; "
                    "a file holds 'format', 'topic' and 'questions'"
                    + (
                        " (question fields go inside each question)"
                        if key in QUESTION_FIELDS
                        else ""
                    ),
                    self.located.key_line((key,)),
                )
        if "format" not in data:
            self.problem(
                f"missing 'format: {FORMAT_VERSION}' at the top of the file",
                self.located.value_line(()),
                "format",
            )
        else:
            version = data["format"]
            if type(version) is not int or version != FORMAT_VERSION:
                shown = version if isinstance(version, int | float) else repr(version)
                self.problem(
                    f"format: {shown} is not supported by this version; "
                    f"this app reads format {FORMAT_VERSION}",
                    self.located.value_line(("format",)),
                    "format",
                )
                return  # another format may mean something else: do not guess at the rest
        topic = data.get("topic")
        if "topic" in data and (not isinstance(topic, str) or not topic.strip()):
            self.problem(
                "the file's 'topic' should be a short text, e.g. 'topic: autograd'",
                self.located.value_line(("topic",)),
                "topic",
            )
            topic = None
        if "questions" not in data:
            self.problem(
                "missing 'questions:', the list of questions",
                self.located.value_line(()),
                "questions",
            )
            return
        questions = data["questions"]
        if questions is None:
            return  # an empty 'questions:' is a file still being written, not an error
        if not isinstance(questions, list):
            self.problem(
                "'questions' should be a list, each question starting with '- id: ...'",
                self.located.value_line(("questions",)),
                "questions",
            )
            return
        seen: dict[str, int | None] = {}
        for index, raw in enumerate(questions):
            question = self.read_question(index, raw, topic)
            qid = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(qid, str):
                continue
            qline = self.located.value_line(("questions", index))
            self.result.ids.append((qid, qline))
            if qid in seen:
                self.problem(
                    f"duplicate id '{qid}': also at {self.path}:{seen[qid]}; "
                    "ids must be unique in the bank",
                    qline,
                    "id",
                    qid,
                )
                continue
            seen[qid] = qline
            if question is not None:
                self.result.questions.append(question)

    def read_question(self, index: int, raw: Any, file_topic: str | None) -> Question | None:
        qpath: PathKey = ("questions", index)
        qline = self.located.value_line(qpath)
        if not isinstance(raw, dict):
            self.problem(
                "each question is a mapping starting with '- id: ...'; "
                f"this one is {describe(raw)}",
                qline,
            )
            return None
        qid = raw.get("id") if isinstance(raw.get("id"), str) else None
        before = len(self.result.problems)

        def report(
            message: str, sub: PathKey = (), at_key: bool = False, label: str | None = None
        ) -> None:
            full = (*qpath, *sub)
            line = self.located.key_line(full) if at_key else None
            line = line or self.located.line_of(full)
            self.problem(message, line, label or field_label(sub), qid)

        def report_line(message: str, sub: PathKey, line_within: int) -> None:
            self.problem(
                message, self.text_line((*qpath, *sub), line_within), field_label(sub), qid
            )

        for path_key, line, message in self.issues.get(index, []):
            self.problem(message, line, field_label(path_key[2:]), qid)

        data = dict(raw)
        for key in list(data):
            if not isinstance(key, str) or key in LOADER_ONLY_FIELDS:
                report(f"unknown field {key!r}", (key,), True)
                del data[key]
        if "topic" not in data and file_topic is not None:
            data["topic"] = file_topic
        try:
            question = Question.model_validate(data)
        except ValidationError as exc:
            question = None
            errors = exc.errors()
            # "unknown 'promt' (did you mean 'prompt'?)" says it all; skip "missing 'prompt'".
            meant = {
                (*self.clean_loc(e["loc"])[:-1], m)
                for e in errors
                if e["type"] == "extra_forbidden"
                for m in difflib.get_close_matches(
                    str(e["loc"][-1]), field_names_at(self.clean_loc(e["loc"])), n=1, cutoff=0.6
                )
            }
            for error in errors:
                loc = self.clean_loc(error["loc"])
                if error["type"] == "missing" and loc in meant:
                    continue
                if loc[:1] == ("params",) and "[key]" in loc:
                    continue  # a param name that is not text: rules.check_params says so
                message = explain(error, loc)
                if error["type"] == "missing":
                    # A missing field has no line of its own: point at what should hold it.
                    report(message, loc[:-1], label=field_label(loc))
                else:
                    report(message, loc, at_key=error["type"] == "extra_forbidden")
        rules.check_all(data, report, report_line)
        if len(self.result.problems) > before:
            return None
        assert question is not None
        return question.model_copy(update={"source_file": self.path, "source_line": qline})

    @staticmethod
    def clean_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
        """Drop the union tags pydantic adds for params ("list", "range")."""
        return tuple(
            part
            for i, part in enumerate(loc)
            if not (i == 2 and loc[0] == "params" and part in _UNION_TAGS)
        )

    def text_line(self, full: PathKey, line_within: int) -> int | None:
        """The file line of line `line_within` (1-based) of the text at `full`."""
        node = self.located.value_nodes.get(full)
        if node is None:
            return self.located.line_of(full)
        first = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            return first + line_within  # the text starts on the line after the '|'
        return first + line_within - 1


def excerpt(value: Any) -> str:
    """A value of the file's own, quoted short: a problem never echoes a whole file."""
    text = repr(value)
    return text if len(text) <= EXCERPT else text[: EXCERPT - 5] + "...'"


def _visible(folder: Path, pattern: str) -> list[Path]:
    found = []
    for path in sorted(folder.rglob(pattern)):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue  # .git, editor backups and the like
        if path.is_file():
            found.append(path)
    return found


def _leaves(path: Path, folder: Path) -> bool:
    """A file (a symlink, or under a symlinked folder) whose real place is outside `folder`."""
    try:
        return not path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return True


def _yaml_files(folder: Path) -> list[Path]:
    return _visible(folder, f"*{SUFFIX}")


def load_bank(paths: Sequence[Path]) -> Bank:
    """Load every `*.yaml` under each path (a folder, searched recursively, or one file).

    Never raises for what is in the files: each problem becomes a `Problem`. A question whose
    id is already taken is reported (naming both places) and the first one is kept.
    """
    bank = Bank(questions={}, problems=[], dirs=[Path(p) for p in paths])
    where: dict[str, tuple[Path, int | None]] = {}
    read: set[Path] = set()
    for root in bank.dirs:
        if root.is_dir():
            files = []
            for path in _yaml_files(root):
                if _leaves(path, root):  # never read: it may be anything (/etc/passwd...)
                    bank.problems.append(
                        Problem(
                            "not loaded: a link to a file outside the bank folder; copy the "
                            "file into the folder instead",
                            path,
                        )
                    )
                else:
                    files.append(path)
            bank.problems.extend(
                Problem(f"not loaded: question files end in {SUFFIX}; rename it to load it", path)
                for path in _visible(root, "*.yml")
            )
            if not files:
                bank.problems.append(Problem(f"no question files (*{SUFFIX}) in this folder", root))
        elif root.is_file():
            if root.suffix != SUFFIX:
                bank.problems.append(
                    Problem(f"not a question file: question files end in {SUFFIX}", root)
                )
                continue
            files = [root]
        else:
            bank.problems.append(Problem("no such file or folder", root))
            continue
        for path in files:
            if path.resolve() in read:
                continue  # named twice, e.g. a folder and a file inside it
            read.add(path.resolve())
            result = read_file(path)
            bank.problems.extend(result.problems)
            valid = {q.id: q for q in result.questions}
            for qid, line in result.ids:
                if qid in where:
                    first_file, first_line = where[qid]
                    if first_file != path:  # duplicates within a file are reported by read_file
                        bank.problems.append(
                            Problem(
                                f"duplicate id '{qid}': also at {first_file}:{first_line}; "
                                "ids must be unique in the bank",
                                path,
                                line,
                                "id",
                                qid,
                            )
                        )
                    continue
                where[qid] = (path, line)
                if qid in valid:
                    bank.questions[qid] = valid.pop(qid)
    bank.problems.extend(prerequisite_problems(bank.questions))
    bank.problems.extend(alias_problems(bank.questions))
    return bank
