"""Every numbered scenario of the failure playbook, played over HTTP on a real SQLite file."""

from __future__ import annotations

import hashlib

from tests.integration.server.conftest import PNG, Running, now_iso

# --- §1 NEEDS_LOGIN -----------------------------------------------------------------------


def test_needs_login_waits_for_login_then_requeues(server: Running) -> None:
    post = server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    r = dev.complete(job["id"], lease, run_id, "NEEDS_LOGIN", errorCode="NEEDS_LOGIN",
                     errorMessage="login page shown")
    assert r.status_code == 200, r.text
    server.wait_passes(3)  # no automatic retry, whatever the loop does

    stuck = server.job(job["id"])
    assert stuck["status"] == "NEEDS_LOGIN"
    assert stuck["runs"][0]["status"] == "NEEDS_LOGIN"
    detail = server.ok("GET", f"/api/posts/{post['id']}")
    assert detail["status"] == "SCHEDULED"
    assert any("needs login" in w for w in detail["warnings"])

    assert dev.heartbeat()["checkLogin"] is False
    server.ok("POST", f"/api/devices/{dev.id}/check-login")
    assert dev.heartbeat()["checkLogin"] is True  # the "check status" button reached it
    assert dev.login_status("x", "main", False) == {"requeuedJobIds": []}
    assert server.job(job["id"])["status"] == "NEEDS_LOGIN"
    assert dev.login_status("x", "main", True) == {"requeuedJobIds": [job["id"]]}
    assert dev.heartbeat()["checkLogin"] is False

    assert server.job(job["id"])["status"] == "QUEUED"
    assert [a["action"] for a in server.audit(job["id"])][-1] == "JOB_REQUEUED_AFTER_LOGIN"
    job2, lease2, run2 = dev.run_to()
    assert job2["id"] == job["id"]
    assert dev.complete(job["id"], lease2, run2, "SUCCEEDED", postUrl="https://x/1").is_success
    assert server.post_status(post["id"]) == "PUBLISHED"


def test_login_of_another_device_does_not_requeue(server: Running) -> None:
    server.post()
    dev, other = server.device("a"), server.device("b")
    job, lease, run_id = dev.run_to()
    dev.complete(job["id"], lease, run_id, "NEEDS_LOGIN")
    assert other.login_status("x", "main", True) == {"requeuedJobIds": []}
    assert server.job(job["id"])["status"] == "NEEDS_LOGIN"


# --- §2 selector fails ---------------------------------------------------------------------


def test_selector_failure_fails_with_message_logs_and_proof(server: Running) -> None:
    post = server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    assert dev.events(job["id"], lease, run_id, "open", "compose").is_success
    proof = dev.proof(job["id"], lease, run_id, "on_failure")
    assert proof.status_code == 200, proof.text
    r = dev.complete(job["id"], lease, run_id, "FAILED", errorCode="SELECTOR_NOT_FOUND",
                     errorMessage="Composer textarea not found",
                     proofAssetIds=[proof.json()["assetId"]])
    assert r.status_code == 200, r.text

    got = server.job(job["id"])
    assert got["status"] == "FAILED"
    assert got["lastErrorMessage"] == "Composer textarea not found"
    assert got["proofScreenshotAssetId"] == proof.json()["assetId"]
    run = got["runs"][0]
    assert (run["status"], run["errorCode"]) == ("FAILED", "SELECTOR_NOT_FOUND")
    assert [e["phase"] for e in run["logs"]] == ["open", "compose"]
    assert [p["kind"] for p in run["proofs"]] == ["on_failure"]
    assert server.post_status(post["id"]) == "FAILED"
    image = server.op.get(f"/api/assets/{got['proofScreenshotAssetId']}")
    assert (image.status_code, image.headers["content-type"], image.content) == (
        200, "image/png", PNG)

    # Temporary workaround: cancel is refused on a terminal job; retry re-queues it.
    assert server.op.post(f"/api/publishing/jobs/{job['id']}/cancel").status_code == 409
    assert server.ok("POST", f"/api/publishing/jobs/{job['id']}/retry")["status"] == "QUEUED"
    assert server.post_status(post["id"]) == "SCHEDULED"


# --- §3 stuck in CLAIMED -------------------------------------------------------------------


