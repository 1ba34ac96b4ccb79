"""`common.errors`: the docstring's tree names every class, with its real parent."""

from __future__ import annotations

import inspect
import re

import common.errors as errors


def _defined() -> dict[str, type]:
    return {name: cls for name, cls in inspect.getmembers(errors, inspect.isclass)
            if cls.__module__ == errors.__name__}


def _tree() -> dict[str, str | None]:
    """name → parent name, read from the box-drawing tree in the module docstring."""
    doc = errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        m = re.match(r"^(\s*(?:[│ ]*[├└]── )?)([A-Z]\w+)(\s|$)", line)
        if not m or not re.search(r"[├└]── |^\s{4}PublishRunnerError", line):
            continue
        depth, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def test_the_tree_names_every_exception_with_its_parent() -> None:
    tree = _tree()
    exceptions = {n: c for n, c in _defined().items() if issubclass(c, BaseException)}
    assert set(tree) == set(exceptions)
    for name, cls in exceptions.items():
        parent = tree[name]
        assert cls.__bases__[0].__name__ == (parent or "Exception"), name


def test_the_docstring_names_every_other_class_and_all_lists_them() -> None:
    doc = errors.__doc__ or ""
    for name in _defined():
        assert re.search(rf"\b{name}\b", doc), f"{name} is not named in the docstring"
    assert set(errors.__all__) == set(_defined())


def test_login_required_is_a_step_error_with_the_status_code() -> None:
    assert issubclass(errors.LoginRequired, errors.StepError)
    assert errors.LoginRequired.code == "NEEDS_LOGIN"
