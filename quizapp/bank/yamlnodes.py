"""YAML to plain Python data, remembering the line of every key and value.

PyYAML's `safe_load` forgets where things were and silently keeps the last of two equal keys.
We compose the document to nodes instead (keeping their marks), build the data ourselves and
record, for every path such as ("questions", 0, "params", "n"), the key's line and value node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

PathKey = tuple[str | int, ...]

# Limits that keep a hostile or broken file from exhausting the loader (each a clear problem):
MAX_DEPTH = 64  # values nested inside one another (real question files need about 6)
MAX_VALUES = 200_000  # values built, every alias expansion counted (a bank file has ~5,000)
MAX_MERGED_KEYS = 10_000  # keys one mapping may get from `<<:` merges

# libyaml's parser is ~10x faster; the pure-Python one words syntax errors better (it names the
# tab that broke a line, for one), so a file that fails is parsed again with it for the message.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(Exception):
    """A file that is not valid YAML; `line` is 1-based (None when unknown)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Located:
    """The document as plain data plus where each part of it came from."""

    data: Any
    key_lines: dict[PathKey, int] = field(default_factory=dict)
    value_nodes: dict[PathKey, yaml.Node] = field(default_factory=dict)
    # Mapping-level problems found while building (duplicate keys, odd keys): (path, line, message).
    issues: list[tuple[PathKey, int, str]] = field(default_factory=list)

    def value_line(self, path: PathKey) -> int | None:
        node = self.value_nodes.get(path)
        return None if node is None else node.start_mark.line + 1

    def key_line(self, path: PathKey) -> int | None:
        return self.key_lines.get(path)

    def line_of(self, path: PathKey) -> int | None:
        """The line of the value at `path`, else of the nearest enclosing value that exists."""
        for end in range(len(path), -1, -1):
            line = self.value_line(path[:end])
            if line is not None:
                return line
        return None


def _syntax_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        text = "; ".join(parts) if parts else "invalid YAML"
        start, end = exc.context_mark, exc.problem_mark
        if start is not None and end is not None and start.line != end.line:
            text += f" (the construct began on line {start.line + 1})"
    else:
        text = str(exc)
    if "'\\t'" in text or "\\t" in text:
        text += " (YAML does not allow tabs for indentation: indent with spaces)"
    return f"YAML syntax error: {text}"


def _syntax_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return None if mark is None else mark.line + 1


def parse(text: str) -> Located | None:
    """Parse one YAML document; None for an empty one. Raises YamlSyntaxError."""
    if _FAST_LOADER is not yaml.SafeLoader:
        try:
            return _parse(text, _FAST_LOADER)
        except YamlSyntaxError as exc:
            if exc.message == _too_deep():  # libyaml knows where; the Python parser would recurse
                raise
    return _parse(text, yaml.SafeLoader)


def _parse(text: str, loader_class: type[yaml.SafeLoader]) -> Located | None:
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:  # a control character, found before any parsing
        line = text.count("\n", 0, exc.position) + 1
        raise YamlSyntaxError(f"YAML cannot hold this text: {exc.reason}", line) from None
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YamlSyntaxError(_too_deep(), None) from None
        except yaml.composer.ComposerError as exc:
            if "single document" in str(exc):
                raise YamlSyntaxError(
                    "a question file holds one YAML document; remove the extra '---' "
                    "or split it into two files",
                    _syntax_line(exc),
                ) from None
            raise YamlSyntaxError(_syntax_message(exc), _syntax_line(exc)) from None
        except yaml.YAMLError as exc:
            if "maximum nesting depth" in str(getattr(exc, "problem", "")):
                raise YamlSyntaxError(_too_deep(), _syntax_line(exc)) from None
            raise YamlSyntaxError(_syntax_message(exc), _syntax_line(exc)) from None
        if node is None:
            return None
        located = Located(data=None)
        located.value_nodes[()] = node
        try:
            located.data = _Builder(loader, located).build(node, (), 0)
        except yaml.YAMLError as exc:
            raise YamlSyntaxError(_syntax_message(exc), _syntax_line(exc)) from None
        except RecursionError:
            raise YamlSyntaxError(_too_deep(), None) from None
        return located
    finally:
        loader.dispose()


def _too_deep() -> str:
    return f"values are nested more than {MAX_DEPTH} levels deep; a question file needs far fewer"


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _Builder:
    """Nodes to plain data, with the limits above (an alias bomb stops at MAX_VALUES)."""

    def __init__(self, loader: Any, out: Located) -> None:
        self.loader = loader
        self.out = out
        self.active: set[int] = set()
        self.built = 0
        self.flattened: set[int] = set()

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        out = self.out
        self.built += 1
        if self.built > MAX_VALUES:
            raise YamlSyntaxError(
                f"the file expands to more than {MAX_VALUES:,} values (aliases included); "
                "is an alias ('*name') repeated inside what it refers to?",
                _line(node),
            )
        if depth > MAX_DEPTH:
            raise YamlSyntaxError(_too_deep(), _line(node))
        if id(node) in self.active:
            out.issues.append((path, _line(node), "an alias refers to itself"))
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                items = []
                for index, child in enumerate(node.value):
                    out.value_nodes[(*path, index)] = child
                    out.key_lines[(*path, index)] = _line(child)
                    items.append(self.build(child, (*path, index), depth + 1))
                return items
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def flatten(self, node: yaml.MappingNode, depth: int = 0) -> None:
        """`<<:` merges resolved bottom-up, each mapping once, its size checked (merging a
        mapping into itself again and again doubles it each time)."""
        if id(node) in self.flattened:
            return
        if depth > MAX_DEPTH:
            raise YamlSyntaxError(_too_deep(), _line(node))
        self.flattened.add(id(node))
        for key, value in node.value:
            if key.tag != "tag:yaml.org,2002:merge":
                continue
            subs = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for sub in subs:
                if isinstance(sub, yaml.MappingNode):
                    self.flatten(sub, depth + 1)
        merged = sum(
            len(sub.value)
            for key, value in node.value
            if key.tag == "tag:yaml.org,2002:merge"
            for sub in (value.value if isinstance(value, yaml.SequenceNode) else [value])
            if isinstance(sub, yaml.MappingNode)
        )
        if merged > MAX_MERGED_KEYS:
            raise YamlSyntaxError(
                f"'<<:' merges would give one mapping more than {MAX_MERGED_KEYS:,} keys",
                _line(node),
            )
        self.loader.flatten_mapping(node)

    def mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[Any, Any]:
        out = self.out
        # Keys written here, as opposed to those `<<: *anchor` merges in (which they may override).
        own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.flatten(node)
        mapping: dict[Any, Any] = {}
        own_keys: set[Any] = set()
        for key_node, value_node in node.value:
            # A complex key's parts are recorded under a path no field has.
            key = self.build(key_node, (*path, "<key>"), depth + 1)
            line = _line(key_node)
            try:
                hash(key)
            except TypeError:
                out.issues.append((path, line, "a key must be a plain name, not a list or mapping"))
                continue
            if id(key_node) in own:
                if key in own_keys:
                    first = out.key_lines.get((*path, key))
                    out.issues.append(
                        (
                            (*path, key),
                            line,
                            f"key '{key}' appears twice in the same mapping (first on line "
                            f"{first}); YAML would silently keep only the last one",
                        )
                    )
                own_keys.add(key)
            out.key_lines[(*path, key)] = line
            out.value_nodes[(*path, key)] = value_node
            mapping[key] = self.build(value_node, (*path, key), depth + 1)
        return mapping