def test_stuck_claimed_requeues_then_fails_at_max_attempts(
    server_factory: type[Running],
) -> None:
    server = server_factory(claim_timeout=1.0, run_timeout=30.0, recovery_interval=0.2,
                            max_attempts=2)
    post = server.post()
    dev = server.device()
    first = dev.claim(wait=5)
    assert first is not None
    job_id = first["job"]["id"]

    requeued = server.wait_job(job_id, "QUEUED")  # the device "crashed" after claiming
    assert requeued["attemptCount"] == 1
    assert requeued["lockedByDeviceId"] is None and requeued["lockedAt"] is None
    stale = dev.http.post(f"/api/publishing/jobs/{job_id}/start",
                          json={"leaseToken": first["leaseToken"]})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "LEASE_LOST"
    [entry] = server.audit(job_id, "JOB_STUCK_RECOVERY")
    assert entry["detail"]["fromStatus"] == "CLAIMED"
    assert entry["detail"]["toStatus"] == "QUEUED"

    assert dev.claim(wait=5) is not None
    failed = server.wait_job(job_id, "FAILED")
    assert failed["attemptCount"] == 2
    assert "CLAIMED" in failed["lastErrorMessage"]
    assert len(server.audit(job_id, "JOB_STUCK_RECOVERY")) == 2
    assert server.post_status(post["id"]) == "FAILED"


# --- §4 stuck in RUNNING -------------------------------------------------------------------


def test_stuck_running_fails_run_with_timeout_and_requeues(fast_server: Running) -> None:
    server = fast_server
    post = server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    assert server.post_status(post["id"]) == "PUBLISHING"
    dev.events(job["id"], lease, run_id, "open")

    got = server.wait_job(job["id"], "QUEUED")
    assert got["attemptCount"] == 1
    assert got["verifyFirst"] is False  # it never reached publish: a plain retry is safe
    assert got["runs"][0]["status"] == "FAILED"
    assert got["runs"][0]["errorMessage"] == "Timeout"
    assert got["lastErrorMessage"] == "Timeout - job stuck in RUNNING"
    [entry] = server.audit(job["id"], "JOB_STUCK_RECOVERY")
    assert entry["detail"]["fromStatus"] == "RUNNING"
    assert server.post_status(post["id"]) == "SCHEDULED"
    late = dev.events(job["id"], lease, run_id, "compose")
    assert late.status_code == 409  # a stale attempt's progress is refused


def test_run_that_reached_publish_comes_back_with_verify_first(fast_server: Running) -> None:
    server = fast_server
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    dev.events(job["id"], lease, run_id, "compose", "publish")  # then the device died

    got = server.wait_job(job["id"], "QUEUED")
    assert got["verifyFirst"] is True
    assert got["runs"][0]["reachedPublish"] is True
    [entry] = server.audit(job["id"], "JOB_STUCK_RECOVERY")
    assert entry["detail"]["verifyFirst"] is True
    again = dev.claim(wait=5)
    assert again is not None and again["job"]["verifyFirst"] is True


def test_stuck_running_at_max_attempts_fails(server_factory: type[Running]) -> None:
    server = server_factory(claim_timeout=30.0, run_timeout=1.0, recovery_interval=0.2,
                            max_attempts=1)
    post = server.post()
    dev = server.device()
    job, _, _ = dev.run_to()
    got = server.wait_job(job["id"], "FAILED")
    assert got["attemptCount"] == 1
    assert got["runs"][0]["errorMessage"] == "Timeout"
    assert server.post_status(post["id"]) == "FAILED"


def test_progress_keeps_a_long_run_alive(fast_server: Running) -> None:
    server = fast_server
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    start = server.srv.state.recovery_passes
    while server.srv.state.recovery_passes < start + 12:  # well past runTimeout
        assert dev.events(job["id"], lease, run_id, "compose").json()["status"] == "RUNNING"
    assert server.job(job["id"])["attemptCount"] == 0


def test_late_success_from_a_recovered_run_is_the_truth(fast_server: Running) -> None:
    server = fast_server
    post = server.post()
    slow, fresh = server.device("slow"), server.device("fresh")
    job, lease, run_id = slow.run_to()
    slow.events(job["id"], lease, run_id, "publish")
    server.wait_job(job["id"], "QUEUED")
    _, lease2, run2 = fresh.run_to()

    r = slow.complete(job["id"], lease, run_id, "SUCCEEDED", postUrl="https://x/late")
    assert r.status_code == 200, r.text
    got = server.job(job["id"])
    assert (got["status"], got["postUrl"]) == ("SUCCEEDED", "https://x/late")
    assert [run["status"] for run in got["runs"]] == ["SUCCEEDED", "CANCELLED"]
    assert server.audit(job["id"], "JOB_LATE_SUCCESS")
    told = fresh.events(job["id"], lease2, run2, "compose").json()
    assert (told["status"], told["cancelRequested"]) == ("SUCCEEDED", True)
    assert job["id"] in fresh.heartbeat(job["id"])["cancelJobIds"]
    assert server.post_status(post["id"]) == "PUBLISHED"
    # the other attempt finishing later answers 200 and changes nothing
    assert fresh.complete(job["id"], lease2, run2, "FAILED").status_code == 200
    assert server.job(job["id"])["status"] == "SUCCEEDED"


