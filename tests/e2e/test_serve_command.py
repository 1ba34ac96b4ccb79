"""`publish-runner serve` as an operator starts and stops it: what it prints, where the
tokens go, and a clean stop on SIGTERM while a device's long poll is open."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ROOT, free_port, wait_until

pytestmark = [pytest.mark.e2e]


def start_serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = {**os.environ, "PUBLISH_RUNNER_HOME": str(tmp_path / "home"),
           "PUBLISH_RUNNER_CONFIG": str(tmp_path / "none.yaml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "serve", "--port", str(port),
         "--data-dir", str(tmp_path / "data"), "--db", str(tmp_path / "server.db"), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.communicate()}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).is_success
        except httpx.HTTPError:
            return False

    wait_until(up, 30, "serve to answer")
    return proc, port


def test_serve_help_gives_every_option_a_description_and_default() -> None:
    done = subprocess.run([sys.executable, "-m", "runner", "serve", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stdout.split())
    for option in ("--db", "--host", "--port", "--operator-token", "--enroll-token",
                   "--claim-timeout", "--run-timeout", "--recovery-interval",
                   "--max-attempts", "--data-dir", "--config"):
        assert option in flat
    options = flat.split("Options:")[1]
    for text in ("[default: 127.0.0.1]", "[default: 8700]", "[default: 300", "[default: 600",
                 "[default: 120", "[default: 3]"):
        assert text in options, text


def test_tokens_are_saved_owner_only_and_printed_once(tmp_path: Path) -> None:
    first, port = start_serve(tmp_path)
    first.send_signal(signal.SIGTERM)
    out, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    tokens = tmp_path / "data" / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    saved = tokens.read_text()
    operator = next(line for line in out.splitlines() if "operator token" in line).split()[-1]
    assert operator in saved
    assert f"dashboard: http://127.0.0.1:{port}/app/publishing" in out + err
    assert operator not in err  # not in the log stream

    second, _ = start_serve(tmp_path)
    second.send_signal(signal.SIGTERM)
    out2, err2 = second.communicate(timeout=30)
    assert operator not in out2 + err2  # printed once, when it was made
    assert str(tokens) in out2 + err2  # says where it is


def test_sigterm_releases_an_open_long_poll_and_exits_cleanly(tmp_path: Path) -> None:
    proc, port = start_serve(tmp_path, "--enroll-token", "enroll", "--operator-token", "op")
    base = f"http://127.0.0.1:{port}"
    device = httpx.post(f"{base}/api/devices/register", headers={"Authorization":
                        "Bearer enroll"}, json={"name": "d", "platforms": ["sandbox"]}).json()
    answer: dict[str, object] = {}

    def long_poll() -> None:
        started = time.monotonic()
        try:
            reply = httpx.post(f"{base}/api/publishing/jobs/claim", timeout=60,
                               headers={"Authorization": f"Bearer {device['deviceToken']}"},
                               json={"platforms": ["sandbox"], "waitSec": 30})
            answer["status"] = reply.status_code
        except httpx.HTTPError as exc:
            answer["error"] = repr(exc)
        answer["seconds"] = time.monotonic() - started

    poller = threading.Thread(target=long_poll)
    poller.start()
    time.sleep(1.5)  # the claim is waiting inside the server
    stopped_at = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    poller.join(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - stopped_at < 5  # not the full graceful-shutdown timeout
    assert answer.get("status") == 204, answer  # released: "nothing came due"
    assert float(str(answer["seconds"])) < 10
    assert "Exception in ASGI application" not in err and "Traceback" not in err, err
