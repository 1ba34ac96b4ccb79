"""`publish-runner login` and `check-login` as an operator runs them, against the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, seed_profile

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUBLISH_RUNNER_HOME": str(home),
           "PUBLISH_RUNNER_CONFIG": str(home / "none.yaml")}
    env.pop("DISPLAY", None)  # headless: what an operator sees is not what a test can click
    return subprocess.run([sys.executable, "-m", "runner", "--log-level", "WARNING", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_login_waits_until_the_login_check_passes(tmp_path: Path, sandbox: Any,
                                                  aio: Any) -> None:
    profile = tmp_path / "profiles" / "sandbox" / "main"
    timed_out = cli(tmp_path, "login", "sandbox", "--account", "main",
                    "--base-url", sandbox.url, "--timeout", "3")
    assert timed_out.returncode == 1
    assert "not logged in" in timed_out.stdout
    seed_profile(aio, profile, sandbox.state.login_cookie("main"))  # the operator logged in
    done = cli(tmp_path, "login", "sandbox", "--account", "main", "--base-url", sandbox.url)
    assert done.returncode == 0, done.stderr
    assert "logged in" in done.stdout


def test_check_login_reports_every_profile(tmp_path: Path, sandbox: Any, aio: Any) -> None:
    seed_profile(aio, tmp_path / "profiles" / "sandbox" / "main",
                 sandbox.state.login_cookie("main"))
    result = cli(tmp_path, "check-login", "--account", "sandbox/main",
                 "--account", "sandbox/arabic", "--base-url", f"sandbox={sandbox.url}",
                 "--headless")
    assert result.returncode == 1  # one profile needs a login
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines == {"sandbox/main": "logged in", "sandbox/arabic": "NEEDS LOGIN"}