# --- §5 double publish attempt -------------------------------------------------------------


def test_schedule_is_an_idempotent_upsert(server: Running) -> None:
    at = now_iso(-5)
    first = server.post([("x", "main"), ("instagram", "main")], at=at)
    again = server.ok("POST", f"/api/posts/{first['id']}/schedule", json={"scheduledAt": at})
    assert [j["id"] for j in again["jobs"]] == [j["id"] for j in first["jobs"]]
    [x_job] = [j for j in first["jobs"] if j["platform"] == "x"]
    assert x_job["idempotencyKey"].startswith(f"{first['id']}:x:")

    dev = server.device()
    job, lease, run_id = dev.run_to()
    for when in (at, now_iso(60)):  # same key, and a new key: neither touches RUNNING
        reply = server.ok("POST", f"/api/posts/{first['id']}/schedule",
                          json={"scheduledAt": when})
        jobs = [j for j in reply["jobs"] if j["platform"] == "x"]
        assert [(j["id"], j["status"]) for j in jobs] == [(job["id"], "RUNNING")]
    assert any("not rescheduled" in w for w in reply["warnings"])
    assert len(server.ok("GET", "/api/publishing/jobs", params={"postId": first["id"]})) == 2

    assert dev.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200
    assert dev.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200
    assert dev.complete(job["id"], lease, run_id, "FAILED").status_code == 200
    assert server.job(job["id"])["status"] == "SUCCEEDED"
    assert len(server.audit(job["id"], "JOB_SUCCEEDED")) == 1


def test_the_unique_constraints_hold_in_the_database(server: Running) -> None:
    reply = server.post()
    [job] = reply["jobs"]
    db = server.sql()
    for sql, args in (
        ("UPDATE publishing_jobs SET idempotency_key = ? WHERE id <> ?",
         (job["idempotencyKey"], job["id"])),
        ("INSERT INTO publishing_jobs (id, post_id, platform, account, scheduled_at,"
         " idempotency_key, max_attempts, created_at, updated_at)"
         " VALUES ('dup', ?, 'x', 'main', 0, 'other-key', 3, 0, 0)", (reply["id"],)),
    ):
        try:
            changed = db.execute(sql, args).rowcount
        except Exception as exc:
            assert "unique" in str(exc).lower()
        else:
            assert changed == 0
    db.close()


# --- §6 proof screenshot missing -----------------------------------------------------------


def test_proofs_at_every_point_idempotent_and_checked(server: Running) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    before = dev.proof(job["id"], lease, run_id, "before_confirm")
    assert before.status_code == 200, before.text
    assert dev.proof(job["id"], lease, run_id, "before_confirm").json() == before.json()
    wrong = dev.proof(job["id"], lease, run_id, "after_publish", sha="0" * 64)
    assert wrong.status_code == 422
    text = dev.proof(job["id"], lease, run_id, "after_publish", data=b"hello, not an image")
    assert text.status_code == 415
    assert dev.proof("job_nope", lease, run_id, "after_publish").status_code == 404
    proofs = server.job(job["id"])["runs"][0]["proofs"]
    assert [p["kind"] for p in proofs] == ["before_confirm"]
    assert proofs[0]["sha256"] == hashlib.sha256(PNG).hexdigest()


def test_success_without_proof_is_recorded_as_such(server: Running) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    assert dev.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200
    got = server.job(job["id"])
    assert got["status"] == "SUCCEEDED" and got["proofScreenshotAssetId"] is None


def test_oversize_upload_is_refused(server_factory: type[Running]) -> None:
    server = server_factory(max_asset_bytes=1000)
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    big = PNG + b"\0" * 2000
    assert dev.proof(job["id"], lease, run_id, "after_publish", data=big).status_code == 413
    r = server.op.post("/api/assets", files={"file": ("a.png", big, "image/png")})
    assert r.status_code == 413
    assert server.job(job["id"])["runs"][0]["proofs"] == []


# --- §7 post status mismatch ---------------------------------------------------------------


def test_post_status_follows_its_jobs(server: Running) -> None:
    post = server.post([("x", "main"), ("instagram", "main")])
    assert server.post_status(post["id"]) == "SCHEDULED"
    dev = server.device(platforms=["x", "instagram"])
    job, lease, run_id = dev.run_to("x")
    assert server.post_status(post["id"]) == "PUBLISHING"
    dev.complete(job["id"], lease, run_id, "SUCCEEDED")
    assert server.post_status(post["id"]) == "SCHEDULED"  # instagram still queued
    job2, lease2, run2 = dev.run_to("instagram")
    dev.complete(job2["id"], lease2, run2, "NEEDS_LOGIN")
    assert server.post_status(post["id"]) == "SCHEDULED"
    dev.login_status("instagram", "main", True)
    job3, lease3, run3 = dev.run_to("instagram")
    dev.complete(job3["id"], lease3, run3, "SUCCEEDED")
    assert server.post_status(post["id"]) == "PUBLISHED"


