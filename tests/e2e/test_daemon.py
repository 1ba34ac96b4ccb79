"""The failure playbook from the device's side: the real daemon process, the real server
process, the sandbox and a real Chromium with a persistent profile."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from tests.e2e.conftest import faults_env, seed_profile, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def job_of(post: dict[str, Any]) -> str:
    (job,) = post["jobs"]
    return str(job["id"])


def post_status(server: Any, post: dict[str, Any]) -> str:
    return str(server.api("GET", f"/api/posts/{post['id']}")["status"])


def test_text_post_is_published_with_proofs(server_factory: Any, daemon_factory: Any,
                                            sandbox: Any) -> None:
    server = server_factory()
    daemon_factory(server)
    post = server.publish("Hello from the daemon 👋 مرحبا")
    job = server.wait_job(job_of(post), "SUCCEEDED")
    (run,) = job["runs"]
    assert {p["kind"] for p in run["proofs"]} == {"before_confirm", "after_publish"}
    assert job["postUrl"].startswith(sandbox.url + "/p/")
    assert job["proofScreenshotAssetId"]
    assert [p.text for p in sandbox.state.posts("main")] == ["Hello from the daemon 👋 مرحبا"]
    assert post_status(server, post) == "PUBLISHED"
    phases = {event["phase"] for event in run["logs"]}
    assert {"open", "compose", "confirm", "publish", "verify"} <= phases


def test_needs_login_then_login_and_check_status_requeues(
        server_factory: Any, daemon_factory: Any, sandbox: Any) -> None:
    server = server_factory()
    sandbox.state.set_faults("main", "session_expired")
    daemon = daemon_factory(server)
    post = server.publish("after the login")
    job_id = job_of(post)
    job = server.wait_job(job_id, "NEEDS_LOGIN")
    assert {p["kind"] for p in job["runs"][0]["proofs"]} == {"on_failure"}
    assert post_status(server, post) == "SCHEDULED"
    assert sandbox.state.posts() == []
    time.sleep(3)
    assert server.job(job_id)["status"] == "NEEDS_LOGIN"  # no automatic retry
    # The operator logs in by hand (the daemon closed the profile for that) ...
    sandbox.state.set_faults("main")
    seed_profile(daemon.profile, sandbox.state.login_cookie("main"))
    # ... and presses "🔄 فحص الحالة" (check status) for the device.
    (device,) = server.api("GET", "/api/devices")
    server.api("POST", f"/api/devices/{device['id']}/check-login")
    job = server.wait_job(job_id, "SUCCEEDED", timeout=90)
    assert len(job["runs"]) == 2
    assert len(sandbox.state.posts()) == 1
    assert post_status(server, post) == "PUBLISHED"


def test_selector_failure_fails_with_message_and_proof(server_factory: Any,
                                                      daemon_factory: Any,
                                                      sandbox: Any) -> None:
    server = server_factory()
    sandbox.state.set_faults("main", "redesign_broken")
    daemon_factory(server)
    post = server.publish("never posted")
    job = server.wait_job(job_of(post), "FAILED", timeout=90)
    assert "Composer textarea not found (selector composerTextarea in selectors/sandbox.yaml:" \
        in job["lastErrorMessage"]
    assert {p["kind"] for p in job["runs"][0]["proofs"]} == {"on_failure"}
    # The page as it was, and the trace, for diagnosis and for a new fixture.
    assert {f["kind"] for f in job["runs"][0]["snapshots"]} == {"failure_html", "trace"}
    assert post_status(server, post) == "FAILED"


def test_killed_while_claimed_is_recovered_and_published_once(
        server_factory: Any, daemon_factory: Any, sandbox: Any, tmp_path: Any) -> None:
    server = server_factory()
    daemon = daemon_factory(server, **faults_env(tmp_path, after_claim=30))
    post = server.publish("claimed, then killed")
    job_id = job_of(post)
    server.wait_job(job_id, "CLAIMED")
    daemon.kill()
    job = server.wait_job(job_id, "QUEUED", timeout=30)
    assert job["attemptCount"] == 1 and job["lockedByDeviceId"] is None
    audit = server.api("GET", "/api/audit", params={"jobId": job_id})
    assert any(entry["action"] == "JOB_STUCK_RECOVERY" for entry in audit)
    daemon.extra.pop("PUBLISH_RUNNER_TEST_FAULTS")
    daemon.start()
    server.wait_job(job_id, "SUCCEEDED", timeout=60)
    assert len(sandbox.state.posts()) == 1


def test_killed_while_running_is_recovered_and_published_once(
        server_factory: Any, daemon_factory: Any, sandbox: Any) -> None:
    server = server_factory()
    daemon = daemon_factory(server)
    sandbox.state.set_faults("main", "slow", slow_ms=4000)
    post = server.publish("running, then killed")
    job_id = job_of(post)
    server.wait_job(job_id, "RUNNING")
    daemon.kill()
    sandbox.state.set_faults("main")
    job = server.wait_job(job_id, "QUEUED", timeout=30)
    assert job["attemptCount"] == 1
    assert job["runs"][0]["status"] == "FAILED" and "Timeout" in job["runs"][0]["errorMessage"]
    assert job["verifyFirst"] is False  # it never reached publish
    daemon.start()
    server.wait_job(job_id, "SUCCEEDED", timeout=60)
    assert len(sandbox.state.posts()) == 1


def test_same_post_scheduled_twice_is_published_once(server_factory: Any,
                                                     daemon_factory: Any,
                                                     sandbox: Any) -> None:
    server = server_factory()
    post = server.publish("only once")
    again = server.api("POST", f"/api/posts/{post['id']}/schedule",
                       json={"scheduledAt": post["jobs"][0]["scheduledAt"]})
    assert [j["id"] for j in again["jobs"]] == [job_of(post)]
    daemon_factory(server)
    server.wait_job(job_of(post), "SUCCEEDED")
    time.sleep(2)
    assert len(sandbox.state.posts()) == 1


def test_killed_right_after_the_publish_click_publishes_once(
        server_factory: Any, daemon_factory: Any, sandbox: Any, tmp_path: Any) -> None:
    server = server_factory()
    daemon = daemon_factory(server, **faults_env(tmp_path, after_phase__publish=60))
    post = server.publish("clicked, then killed")
    job_id = job_of(post)
    wait_until(lambda: daemon.logs("pausing"), 60, "the publish click")
    wait_until(lambda: len(sandbox.state.posts()) == 1, 10, "the post on the sandbox")
    daemon.kill()
    daemon.extra.pop("PUBLISH_RUNNER_TEST_FAULTS")
    daemon.start()
    job = server.wait_job(job_id, "SUCCEEDED", timeout=90)
    assert len(sandbox.state.posts()) == 1
    assert job["postUrl"] == f"{sandbox.url}/p/{sandbox.state.posts()[0].id}"
    assert daemon.logs("may have been published") or job["verifyFirst"]


def test_results_survive_a_lost_server_and_a_daemon_restart(
        server_factory: Any, daemon_factory: Any, sandbox: Any) -> None:
    server = server_factory(**{"run-timeout": "120"})
    daemon = daemon_factory(server)
    # Slow answers: the sandbox records the post at once but shows the toast 3 s later, so
    # the server can be lost between the publish click and the results.
    sandbox.state.set_faults("main", "slow", slow_ms=3000)
    post = server.publish("while the server is away")
    job_id = job_of(post)
    wait_until(lambda: len(sandbox.state.posts()) == 1, 60, "the post on the sandbox")
    server.stop(signal.SIGKILL)
    wait_until(lambda: daemon.logs("server unavailable"), 60, "the outbox to hold results")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(60) == 0
    daemon.start()  # restarted while the server is still away: it keeps what it holds
    server.start()
    job = server.wait_job(job_id, "SUCCEEDED", timeout=90)
    (run,) = job["runs"]
    assert {p["kind"] for p in run["proofs"]} == {"before_confirm", "after_publish"}
    assert {"publish", "verify"} <= {e["phase"] for e in run["logs"]}
    assert len(sandbox.state.posts()) == 1
    assert post_status(server, post) == "PUBLISHED"


def test_sigterm_finishes_the_current_job_first(server_factory: Any, daemon_factory: Any,
                                                sandbox: Any) -> None:
    server = server_factory()
    daemon = daemon_factory(server)
    sandbox.state.set_faults("main", "slow", slow_ms=2000)
    post = server.publish("finished before exit")
    server.wait_job(job_of(post), "RUNNING")
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(90) == 0
    assert server.job(job_of(post))["status"] == "SUCCEEDED"
    assert len(sandbox.state.posts()) == 1


def test_cancel_reaches_the_running_device_before_publish(server_factory: Any,
                                                         daemon_factory: Any,
                                                         sandbox: Any) -> None:
    server = server_factory()
    daemon_factory(server)
    sandbox.state.set_faults("main", "slow", slow_ms=3000)
    post = server.publish("cancelled in time")
    job_id = job_of(post)
    server.wait_job(job_id, "RUNNING")
    server.api("POST", f"/api/publishing/jobs/{job_id}/cancel")
    server.wait_job(job_id, "CANCELLED")
    time.sleep(8)
    assert sandbox.state.posts() == []
    assert server.job(job_id)["status"] == "CANCELLED"


def test_manual_confirmation_gates_the_publish(server_factory: Any, daemon_factory: Any,
                                               sandbox: Any) -> None:
    server = server_factory()
    daemon_factory(server)
    post = server.publish("confirmed by a person", confirm="manual")
    job_id = job_of(post)
    job = server.wait_job(job_id, "AWAITING_CONFIRM")
    assert sandbox.state.posts() == []
    assert {p["kind"] for p in job["runs"][0]["proofs"]} == {"before_confirm"}
    server.api("POST", f"/api/publishing/jobs/{job_id}/confirm", json={"approve": True})
    server.wait_job(job_id, "SUCCEEDED")
    assert len(sandbox.state.posts()) == 1


def test_second_sigterm_hands_the_job_back_before_publish(server_factory: Any,
                                                         daemon_factory: Any,
                                                         sandbox: Any) -> None:
    server = server_factory()
    daemon = daemon_factory(server)
    sandbox.state.set_faults("main", "slow", slow_ms=4000)
    post = server.publish("handed back")
    job_id = job_of(post)
    server.wait_job(job_id, "RUNNING")
    daemon.signal(signal.SIGTERM)
    time.sleep(0.5)
    daemon.signal(signal.SIGTERM)
    assert daemon.wait_exit(90) == 0
    job = server.wait_job(job_id, "QUEUED", timeout=30)
    assert job["attemptCount"] == 0 and job["lockedByDeviceId"] is None
    assert job["runs"][0]["errorCode"] == "RELEASED"
    assert sandbox.state.posts() == []
    sandbox.state.set_faults("main")
    daemon.start()
    server.wait_job(job_id, "SUCCEEDED", timeout=60)
    assert len(sandbox.state.posts()) == 1


def test_run_without_a_server_starts_the_embedded_one(tmp_path: Any, sandbox: Any) -> None:
    import os
    import subprocess
    import sys

    import httpx

    from tests.e2e.conftest import ROOT

    profile = tmp_path / "profiles" / "sandbox" / "main"
    seed_profile(profile, sandbox.state.login_cookie("main"))
    env = {**os.environ, "PUBLISH_RUNNER_HOME": str(tmp_path),
           "PUBLISH_RUNNER_CONFIG": str(tmp_path / "none.yaml")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "--log-level", "WARNING", "run",
         "--account", f"sandbox/main={profile}", "--headless", "--min-gap", "0",
         "--base-url", f"sandbox={sandbox.url}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url_line, token_line = proc.stdout.readline(), proc.stdout.readline()
        assert url_line.startswith("embedded server: http://127.0.0.1:")
        assert token_line.startswith("operator token: ")
        url, token = url_line.split(": ", 1)[1].strip(), token_line.split(": ", 1)[1].strip()
        ops = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                           timeout=30)
        post = ops.post("/api/posts", json={
            "text": "on the embedded server", "confirmMode": "auto",
            "targets": [{"platform": "sandbox", "account": "main"}]}).json()
        ops.post(f"/api/posts/{post['id']}/submit")
        ops.post(f"/api/posts/{post['id']}/approve")
        job_id = ops.post(f"/api/posts/{post['id']}/schedule", json={
            "scheduledAt": "2020-01-01T00:00:00+00:00"}).json()["jobs"][0]["id"]
        wait_until(lambda: ops.get(f"/api/publishing/jobs/{job_id}").json()["status"]
                   == "SUCCEEDED", 90, "the embedded server's job")
        assert [p.text for p in sandbox.state.posts()] == ["on the embedded server"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0


def test_a_poisoned_outbox_row_at_the_head_does_not_stop_later_results(
        server_factory: Any, daemon_factory: Any, sandbox: Any) -> None:
    """The outbox of an older daemon holds, at its head, a completion the server's contract
    refuses (a playbook code over 100 characters): it is set aside, and what follows is
    delivered."""
    import json
    import sqlite3

    from runner.device.outbox import Outbox

    server = server_factory(**{"run-timeout": "60"})  # a loaded machine is no recovery case
    daemon = daemon_factory(server, start=False)
    Outbox(daemon.home / "outbox.db").close()
    with sqlite3.connect(daemon.home / "outbox.db") as db:
        db.execute("INSERT INTO items (job_id, run_id, lease_token, kind, payload, created_at)"
                   " VALUES ('job_old', 'run_old', 'lease_old', 'complete', ?, 0)",
                   (json.dumps({"outcome": "FAILED", "errorCode": "X" * 150,
                                "errorMessage": None, "postUrl": None, "proofKinds": []}),))
    daemon.start()
    post = server.publish("after the poisoned row")
    job = server.wait_job(job_of(post), "SUCCEEDED")
    assert {p["kind"] for p in job["runs"][0]["proofs"]} == {"before_confirm", "after_publish"}
    assert daemon.logs("out of contract")
    with sqlite3.connect(daemon.home / "outbox.db") as db:
        states = db.execute("SELECT state, count(*) FROM items GROUP BY state").fetchall()
    assert dict(states)["dead"] == 1 and "pending" not in dict(states)
    assert daemon.proc is not None and daemon.proc.poll() is None  # still running
