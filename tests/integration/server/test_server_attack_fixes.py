"""Server sides of issue 12's fixes, on both backends: the claim reply's verify hint
(defect 1), a device that keeps handing jobs back is seen and held off (defect 4), and a
claim whose reply never reached a device goes back quickly without counting an attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.integration.server.conftest import DeviceApi, Running

FAR = 1e12


def release(dev: DeviceApi, job: dict[str, Any], lease: str, run_id: str) -> None:
    r = dev.http.post(f"/api/publishing/jobs/{job['id']}/release",
                      json={"leaseToken": lease, "runId": run_id, "reason": "profile busy"})
    assert r.status_code == 200, r.text


def test_a_job_that_must_verify_first_is_told_what_tells_its_post_apart(
        server: Running) -> None:
    dev = server.device()
    server.post(text="same")
    job_a, lease_a, run_a = dev.run_to()
    got = dev.complete(job_a["id"], lease_a, run_a, "SUCCEEDED", postUrl="https://x.test/p/1")
    assert got.status_code == 200, got.text
    server.post(text="same")
    job_b, lease_b, run_b = dev.run_to()
    assert dev.events(job_b["id"], lease_b, run_b, "publish").status_code == 200
    failed = dev.complete(job_b["id"], lease_b, run_b, "FAILED", errorCode="PLATFORM_ERROR")
    assert failed.status_code == 200, failed.text
    server.ok("POST", f"/api/publishing/jobs/{job_b['id']}/retry")
    claim = dev.claim(["x"], wait=5)
    assert claim is not None and claim["job"]["verifyFirst"] is True
    hint = claim["verify"]
    assert hint["claimedUrls"] == ["https://x.test/p/1"]  # A's, never B's own
    started = server.job(job_b["id"])["runs"][0]["startedAt"]
    assert datetime.fromisoformat(hint["publishStartedAt"]) == datetime.fromisoformat(started)
    first = dev.claim(["x"])
    assert first is None
    server.post(text="fresh")
    plain = dev.claim(["x"], wait=5)
    assert plain is not None and plain["verify"] is None  # nothing to verify


def test_a_device_that_keeps_releasing_is_seen_and_held_off(server: Running) -> None:
    server.post()
    dev = server.device("hot-loop")
    for _ in range(3):
        job, lease, run_id = dev.run_to()
        release(dev, job, lease, run_id)
    (shown,) = [d for d in server.ok("GET", "/api/devices") if d["id"] == dev.id]
    assert shown["releases"] == 3 and shown["releaseStreak"] == 3
    assert shown["heldUntil"] is not None
    assert dev.claim(["x"]) is None  # held off: the job waits for another device
    other = server.device("works")
    job, lease, run_id = other.run_to()
    assert other.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200
    assert server.audit(action="DEVICE_HELD_OFF")


def test_a_finished_run_ends_the_streak(server: Running) -> None:
    dev = server.device()
    for _ in range(3):
        server.post()
    for _ in range(2):
        job, lease, run_id = dev.run_to()
        release(dev, job, lease, run_id)
    job, lease, run_id = dev.run_to()
    assert dev.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200
    (shown,) = [d for d in server.ok("GET", "/api/devices") if d["id"] == dev.id]
    assert shown["releases"] == 2 and shown["releaseStreak"] == 0
    assert shown["heldUntil"] is None


def test_an_unstarted_claim_goes_back_without_an_attempt(server_factory: Any) -> None:
    server = server_factory(claim_ack_timeout_s=0.5, recovery_interval=0.2)
    server.post()
    dev = server.device()
    claim = dev.claim(["x"], wait=5)  # the reply is "lost": never started
    assert claim is not None
    job = server.wait_job(claim["job"]["id"], "QUEUED")
    assert job["attemptCount"] == 0
    assert server.audit(job_id=job["id"], action="JOB_CLAIM_UNACKED")
    again, lease, run_id = dev.run_to()
    assert again["id"] == job["id"]
    assert dev.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200


def test_a_success_at_another_jobs_url_is_inconclusive(server: Running) -> None:
    dev = server.device()
    server.post(text="same")
    server.post(text="same")
    job_a, lease_a, run_a = dev.run_to()
    assert dev.complete(job_a["id"], lease_a, run_a, "SUCCEEDED",
                        postUrl="https://x.test/p/1").status_code == 200
    job_b, lease_b, run_b = dev.run_to()
    got = dev.complete(job_b["id"], lease_b, run_b, "SUCCEEDED", postUrl="https://x.test/p/1")
    assert got.status_code == 200, got.text
    job = server.job(job_b["id"])
    assert job["status"] == "FAILED" and job["postUrl"] is None
    assert job["lastErrorMessage"] and job_a["id"] in job["lastErrorMessage"]
    assert job["runs"][0]["errorCode"] == "VERIFY_IMPOSSIBLE"
    assert server.job(job_a["id"])["postUrl"] == "https://x.test/p/1"
