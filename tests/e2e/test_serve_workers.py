"""`publish-runner serve --workers N`: N replica processes on one port (PostgreSQL only)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from server.serve import WORKER_HEADER
from tests.e2e.conftest import ROOT, workers_of
from tests.e2e.test_serve_command import start_serve

pytestmark = [pytest.mark.e2e]

OPERATOR, ENROLL = "workers-operator", "workers-enroll"


def _pinned(url: str, pids: set[int]) -> dict[int, httpx.Client]:
    """One keep-alive client per worker: new connections until each worker has answered one
    (the kernel gives each new connection to whichever worker accepts it first)."""
    clients: dict[int, httpx.Client] = {}
    for _ in range(200):
        client = httpx.Client(base_url=url, timeout=30)
        pid = int(client.get("/openapi.json").headers[WORKER_HEADER])
        if pid in clients:
            client.close()
        else:
            clients[pid] = client
        if set(clients) == pids:
            break
    return clients


def test_two_workers_answer_share_the_jobs_and_stop_on_sigterm(
    tmp_path: Path, new_database: Callable[[], str],
) -> None:
    proc, port = start_serve(tmp_path, "--db", new_database(), "--workers", "2",
                             "--operator-token", OPERATOR, "--enroll-token", ENROLL)
    try:
        pids = set(workers_of(proc.pid))
        assert len(pids) == 2, pids
        clients = _pinned(f"http://127.0.0.1:{port}", pids)
        assert set(clients) == pids  # both answer, each with its own process id
        one, other = clients.values()
        # A device enrolls through one worker and long-polls through the other...
        token = one.post("/api/devices/register", json={"name": "w", "platforms": ["x"]},
                         headers={"Authorization": f"Bearer {ENROLL}"}).json()["deviceToken"]
        device = {"Authorization": f"Bearer {token}"}
        assert other.post("/api/publishing/jobs/claim", headers=device,
                          json={"platforms": ["x"], "waitSec": 0}).status_code == 204
        # ...while a job is scheduled through the first: the other worker's claim gets it.
        claimed: list[httpx.Response] = []
        waiting = threading.Thread(target=lambda: claimed.append(other.post(
            "/api/publishing/jobs/claim", headers=device,
            json={"platforms": ["x"], "waitSec": 20})))
        waiting.start()
        time.sleep(0.5)  # in its long poll (if not yet, its first look finds the job)
        operator = {"Authorization": f"Bearer {OPERATOR}"}
        post = one.post("/api/posts", headers=operator,
                        json={"text": "t", "targets": [{"platform": "x"}]}).json()
        for step in ("submit", "approve"):
            assert one.post(f"/api/posts/{post['id']}/{step}", headers=operator).is_success
        at = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
        job = one.post(f"/api/posts/{post['id']}/schedule", headers=operator,
                       json={"scheduledAt": at}).json()["jobs"][0]
        waiting.join(timeout=30)
        (claim,) = claimed
        assert claim.status_code == 200 and claim.json()["job"]["id"] == job["id"]
        assert one.get(f"/api/publishing/jobs/{job['id']}",
                       headers=operator).json()["status"] == "CLAIMED"
        for client in clients.values():
            client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, proc.communicate()
    for pid in pids:  # every worker is gone (the parent waited for each), none left behind
        assert not os.path.exists(f"/proc/{pid}")


def test_workers_on_sqlite_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runner", "serve", "--db", str(tmp_path / "s.db"),
         "--workers", "2", "--data-dir", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PostgreSQL" in lines[0] and "SQLite" in lines[0], lines
