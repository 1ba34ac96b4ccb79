"""A server outage longer than runTimeout (issue 12, defect 2): the recovery loop must not
count the server's own downtime as the device's silence."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.server.conftest import DeviceApi, Running

RUN_TIMEOUT = 6.0  # seconds: longer than the test's steps after the restart, under load too


def _outage(server_factory: Callable[..., Running]) -> tuple[Running, DeviceApi, str, str, str]:
    """A run past its publish step, then the server down for an hour: (restarted server, the
    device speaking to it, job id, lease, run id)."""
    first = server_factory(run_timeout=RUN_TIMEOUT, recovery_interval=0.2)
    first.post()
    dev = first.device()
    job, lease, run_id = dev.run_to()
    assert dev.events(job["id"], lease, run_id, "publish").status_code == 200
    db = first.settings.db or str(first.store.path)  # type: ignore[attr-defined]
    first.close()
    first.srv.stop()
    conn = first.sql()  # an hour without a word: the device cannot reach the server
    conn.execute("UPDATE publishing_jobs SET updated_at = updated_at - 3600,"
                 " locked_at = locked_at - 3600")
    conn.close()
    again = server_factory(db=db, run_timeout=RUN_TIMEOUT, recovery_interval=0.2)
    back = DeviceApi(again.url, dev.id, dev.token)
    back.seq = dev.seq
    again.devices.append(back)
    return again, back, job["id"], lease, run_id


def test_the_first_passes_after_a_restart_leave_the_run_to_deliver(
    server_factory: Callable[..., Running],
) -> None:
    server, dev, job_id, lease, run_id = _outage(server_factory)
    server.wait_passes(3)  # recovery runs at once after the start...
    assert server.job(job_id)["status"] == "RUNNING"  # ...and does not count the outage
    # The device's outbox delivers what it kept while the server was down.
    assert dev.events(job_id, lease, run_id, "verify").status_code == 200
    assert dev.proof(job_id, lease, run_id, "after_publish").status_code == 200
    done = dev.complete(job_id, lease, run_id, "SUCCEEDED", postUrl="https://x.test/p/1")
    assert done.status_code == 200, done.text
    job = server.job(job_id)
    [run] = job["runs"]
    assert (job["status"], run["status"], run["errorCode"]) == ("SUCCEEDED", "SUCCEEDED", None)
    assert [p["kind"] for p in run["proofs"]] == ["after_publish"]
    assert [e["phase"] for e in run["logs"]] == ["publish", "verify"]
    assert server.audit(job_id, "JOB_STUCK_RECOVERY") == []


def test_a_run_still_silent_a_full_timeout_after_the_restart_is_recovered(
    server_factory: Callable[..., Running],
) -> None:
    server, _, job_id, _, _ = _outage(server_factory)
    job = server.wait_until(
        lambda: (j := server.job(job_id))["status"] == "QUEUED" and j, "recovery after grace")
    assert job["verifyFirst"] is True  # it had reached publish
    assert len(server.audit(job_id, "JOB_STUCK_RECOVERY")) == 1
