"""YAML loading that remembers where every value came from.

pydantic reports errors by path (`phases.open.2.click`); people need `file:line:col`. We
compose the YAML node tree ourselves, build plain Python values, and keep a map from each
path to the position of its node. Duplicate keys, which PyYAML silently accepts, are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import DefinitionError, Problem

PathKey = tuple[str | int, ...]


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


def _construct(node: yaml.Node, path: PathKey, src: Source, problems: list[Problem]) -> Any:
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
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), src, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DefinitionError([Problem(name, 1, 1, "file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem(name, 1, 1, f"not UTF-8 text: {exc.reason}")]) from exc
    return load_yaml_text(text, name)


def load_yaml_text(text: str, name: str) -> Source:
    try:
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
    problems: list[Problem] = []
    src.data = _construct(node, (), src, problems)
    if problems:
        raise DefinitionError(problems)
    return src
