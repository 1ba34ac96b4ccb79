"""A second run of `scripts/setup` is quiet and quick (issue 15): with the packages and the
browser already in place and the fonts installed, it prints nothing, installs nothing and
asks for no password. The font check must not pipe `fc-list` into `grep -q`: under
`set -o pipefail` that ends 141 (SIGPIPE) as soon as grep stops reading, so the fonts
looked missing on every run.

The real script runs in a copy of the checkout's files it reads; what is not ours is
replaced on PATH: `fc-list` (printing a long font list, as a desktop's does), and `sudo` /
`apt-get`, which record being called.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FC_LIST = """#!/bin/sh
# A desktop's font list is long: the wanted families early, thousands of lines after them,
# so a `grep -q` reading it stops early and the writer meets a closed pipe.
echo "/usr/share/fonts/noto/NotoSansArabic-Regular.ttf: Noto Sans Arabic"
echo "/usr/share/fonts/noto/NotoColorEmoji.ttf: Noto Color Emoji"
i=0
while [ $i -lt 20000 ]; do echo "/usr/share/fonts/filler/f$i.ttf: Filler Sans $i"; i=$((i+1)); done
"""
RECORDER = """#!/bin/sh
echo "$0 $*" >> "{log}"
exit 1
"""


def checkout(tmp_path: Path, fc_list: str) -> tuple[Path, dict[str, str], Path]:
    """A copy of what the script reads, as its first run leaves it (the packages' stamp,
    the browser it found), and a PATH whose `fc-list`, `sudo` and `apt-get` are ours."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "setup", repo / "scripts" / "setup")
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy2(ROOT / name, repo / name)
    venv = repo / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    digest = hashlib.sha256((repo / "pyproject.toml").read_bytes()
                            + (repo / "setup.py").read_bytes()).hexdigest()
    (venv / ".setup-stamp").write_text(digest + "\n", encoding="utf-8")
    (venv / ".setup-browser").write_text(f"|{shutil.which('sh')}\n", encoding="utf-8")
    tools = tmp_path / "bin"
    tools.mkdir()
    calls = tmp_path / "calls.log"
    (tools / "fc-list").write_text(fc_list, encoding="utf-8")
    for name in ("sudo", "apt-get"):
        (tools / name).write_text(RECORDER.format(log=calls), encoding="utf-8")
    for tool in tools.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"}
    env.pop("PUBLISH_RUNNER_BROWSER", None)
    return repo, env, calls


@pytest.mark.skipif(sys.platform != "linux", reason="the font check runs on Linux only")
def test_a_second_run_prints_nothing_and_installs_nothing(tmp_path: Path) -> None:
    repo, env, calls = checkout(tmp_path, FC_LIST)
    started = time.perf_counter()
    done = subprocess.run(["bash", str(repo / "scripts" / "setup")], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == "", done.stderr  # quiet
    assert not calls.exists(), calls.read_text()  # no apt-get, no sudo
    print(f"second run of scripts/setup: {took:.2f}s")
    assert took < 30  # no package install, no browser probe (a generous bound under load)


@pytest.mark.skipif(sys.platform != "linux", reason="the font check runs on Linux only")
def test_missing_fonts_are_still_noticed(tmp_path: Path) -> None:
    """The check can fail: with the fonts absent it says so and tries to install them."""
    repo, env, calls = checkout(tmp_path, "#!/bin/sh\nexit 0\n")  # no such fonts
    done = subprocess.run(["bash", str(repo / "scripts" / "setup")], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "installing Arabic and emoji fonts" in done.stderr
    assert "could not install Noto fonts" in done.stderr  # our apt-get stand-in failed
    assert calls.exists()
