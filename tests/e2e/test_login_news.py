"""A running daemon hears that its account was logged in again (issue 15).

The daemon (real process, real headless Chromium, the sandbox) hits the login wall and stops
claiming for that account. The operator logs the profile in elsewhere (here: the sandbox's
session cookie seeded into the profile, as a login leaves it) and runs `publish-runner
check-login`, a separate process. The server requeues the job, the daemon's next heartbeat is
told to check its logins, it sees the login and publishes the job, without a restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import pytest

from common.errors import BrowserError
from tests.e2e.conftest import ROOT, seed_profile, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_check_login_elsewhere_reaches_the_running_daemon(
        server_factory: Any, daemon_factory: Any, sandbox: Any) -> None:
    server = server_factory()
    daemon = daemon_factory(server, logged_in=False)
    post = server.publish("Published after a login the daemon heard about")
    job_id = post["jobs"][0]["id"]
    assert server.wait_job(job_id, "NEEDS_LOGIN", "SUCCEEDED", "FAILED",
                           timeout=90)["status"] == "NEEDS_LOGIN", daemon.all_logs()
    (device,) = server.api("GET", "/api/devices")
    assert [x["loggedIn"] for x in device["loginStatus"]] == [False]

    # The daemon lets go of the profile after the login wall; log it in meanwhile.
    def seeded() -> bool:
        try:
            seed_profile(daemon.profile, sandbox.state.login_cookie("main"))
        except BrowserError:
            return False  # still open in the daemon
        return True

    wait_until(seeded, 60, "the profile to be free to log in")
    time.sleep(3)  # heartbeats go on, saying logged out: they must not undo what follows
    assert server.job(job_id)["status"] == "NEEDS_LOGIN"

    env = {**os.environ, "PUBLISH_RUNNER_HOME": str(daemon.home),
           "PUBLISH_RUNNER_CONFIG": str(daemon.home / "none.yaml")}
    checked = subprocess.run(
        [sys.executable, "-m", "runner", "--log-level", "WARNING", "check-login",
         "--server-url", server.url, "--account", f"sandbox/main={daemon.profile}",
         "--base-url", f"sandbox={sandbox.url}", "--headless"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.split() == ["sandbox/main", "logged", "in"]

    job = server.wait_job(job_id, "SUCCEEDED", "FAILED", timeout=90)
    assert job["status"] == "SUCCEEDED", daemon.all_logs()
    assert job.get("lastErrorMessage") is None
    assert [p.text for p in sandbox.state.posts("main")] == [
        "Published after a login the daemon heard about"]
    assert daemon.logs("checking the login of every free profile")
    (device,) = server.api("GET", "/api/devices")
    assert [x["loggedIn"] for x in device["loginStatus"]] == [True]
