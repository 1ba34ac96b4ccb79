"""Build hook: ship the top-level definition folders inside the wheel.

`playbooks/`, `selectors/` and `fixtures/` stay at the top of the repository (and a top-level
package named `selectors` would shadow the standard library's), so the wheel carries a copy
of them under `runner/_definitions/`, where `runner.definitions_root` finds them through
`importlib.resources`. An editable install has no copy: there the checkout itself is the
packaged root. Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

FOLDERS = ("playbooks", "selectors", "fixtures")
SKIP = shutil.ignore_patterns("__pycache__", "*.py", "*.pyc")


class BuildWithDefinitions(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "runner" / "_definitions"
        for name in FOLDERS:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(here / name, target / name, ignore=SKIP)


setup(cmdclass={"build_py": BuildWithDefinitions})
