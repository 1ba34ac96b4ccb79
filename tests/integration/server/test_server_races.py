"""Races: many devices claiming at once, completions racing the recovery loop, wake-ups."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from server import recovery
from server.store import Stuck
from tests.integration.server.conftest import Running, now_iso


def test_many_devices_claiming_at_once_never_share_a_job(server: Running) -> None:
    for _ in range(30):
        server.post()
    devices = [server.device(f"d{i}") for i in range(12)]
    claimed: list[str] = []
    lock = threading.Lock()
    go = threading.Barrier(len(devices))

    def drain(dev: object) -> None:
        go.wait()
        while (got := dev.claim(wait=0.3)) is not None:  # type: ignore[attr-defined]
            with lock:
                claimed.append(got["job"]["id"])

    with ThreadPoolExecutor(len(devices)) as pool:
        list(pool.map(drain, devices))
    assert len(claimed) == 30
    assert len(set(claimed)) == 30
    assert len(server.audit(action="JOB_CLAIMED")) == 30


def test_a_waiting_claim_gets_a_job_as_it_comes_due(server: Running) -> None:
    dev = server.device()
    result: dict[str, object] = {}
    waiter = threading.Thread(target=lambda: result.update(got=dev.claim(wait=20)))
    waiter.start()
    server.wait_until(lambda: server.srv.state.wakeup.waiting == 1, "claim waiting")
    reply = server.post(at=now_iso(0.5))  # due half a second from now: the timer fires
    waiter.join()
    got = result["got"]
    assert isinstance(got, dict) and got["job"]["id"] == reply["jobs"][0]["id"]


def test_a_waiting_claim_only_wakes_for_its_platform(server: Running) -> None:
    dev = server.device(platforms=["instagram"])
    result: dict[str, object] = {}
    waiter = threading.Thread(
        target=lambda: result.update(got=dev.claim(["instagram"], wait=20)))
    waiter.start()
    server.wait_until(lambda: server.srv.state.wakeup.waiting == 1, "claim waiting")
    server.post([("x", "main")])
    wanted = server.post([("instagram", "main")])
    waiter.join()
    got = result["got"]
    assert isinstance(got, dict) and got["job"]["id"] == wanted["jobs"][0]["id"]


def test_completion_before_the_recovery_update_is_never_overwritten(server: Running) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    store = server.store
    # The loop read its candidates "long after" the run went silent...
    far = 10_000.0
    [stuck] = [c for c in store.stuck_jobs(claimed_before=0, silent_before=far * 1e6)
               if c.job_id == job["id"]]
    # ...then the device completed before the loop's UPDATE ran.
    assert dev.complete(job["id"], lease, run_id, "SUCCEEDED").status_code == 200
    assert store.recover_running(stuck, silent_before=far * 1e6) is None
    got = server.job(job["id"])
    assert (got["status"], got["attemptCount"]) == ("SUCCEEDED", 0)
    assert got["runs"][0]["status"] == "SUCCEEDED"
    assert server.audit(job["id"], "JOB_STUCK_RECOVERY") == []


def test_progress_before_the_recovery_update_keeps_the_run(server: Running) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    store = server.store
    settings = server.settings.model_copy(update={"run_timeout": 0.001})
    candidates = store.stuck_jobs(claimed_before=0, silent_before=9e12)
    dev.events(job["id"], lease, run_id, "compose")  # progress lands in between
    progress = datetime.fromisoformat(server.job(job["id"])["updatedAt"]).timestamp()
    stuck = next(c for c in candidates if c.job_id == job["id"])
    # the loop's cutoff lies before that progress: its UPDATE must match nothing
    assert store.recover_running(stuck, silent_before=progress - 0.001) is None
    assert server.job(job["id"])["status"] == "RUNNING"
    # and a real pass with the run already silent does recover it
    report = recovery.recover_once(store, settings, now=progress + 1)
    assert [r.job_id for r in report.recovered] == [job["id"]]


def test_completion_racing_the_loop_in_threads_ends_succeeded(fast_server: Running) -> None:
    server = fast_server
    for _ in range(8):
        server.post()
    dev = server.device()
    runs = [dev.run_to() for _ in range(8)]
    server.wait_until(lambda: server.srv.state.recovery_passes > 0, "a pass")

    def finish(item: tuple[dict[str, object], str, str]) -> int:
        job, lease, run_id = item
        return dev.complete(str(job["id"]), lease, run_id, "SUCCEEDED").status_code

    # The loop may recover some of them first (runTimeout 1 s): success must still win.
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(finish, runs))
    assert codes == [200] * 8
    for job, _, _ in runs:
        assert server.job(str(job["id"]))["status"] == "SUCCEEDED"


def test_recover_claimed_rechecks_the_lease(server: Running) -> None:
    server.post()
    dev = server.device()
    got = dev.claim(wait=5)
    assert got is not None
    stale = Stuck(got["job"]["id"], got["job"]["status"], "another-lease")
    assert server.store.recover_claimed(stale, claimed_before=9e12) is None
    assert server.job(got["job"]["id"])["status"] == "CLAIMED"
