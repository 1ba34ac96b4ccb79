"""Late success (issue 12, defect 9): an attempt recovered after a timeout that then reports
it published. The job's record must say what happened: which runs succeeded, none still
blamed on a timeout, the newer attempt stopped because an earlier one had published."""

from __future__ import annotations

from typing import Any

from tests.integration.server.conftest import DeviceApi, Running

FAR = 1e12  # a "now" past every timeout: recovery as the loop would do it later


def _recovered_then_retried(server: Running) -> tuple[DeviceApi, str, str, str, str, str]:
    """Attempt 1 reaches publish and goes silent; recovery takes it back; attempt 2 starts,
    verifies and keeps its after-publish proof. → (device, job, lease1, run1, lease2, run2)"""
    server.post()
    dev = server.device()
    job, lease1, run1 = dev.run_to()
    assert dev.events(job["id"], lease1, run1, "publish").status_code == 200
    [stuck] = [c for c in server.store.stuck_jobs(claimed_before=0, silent_before=FAR)
               if c.job_id == job["id"]]
    assert server.store.recover_running(stuck, silent_before=FAR) is not None
    again, lease2, run2 = dev.run_to()
    assert again["id"] == job["id"] and again["verifyFirst"] is True
    assert dev.events(job["id"], lease2, run2, "verify").status_code == 200
    assert dev.proof(job["id"], lease2, run2, "after_publish").status_code == 200
    return dev, job["id"], lease1, run1, lease2, run2


def _runs(server: Running, job_id: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in server.job(job_id)["runs"]}


def test_a_late_success_clears_the_timeout_and_says_why_the_newer_attempt_stopped(
    server: Running,
) -> None:
    dev, job_id, lease1, run1, lease2, run2 = _recovered_then_retried(server)
    late = dev.complete(job_id, lease1, run1, "SUCCEEDED", postUrl="https://x.test/p/1")
    assert late.status_code == 200, late.text
    job = server.job(job_id)
    assert job["status"] == "SUCCEEDED"
    assert job["lastErrorMessage"] is None  # not "Timeout - job stuck in RUNNING"
    runs = _runs(server, job_id)
    assert (runs[run1]["status"], runs[run1]["errorCode"]) == ("SUCCEEDED", None)
    assert (runs[run2]["status"], runs[run2]["errorCode"]) == ("CANCELLED", "SUPERSEDED")
    # The newer attempt verified the post live: its own success is recorded too.
    done = dev.complete(job_id, lease2, run2, "SUCCEEDED", postUrl="https://x.test/p/1")
    assert done.status_code == 200, done.text
    runs = _runs(server, job_id)
    assert (runs[run2]["status"], runs[run2]["errorCode"]) == ("SUCCEEDED", None)
    assert [p["kind"] for p in runs[run2]["proofs"]] == ["after_publish"]


def test_a_late_success_after_the_newer_attempt_succeeded_is_recorded_on_its_run(
    server: Running,
) -> None:
    dev, job_id, lease1, run1, lease2, run2 = _recovered_then_retried(server)
    assert dev.complete(job_id, lease2, run2, "SUCCEEDED",
                        postUrl="https://x.test/p/1").status_code == 200
    late = dev.complete(job_id, lease1, run1, "SUCCEEDED", postUrl="https://x.test/p/1")
    assert late.status_code == 200, late.text
    job = server.job(job_id)
    assert (job["status"], job["lastErrorMessage"]) == ("SUCCEEDED", None)
    runs = _runs(server, job_id)
    assert (runs[run1]["status"], runs[run1]["errorCode"]) == ("SUCCEEDED", None)
    assert runs[run2]["status"] == "SUCCEEDED"


def test_a_run_taken_back_after_publish_keeps_the_right_to_deliver_its_evidence(
    server: Running,
) -> None:
    """Issue 12, defect 2: its after-publish proof and its last events were refused with
    LEASE_LOST and lost; the job still ended SUCCEEDED through late success without them."""
    dev, job_id, lease1, run1, _, _ = _recovered_then_retried(server)
    proof = dev.proof(job_id, lease1, run1, "after_publish")
    assert proof.status_code == 200, proof.text
    logs = dev.events(job_id, lease1, run1, "verify")
    assert logs.status_code == 409 and "LEASE_LOST" in logs.text  # still told to stop...
    runs = _runs(server, job_id)
    assert [e["phase"] for e in runs[run1]["logs"]] == ["publish", "verify"]  # ...but kept
    assert [p["kind"] for p in runs[run1]["proofs"]] == ["after_publish"]
    late = dev.complete(job_id, lease1, run1, "SUCCEEDED", postUrl="https://x.test/p/1",
                        proofAssetIds=[proof.json()["assetId"]])
    assert late.status_code == 200, late.text
    assert server.job(job_id)["proofScreenshotAssetId"] == proof.json()["assetId"]


def test_a_run_taken_back_before_publish_delivers_nothing(server: Running) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    assert dev.events(job["id"], lease, run_id, "compose").status_code == 200
    [stuck] = [c for c in server.store.stuck_jobs(claimed_before=0, silent_before=FAR)
               if c.job_id == job["id"]]
    assert server.store.recover_running(stuck, silent_before=FAR) is not None
    assert dev.proof(job["id"], lease, run_id, "before_confirm").status_code == 409
    assert dev.events(job["id"], lease, run_id, "compose").status_code == 409
    [run] = server.job(job["id"])["runs"]
    assert (run["proofs"], [e["phase"] for e in run["logs"]]) == ([], ["compose"])
