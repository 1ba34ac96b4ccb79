"""The files that make a definitions set, and the one hash that names their content.

A definitions set is what a team ships to its devices when a platform changes: the
playbooks, the selector files and the fixtures their scenarios replay against. The same
set must hash the same wherever it is computed (the pushing client, the server that stores
it, the device that downloads it, the run that records what it used), so the rule lives here,
in the package every side may import, and nowhere else.

The rule mirrors what the wheel ships (see setup.py): the `playbooks/`, `selectors/` and
`fixtures/` folders, without Python files or caches (the fixture build scripts make the
pages; they are not part of what a device runs). Paths are POSIX and relative to the root,
sorted, so the hash does not depend on the operating system or the order a disk lists files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["FOLDERS", "hash_files", "hash_root", "iter_files"]

FOLDERS = ("playbooks", "selectors", "fixtures")
_SKIP_SUFFIXES = (".py", ".pyc")
_SKIP_PARTS = frozenset({"__pycache__", ".pytest_cache"})


def _wanted(relative: Path) -> bool:
    if relative.suffix in _SKIP_SUFFIXES:
        return False
    return not any(part in _SKIP_PARTS or part.startswith(".") for part in relative.parts)


def iter_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Yield `(posix relative path, absolute path)` for every file of the set, sorted."""
    found: list[tuple[str, Path]] = []
    for folder in FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if not path.is_file():
                continue
            relative = path.relative_to(root)
            if _wanted(relative):
                found.append((relative.as_posix(), path))
    yield from sorted(found)


def hash_files(files: Iterable[tuple[str, bytes]]) -> str:
    """The set's hash from `(relative path, content)` pairs, in any order.

    Each entry contributes its path, its length and its content, so moving bytes from one file
    to the next, or renaming a file, changes the hash.
    """
    digest = hashlib.sha256()
    for name, data in sorted(files, key=lambda item: item[0]):
        encoded = name.encode("utf-8")
        digest.update(len(encoded).to_bytes(4, "big"))
        digest.update(encoded)
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return "sha256:" + digest.hexdigest()


def hash_root(root: Path) -> str:
    """The hash of the definitions set under `root` (see the module docstring)."""
    return hash_files((name, path.read_bytes()) for name, path in iter_files(root))
