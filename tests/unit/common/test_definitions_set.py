"""The definitions hash: stable across listing order, sensitive to names and content."""

from __future__ import annotations

from pathlib import Path

from common.definitions_set import hash_files, hash_root, iter_files


def _make(root: Path) -> None:
    (root / "playbooks").mkdir(parents=True)
    (root / "selectors").mkdir()
    (root / "fixtures" / "x" / "__pycache__").mkdir(parents=True)
    (root / "playbooks" / "x.yaml").write_text("platform: x\n")
    (root / "selectors" / "x.yaml").write_text("platform: x\n")
    (root / "fixtures" / "x" / "compose.html").write_text("<p>hi</p>")
    (root / "fixtures" / "x" / "build.py").write_text("print('builder')")
    (root / "fixtures" / "x" / "__pycache__" / "build.cpython-311.pyc").write_bytes(b"\0")
    (root / "README.md").write_text("not part of the set")


def test_the_set_is_the_three_folders_without_python(tmp_path: Path) -> None:
    _make(tmp_path)
    names = [name for name, _ in iter_files(tmp_path)]
    assert names == ["fixtures/x/compose.html", "playbooks/x.yaml", "selectors/x.yaml"]


def test_hash_ignores_order_and_build_scripts_but_not_content(tmp_path: Path) -> None:
    _make(tmp_path)
    first = hash_root(tmp_path)
    assert first.startswith("sha256:") and len(first) == 7 + 64
    (tmp_path / "fixtures" / "x" / "build.py").write_text("print('changed')")
    assert hash_root(tmp_path) == first
    pairs = [(name, path.read_bytes()) for name, path in iter_files(tmp_path)]
    assert hash_files(reversed(pairs)) == first
    (tmp_path / "selectors" / "x.yaml").write_text("platform: x \n")
    assert hash_root(tmp_path) != first


def test_moving_bytes_between_files_changes_the_hash() -> None:
    assert hash_files([("a", b"ab"), ("b", b"c")]) != hash_files([("a", b"a"), ("b", b"bc")])
    assert hash_files([("a", b"x")]) != hash_files([("b", b"x")])
