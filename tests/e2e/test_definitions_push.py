"""Shipping a selector fix to a running device: `publish-runner definitions push` (lint and
replay on the pushing machine, the gate on the server), the real daemon following the
heartbeat, the next job running with the pushed version, a push whose replay fails refused
with its failing scenarios, and rollback. Real server and daemon processes, the sandbox,
Chromium.

The pushed sets are the sandbox's own definitions with two of its scenarios, so each push
replays in seconds.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.definitions_set import hash_root
from tests.definitions_sets import role_first, sandbox_set
from tests.e2e.conftest import OPERATOR, ROOT, ServerProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCENARIOS = ("publish-text-en", "redesign-fallback-en")
APP = "/app/publishing"


def definitions(server: ServerProcess, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLISH_RUNNER_")}
    env.update({"PUBLISH_RUNNER_HOME": str(home), "PUBLISH_RUNNER_CONFIG": str(home / "no.yaml")})
    return subprocess.run(
        [sys.executable, "-m", "runner", "--log-level", "WARNING", "definitions", *args,
         "--server-url", server.url, "--operator-token", OPERATOR],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def published_run(server: ServerProcess, text: str) -> tuple[str, dict[str, Any]]:
    (job,) = server.publish(text)["jobs"]
    done = server.wait_job(job["id"], "SUCCEEDED", "FAILED", timeout=90)
    assert done["status"] == "SUCCEEDED", done
    (run,) = done["runs"]
    return str(job["id"]), run


def job_page(server: ServerProcess, job_id: str) -> str:
    with httpx.Client(base_url=server.url, timeout=30) as web:
        signed = web.post(f"{APP}/login", data={"token": OPERATOR, "next": f"{APP}/jobs"},
                          headers={"Origin": server.url})
        assert signed.status_code == 303, signed.text
        page = web.get(f"{APP}/jobs/{job_id}")
        bundle = web.get(f"{APP}/jobs/{job_id}/bundle.zip")
    assert page.status_code == 200 and bundle.status_code == 200
    summary = zipfile.ZipFile(io.BytesIO(bundle.content)).read("summary.json").decode()
    return page.text + "\n" + summary


def test_a_pushed_fix_reaches_the_running_daemon_and_rollback_works(
        server_factory: Any, daemon_factory: Any, sandbox: Any, tmp_path: Path) -> None:
    server = server_factory()
    daemon = daemon_factory(server)
    operator = tmp_path / "operator"
    operator.mkdir()

    # A first version: the sandbox's definitions as they are.
    v1 = sandbox_set(tmp_path / "v1", scenarios=SCENARIOS, note="v1")
    pushed = definitions(server, operator, "push", str(v1), "--author", "dana")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "replay: 2 scenario(s), 2 passed, 0 failed" in pushed.stdout
    assert "version 1 is current" in pushed.stdout
    wait_until(lambda: daemon.logs("now using definitions version 1"), 30,
               "the daemon to take version 1 from its heartbeat")

    # A selector change whose replay fails: refused, the failing scenario named, nothing
    # changes on the server.
    bad = sandbox_set(tmp_path / "bad", scenarios=SCENARIOS, note="bad")
    role_first(bad, fix_scenarios=False)
    refused = definitions(server, operator, "push", str(bad))
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "FAIL sandbox/redesign-fallback-en" in refused.stdout
    assert "publish-text-en" not in refused.stdout.split("FAIL", 1)[1]
    assert "REPLAY_FAILED" in refused.stderr
    assert "sandbox/redesign-fallback-en (failed" in refused.stderr

    # The same change with its scenarios updated: version 2, and the next job runs with it.
    v2 = sandbox_set(tmp_path / "v2", scenarios=SCENARIOS, note="v2")
    role_first(v2, fix_scenarios=True)
    pushed = definitions(server, operator, "push", str(v2), "--author", "dana")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "version 2 is current" in pushed.stdout
    wait_until(lambda: daemon.logs("now using definitions version 2"), 30,
               "the daemon to take version 2")
    job_id, run = published_run(server, "with the pushed selectors")
    assert (run["definitionsVersion"], run["definitionsHash"]) == (2, hash_root(v2))
    shown = job_page(server, job_id)
    assert re.search(r'data-definitions-version="2".*v2</bdi>', shown)
    assert hash_root(v2)[:19] in shown and '"definitionsVersion": 2' in shown
    cached = daemon.home / "definitions"
    assert [hash_root(p) for p in cached.glob("v2-*")] == [hash_root(v2)]

    # Rollback: version 1 is current again, and the daemon follows it.
    listed = definitions(server, operator, "list")
    assert re.search(r"^\*\s+2 .* dana ", listed.stdout, re.M), listed.stdout
    back = definitions(server, operator, "rollback", "1")
    assert back.returncode == 0 and "version 1 is current again" in back.stdout
    wait_until(lambda: len(daemon.logs("now using definitions version 1")) >= 2, 30,
               "the daemon to go back to version 1")
    _, run = published_run(server, "after the rollback")
    assert (run["definitionsVersion"], run["definitionsHash"]) == (1, hash_root(v1))
    assert len(sandbox.state.posts("main")) == 2
