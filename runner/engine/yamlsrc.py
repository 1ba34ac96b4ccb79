"""YAML loading that remembers where every value came from.

pydantic reports errors by path (`phases.open.2.click`); people need `file:line:col`. We
compose the YAML node tree ourselves, build plain Python values, and keep a map from each
path to the position of its node. Duplicate keys, which PyYAML silently accepts, are errors.

Definitions may come from people we do not trust (a shared selector file, a fixture folder
from a pull request), so loading is bounded: a file past `MAX_BYTES`, nesting past
`MAX_DEPTH`, a recursive alias, or aliases that expand past `MAX_VALUES` values (the
"billion laughs": 409 bytes, gigabytes of values) are refused with file:line, in
milliseconds, before anything is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import DefinitionError, Problem

PathKey = tuple[str | int, ...]

MAX_BYTES = 2_000_000  # the largest shipped definition is ~20 kB
MAX_DEPTH = 64
MAX_VALUES = 200_000  # values built, aliases expanded (shipped files: a few thousand)


@dataclass
class Source:
    """A loaded YAML document and the position of every node in it."""

    file: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the deepest known node on `path`."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: PathKey, message: str, *, severity: str = "error",
                key: bool = False) -> Problem:
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, message, severity)


def _at(src: Source, node: yaml.Node, message: str) -> DefinitionError:
    return DefinitionError([Problem(src.file, node.start_mark.line + 1,
                                    node.start_mark.column + 1, message)])


def _check_bounds(root: yaml.Node, src: Source) -> None:
    """Refuse a recursive alias, nesting past MAX_DEPTH and aliases expanding past
    MAX_VALUES, visiting each composed node once (aliases share nodes, so this costs the
    file's size, not what it would expand to)."""
    sizes: dict[int, tuple[int, int]] = {}  # node → (values it expands to, its depth)
    on_path: set[int] = set()

    def visit(node: yaml.Node, level: int) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in on_path:
            raise _at(src, node, "a recursive alias (an anchor used inside itself)")
        if level > MAX_DEPTH:
            raise _at(src, node, f"nested deeper than {MAX_DEPTH} levels")
        values, depth = 1, 1
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            on_path.add(key)
            children = ([n for pair in node.value for n in pair]
                        if isinstance(node, yaml.MappingNode) else node.value)
            for child in children:
                count, below = visit(child, level + 1)
                values += count
                depth = max(depth, below + 1)
            on_path.discard(key)
        if values > MAX_VALUES:
            raise _at(src, node, f"aliases here expand to more than {MAX_VALUES} values")
        sizes[key] = (values, depth)
        return values, depth

    visit(root, 0)


def _check_nesting(text: str, name: str) -> None:
    """Refuse nesting past MAX_DEPTH from the parser's events (no recursion), with its line."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
                raise DefinitionError([Problem(name, line, col,
                                               f"nested deeper than {MAX_DEPTH} levels")])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _construct(node: yaml.Node, path: PathKey, src: Source, problems: list[Problem]) -> Any:
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        return _collection(node, path, src, problems)
    src.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    return _scalar(node)


def _collection(node: yaml.Node, path: PathKey, src: Source, problems: list[Problem]) -> Any:
    src.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader(  # scalars only: keys are plain names here
                ""
            ).construct_object(key_node) if not isinstance(key_node, yaml.ScalarNode) else (
                _scalar(key_node)
            )
            if not isinstance(key, (str, int)):
                problems.append(Problem(src.file, key_node.start_mark.line + 1,
                                        key_node.start_mark.column + 1,
                                        "mapping keys must be plain names"))
                continue
            key = str(key)
            child = (*path, key)
            src.key_positions[child] = (key_node.start_mark.line + 1,
                                        key_node.start_mark.column + 1)
            if key in out:
                problems.append(Problem(src.file, key_node.start_mark.line + 1,
                                        key_node.start_mark.column + 1,
                                        f"duplicate key '{key}'"))
            out[key] = _construct(value_node, child, src, problems)
        return out
    return [_construct(item, (*path, i), src, problems)
            for i, item in enumerate(node.value)]


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_yaml(path: Path, display: str | None = None) -> Source:
    """Parse one YAML file; raise DefinitionError naming file:line:col on any syntax problem."""
    name = display or str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise DefinitionError([Problem(name, 1, 1, f"file larger than {MAX_BYTES} bytes; "
                                           "a definition file is a few kilobytes")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DefinitionError([Problem(name, 1, 1, "file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem(name, 1, 1, f"not UTF-8 text: {exc.reason}")]) from exc
    return load_yaml_text(text, name)


def load_yaml_text(text: str, name: str) -> Source:
    if len(text) > MAX_BYTES:
        raise DefinitionError([Problem(name, 1, 1, f"text longer than {MAX_BYTES} characters")])
    try:
        _check_nesting(text, name)  # before compose, which recurses once per level
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or str(exc)
        if "\t" in what or "'\\t'" in what:
            what = "a tab character; YAML indents with spaces only"
        raise DefinitionError([Problem(name, line, col, f"YAML syntax: {what}")]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(name, 1, 1, f"YAML syntax: {exc}")]) from exc
    src = Source(file=name, data=None)
    if node is None:
        src.data = {}
        return src
    _check_bounds(node, src)
    problems: list[Problem] = []
    src.data = _construct(node, (), src, problems)
    if problems:
        raise DefinitionError(problems)
    return src
