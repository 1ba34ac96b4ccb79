"""The import rules in `.importlinter` cover the whole tree, and they really bite.

`lint-imports` (run by scripts/test) checks the contracts; these tests make sure a new
package under `runner/` cannot slip past them by not being listed, and that a forbidden
import is reported on a copy of the tree.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIRING = {"cli", "__init__", "__main__"}


def _contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter", encoding="utf-8")
    return parser


def _listed(section: str, key: str) -> set[str]:
    return {line.strip() for line in _contracts()[section][key].splitlines() if line.strip()}


def test_every_runner_internal_is_bound_by_the_contracts() -> None:
    children = {
        p.stem if p.is_file() else p.name
        for p in (ROOT / "runner").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists()) and p.name != "__pycache__"
    }
    internals = {f"runner.{c}" for c in children - WIRING}
    for section in (
        "importlinter:contract:runner-internals-never-import-server",
        "importlinter:contract:runner-internals-never-import-the-wiring",
    ):
        assert internals <= _listed(section, "source_modules"), section


def test_every_top_level_package_is_a_root() -> None:
    packages = {
        p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"
    }
    assert packages <= _listed("importlinter", "root_packages")


@pytest.mark.skipif(shutil.which("lint-imports", path=str(Path(sys.executable).parent)) is None,
                    reason="import-linter is a dev dependency")
def test_a_forbidden_import_breaks_a_contract(tmp_path: Path) -> None:
    for name in ("contract", "common", "runner", "server", "sandbox"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.html", "*.css", "*.js"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    (tmp_path / "runner" / "device" / "sneaky.py").write_text("import server.app\n")
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "runner.device.sneaky" in done.stdout