def test_loop_corrects_a_drifted_post_status(server: Running) -> None:
    post = server.post()
    db = server.sql()
    db.execute("UPDATE posts SET status = 'PUBLISHED' WHERE id = ?", (post["id"],))
    db.close()
    server.wait_until(lambda: server.post_status(post["id"]) == "SCHEDULED", "correction")
    [entry] = [a for a in server.audit(action="POST_STATUS_CORRECTED")
               if a["postId"] == post["id"]]
    assert entry["detail"] == {"fromStatus": "PUBLISHED", "toStatus": "SCHEDULED"}


# --- recovery commands: cancel, reschedule, devices, logs ------------------------------------


def test_cancel_reaches_the_running_device_and_reschedule_makes_a_new_job(
    server: Running,
) -> None:
    post = server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    assert dev.events(job["id"], lease, run_id, "open").json()["cancelRequested"] is False
    cancelled = server.ok("POST", f"/api/publishing/jobs/{job['id']}/cancel")
    assert cancelled["status"] == "CANCELLED"
    assert dev.heartbeat(job["id"])["cancelJobIds"] == [job["id"]]
    reply = dev.events(job["id"], lease, run_id, "compose").json()
    assert (reply["status"], reply["cancelRequested"]) == ("CANCELLED", True)
    assert dev.complete(job["id"], lease, run_id, "FAILED",
                        errorCode="CANCELLED").status_code == 200
    assert dev.heartbeat()["cancelJobIds"] == []  # acknowledged
    assert server.post_status(post["id"]) == "APPROVED"

    again = server.ok("POST", f"/api/posts/{post['id']}/schedule",
                      json={"scheduledAt": now_iso(-0.5)})
    assert [j["status"] for j in again["jobs"]] == ["CANCELLED", "QUEUED"]
    assert again["status"] == "SCHEDULED"


def test_devices_online_then_offline(server_factory: type[Running]) -> None:
    server = server_factory(online_window=1.0, recovery_interval=0.2)
    dev = server.device()
    dev.heartbeat(logins=[{"platform": "x", "account": "main", "loggedIn": True}])
    [listed] = server.ok("GET", "/api/devices")
    assert listed["status"] == "ONLINE"
    assert listed["loginStatus"][0]["loggedIn"] is True
    reply = server.post()
    assert not any("no online device" in w for w in reply["warnings"])
    server.wait_until(lambda: server.ok("GET", "/api/devices")[0]["status"] == "OFFLINE",
                      "device offline")
    later = server.post(at=now_iso(100))
    assert any("no online device" in w for w in later["warnings"])


def test_manual_confirm_gate(server: Running) -> None:
    server.post(confirm="manual")
    dev = server.device()
    job, lease, run_id = dev.run_to()
    proof = dev.proof(job["id"], lease, run_id, "before_confirm").json()["assetId"]
    wait = dev.awaiting_confirm(job["id"], lease, run_id, proof).json()
    assert wait == {"proceed": False, "confirmDecision": None}
    assert dev.events(job["id"], lease, run_id).json()["confirmDecision"] is None
    assert server.job(job["id"])["status"] == "AWAITING_CONFIRM"
    approved = server.ok("POST", f"/api/publishing/jobs/{job['id']}/confirm",
                         json={"approve": True})
    assert approved["confirmDecision"] == "approved"
    assert dev.events(job["id"], lease, run_id).json()["confirmDecision"] == "approved"
    again = server.op.post(f"/api/publishing/jobs/{job['id']}/confirm", json={"approve": False})
    assert again.status_code == 409
    assert dev.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200


def test_manual_confirm_rejected_cancels(server: Running) -> None:
    server.post(confirm="manual")
    dev = server.device()
    job, lease, run_id = dev.run_to()
    dev.awaiting_confirm(job["id"], lease, run_id)
    server.ok("POST", f"/api/publishing/jobs/{job['id']}/confirm", json={"approve": False})
    reply = dev.events(job["id"], lease, run_id).json()
    assert reply == {"status": "CANCELLED", "cancelRequested": True,
                     "confirmDecision": "rejected"}


def test_auto_confirm_proceeds_at_once(server: Running) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    reply = dev.awaiting_confirm(job["id"], lease, run_id).json()
    assert reply == {"proceed": True, "confirmDecision": "approved"}
    assert server.op.post(f"/api/publishing/jobs/{job['id']}/confirm",
                          json={"approve": True}).status_code == 409
