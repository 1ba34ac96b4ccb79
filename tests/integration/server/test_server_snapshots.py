"""Failure snapshots (page HTML, trace zip) and job hand-back, over real HTTP."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def snapshot(device: Any, job_id: str, lease: str, run_id: str, kind: str, data: bytes) -> Any:
    return device.http.post(
        f"/api/publishing/jobs/{job_id}/snapshots",
        data={"leaseToken": lease, "runId": run_id, "kind": kind,
              "sha256": hashlib.sha256(data).hexdigest()},
        files={"file": ("x.bin", data, "application/octet-stream")})


def trace_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("trace.trace", "{}")
    return buf.getvalue()


def test_snapshots_are_stored_typed_and_listed_on_the_run(server: Any) -> None:
    device = server.device()
    server.post()
    job, lease, run_id = device.run_to()
    html = b"<!-- publish-runner failure snapshot -->\n<html><body>x</body></html>"
    first = snapshot(device, job["id"], lease, run_id, "failure_html", html)
    assert first.status_code == 200, first.text
    again = snapshot(device, job["id"], lease, run_id, "failure_html", html)
    assert again.json() == first.json()  # idempotent
    assert snapshot(device, job["id"], lease, run_id, "trace", trace_zip()).status_code == 200
    refused = snapshot(device, job["id"], lease, run_id, "trace", PNG_HEAD)
    assert refused.status_code == 415 and "error" in refused.json()
    bad_kind = snapshot(device, job["id"], lease, run_id, "video", html)
    assert bad_kind.status_code == 422
    run = server.job(job["id"])["runs"][0]
    assert sorted((s["kind"], s["contentType"]) for s in run["snapshots"]) == [
        ("failure_html", "text/html"), ("trace", "application/zip")]


def test_a_device_hands_a_job_back_before_publish(server: Any) -> None:
    device = server.device()
    server.post()
    job, lease, run_id = device.run_to()
    reply = device.http.post(f"/api/publishing/jobs/{job['id']}/release",
                             json={"leaseToken": lease, "runId": run_id, "reason": "shutdown"})
    assert reply.status_code == 200, reply.text
    back = server.job(job["id"])
    assert back["status"] == "QUEUED" and back["attemptCount"] == 0
    assert back["lockedByDeviceId"] is None
    assert back["runs"][0]["status"] == "CANCELLED"
    assert any(a["action"] == "JOB_RELEASED" for a in server.audit(job["id"]))
    # Once past publish, a run cannot be handed back: it must complete.
    job, lease, run_id = device.run_to()
    device.events(job["id"], lease, run_id, "publish")
    late = device.http.post(f"/api/publishing/jobs/{job['id']}/release",
                            json={"leaseToken": lease, "runId": run_id})
    assert late.status_code == 409
