"""`publish-runner canary` as a person and a script run it: JSON, the table, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=180, check=False)


def test_canary_on_the_sandbox_prints_json_and_exits_0(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    done = _cli("canary", "sandbox", "--headless", "--json", "--definitions", str(root),
                "--capture", str(tmp_path / "cap"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["verdict"] == "healthy" and report["posted"] is False
    names = {s["selector"] for s in report["selectors"]}
    assert {"composer", "composerTextarea", "postButton"} <= names
    assert all(s["fallback"] is False for s in report["selectors"])
    assert (tmp_path / "cap" / "scenarios.yaml").is_file()


def test_canary_mistakes_are_one_line_exit_2(tmp_path: Path) -> None:
    done = _cli("canary", "nosuchplatform", "--headless", cwd=tmp_path)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "nosuchplatform" in errors[0], done.stderr
    assert "Traceback" not in done.stderr
