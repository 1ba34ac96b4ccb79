"""A hostile playbook in the daemon (issue 12, defect 8): a billion-laughs file ends the job
as PLAYBOOK_INVALID at once, with its file:line, not as "Timeout" after every attempt."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

LAUGHS = "\n".join(
    ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    + [f"l{i}: &l{i} [{', '.join([f'*l{i-1}'] * 9)}]" for i in range(1, 9)]) + "\n"


def test_a_billion_laughs_playbook_fails_the_job_as_invalid(
        server_factory: Any, daemon_factory: Any, tmp_path: Path) -> None:
    root = tmp_path / "definitions"
    for part in ("playbooks", "selectors"):
        shutil.copytree(ROOT / part, root / part)
    (root / "playbooks" / "sandbox.yaml").write_text(
        "platform: sandbox\nversion: 1\n" + LAUGHS, encoding="utf-8")
    server = server_factory()
    daemon_factory(server, PUBLISH_RUNNER_DEFINITIONS=str(root))
    post = server.publish("never parsed")
    (job,) = post["jobs"]
    started = time.monotonic()
    done = server.wait_job(job["id"], "FAILED", timeout=60)
    assert time.monotonic() - started < 30
    (run,) = done["runs"]
    assert run["errorCode"] == "PLAYBOOK_INVALID"
    assert "sandbox.yaml:" in (done["lastErrorMessage"] or "")
