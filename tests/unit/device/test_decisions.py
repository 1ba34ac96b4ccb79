"""The daemon's decisions, against an in-memory server (through the real client), a
scripted engine and profiles without a browser: what it hands back, what it never
publishes, what it reports, and that it never goes on half-broken."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from contract import codes
from contract import models as s
from runner.device.items import Completion, RefusedItem, RunKey
from runner.device.outbox import Outbox
from runner.engine import Status
from tests.unit.device.fakes import Script


@pytest.mark.asyncio
async def test_shutdown_before_publish_hands_the_job_back(rig: Any) -> None:
    r = await rig()
    r.engine.scripts.append(Script(hold_in="compose"))
    job = r.server.add_job("handed back")
    await asyncio.wait_for(r.engine.holding.wait(), 10)
    r.daemon.request_stop()  # first signal: finish the current job ...
    r.daemon.request_stop()  # ... second: stop at the next safe point, hand it back
    r.engine.release_hold.set()
    assert await r.stop() == 0
    assert job.status is s.JobStatus.QUEUED
    (release,) = job.releases
    assert "shutting down" in release.reason
    assert r.engine.clicked == [] and job.completions == []


@pytest.mark.asyncio
async def test_lost_lease_at_the_publish_guard_publishes_nothing(rig: Any) -> None:
    r = await rig()
    r.server.lose_lease_at_guard = True
    job = r.server.add_job("never twice")
    await r.server.wait_for(lambda: "verify" in r.engine.reached or
                            ("/api/publishing/jobs/job-1/events", "LEASE_LOST")
                            in r.server.refused)
    await asyncio.sleep(0.2)  # whatever the daemon would do next, it has done
    assert r.engine.clicked == []
    assert "publish" in r.engine.reached and "verify" not in r.engine.reached
    assert job.completions == [] and job.releases == []  # the job is someone else's now
    assert r.daemon.outbox.open_intents() == []  # no intent: nothing may have been posted
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_a_refused_completion_is_reported_at_write_time_and_the_next_result_arrives(
        rig: Any, caplog: pytest.LogCaptureFixture) -> None:
    r = await rig()
    code = "PLAYBOOK_SAYS_" + "X" * 120  # a playbook `fail: code:` over the contract's 100
    r.engine.scripts += [Script(Status.FAILED, error_code=code, error_message="its words"),
                         Script(Status.SUCCEEDED, post_url="http://sandbox.test/p/2")]
    bad = r.server.add_job("first")
    await r.server.wait_for(lambda: bad.completions)
    good = r.server.add_job("second")
    await r.server.wait_for(lambda: good.status is s.JobStatus.SUCCEEDED)
    # Refused where it was written, with the field named ...
    assert any("errorCode" in m and "job-1" in m for m in caplog.messages)
    # ... what could still be said reached the server, nothing out of contract did ...
    (sent,) = bad.completions
    assert sent.outcome is s.Outcome.FAILED and sent.error_code == codes.RESULT_INVALID
    assert code[:60] in (sent.error_message or "") and "its words" in (sent.error_message or "")
    assert not [p for p, _ in r.server.refused if p.endswith("/complete")]
    # ... and the next result arrived, the sender still running.
    assert good.completions[0].post_url == "http://sandbox.test/p/2"
    assert r.daemon.outbox.pending() == 0
    assert await r.stop() == 0


def test_the_outbox_refuses_out_of_contract_values_where_they_are_written(
        tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    key = RunKey("job", "run", "lease")
    with pytest.raises(RefusedItem, match=r"job job: the completion .* errorCode"):
        box.add_completion(key, Completion.failed("C" * 101, "too long a code"))
    with pytest.raises(RefusedItem, match="postUrl"):
        box.add_completion(key, Completion.succeeded("http://p/" + "u" * 2_000))
    assert box.pending() == 0  # nothing reached the sender
    # What the daemon composes itself is bounded where it is made, never refused.
    box.add_event(key, phase="p" * 500, step="s" * 500, level="info", message="m" * 20_000)
    box.add_completion(key, Completion.failed(codes.STEP_FAILED, "m" * 20_000))
    assert box.pending() == 2


def write_old_poisoned_row(home: Path) -> None:
    """A completion as the daemon wrote it before items were checked: at the head, with a
    playbook code the server refuses."""
    Outbox(home / "outbox.db").close()  # the schema
    db = sqlite3.connect(home / "outbox.db")
    db.execute("INSERT INTO items (job_id, run_id, lease_token, kind, payload, created_at) "
               "VALUES (?, ?, ?, 'complete', ?, ?)",
               ("job-old", "run-old", "lease-old", json.dumps({
                   "outcome": "FAILED", "errorCode": "Y" * 150, "errorMessage": "old",
                   "postUrl": None, "proofKinds": []}), time.time()))
    db.commit()
    db.close()


@pytest.mark.asyncio
async def test_a_poisoned_row_from_before_a_restart_is_set_aside_and_delivery_goes_on(
        rig: Any, tmp_path: Path) -> None:
    write_old_poisoned_row(tmp_path)
    r = await rig()
    job = r.server.add_job("after the restart")
    await r.server.wait_for(lambda: job.status is s.JobStatus.SUCCEEDED)
    (dead,) = r.daemon.outbox.dead()
    assert dead.job_id == "job-old" and "errorCode" in dead.error
    assert r.daemon.outbox.pending() == 0
    assert not r.task.done()  # the daemon, and its sender, still run
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_a_crashed_side_task_stops_the_daemon(rig: Any) -> None:
    r = await rig()
    r.server.crash_heartbeat = True
    assert await asyncio.wait_for(r.task, 10) != 0


@pytest.mark.asyncio
async def test_a_browser_that_will_not_start_hands_back_with_a_bounded_reason_and_backs_off(
        rig: Any) -> None:
    r = await rig(start=False)
    r.profiles.broken = "Browser closed.\n" + "==== log ====\n" * 1_000  # 14 kB of it
    await r.start()
    job = r.server.add_job("no browser")
    await r.server.wait_for(lambda: job.releases)
    (release,) = job.releases
    assert len(release.reason) <= s.MAX_REASON and release.reason.startswith(
        "the profile could not open: Browser closed.")
    assert not [p for p, _ in r.server.refused if p.endswith("/release")]
    claims, opens = r.server.claims, r.profiles.opens
    await asyncio.sleep(1.0)  # the hot loop this replaces: ~40 claim/release cycles a second
    assert job.releases == [release] and r.server.claims == claims
    assert r.profiles.opens == opens  # not even a new try before the backoff is over
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_a_profile_that_opens_again_is_claimed_for_again(rig: Any) -> None:
    r = await rig(start=False)
    r.profiles.broken = "the profile is in use by another browser"
    await r.start()
    job = r.server.add_job("later")
    await r.server.wait_for(lambda: job.releases)
    r.profiles.broken = None
    r.daemon.readiness._holds["sandbox/main"].not_before = 0.0  # the backoff is over
    r.daemon._slots_changed.set()
    await r.server.wait_for(lambda: job.status is s.JobStatus.SUCCEEDED)
    assert r.engine.clicked == ["later"]
    assert await r.stop() == 0


def test_a_post_url_that_is_not_http_is_refused_and_the_success_still_reported(
        tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    key = RunKey("job", "run", "lease")
    done = Completion.succeeded("javascript:alert(document.cookie)", ["after_publish"])
    with pytest.raises(RefusedItem, match="postUrl"):
        box.add_completion(key, done)
    kept = done.salvaged()  # the post is live: still SUCCEEDED, without the link
    assert kept.outcome is s.Outcome.SUCCEEDED and kept.post_url is None
    assert "javascript:" in (kept.error_message or "")
    box.add_completion(key, kept)
    assert box.pending() == 1


def open_intent(home: Path, job: Any, account: str) -> None:
    """What a daemon killed right after the publish click leaves behind."""
    from runner.device.outbox import Intent

    box = Outbox(home / "outbox.db")
    box.write_intent(Intent(job.id, job.run_id, job.lease, "sandbox", account, job.text))
    box.close()


@pytest.mark.asyncio
async def test_an_open_intent_is_settled_before_its_account_claims_again(
        rig: Any, tmp_path: Path) -> None:
    r = await rig(start=False)
    job = r.server.add_job("clicked, then killed", status=s.JobStatus.RUNNING,
                           lease="lease-x", run_id="run-x", attempts=1)
    open_intent(tmp_path, job, "main")
    r.engine.live.append(job.text)  # it did go out before the crash
    await r.start()
    await r.server.wait_for(lambda: job.completions)
    (done,) = job.completions
    assert done.outcome is s.Outcome.SUCCEEDED and r.engine.clicked == []
    assert r.daemon.outbox.open_intents() == []
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_an_open_intent_on_a_busy_profile_holds_only_its_own_account(
        rig: Any, tmp_path: Path) -> None:
    r = await rig(start=False, accounts=["sandbox/main", "sandbox/other"])
    stuck = r.server.add_job("on the busy profile", status=s.JobStatus.RUNNING,
                             lease="lease-x", run_id="run-x", attempts=1)
    open_intent(tmp_path, stuck, "main")
    r.profiles.busy.add("sandbox/main")
    await r.start()
    other = r.server.add_job("for the other account", account="other")
    await r.server.wait_for(lambda: other.status is s.JobStatus.SUCCEEDED)
    assert r.engine.clicked == ["for the other account"]
    assert stuck.completions == [] and len(r.daemon.outbox.open_intents()) == 1
    assert r.daemon.readiness.held("sandbox/main")  # waits, and is tried again later
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_a_cancel_heard_before_publish_stops_the_run_and_hands_nothing_back(
        rig: Any) -> None:
    r = await rig()
    r.engine.scripts.append(Script(hold_in="compose"))
    job = r.server.add_job("cancelled in time")
    await asyncio.wait_for(r.engine.holding.wait(), 10)
    job.cancel_requested = True  # the operator cancels; the heartbeat brings it
    await r.server.wait_for(lambda: r.daemon.board._controls.get(job.id) is None
                            or r.daemon.board._controls[job.id].cancel_requested)
    r.engine.release_hold.set()
    await r.server.wait_for(lambda: any(e.step == "cancelled" for e in job.events))
    assert r.engine.clicked == [] and job.releases == [] and job.completions == []
    assert await r.stop() == 0


def test_what_the_outbox_keeps_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    import stat

    box = Outbox(tmp_path / "outbox.db")
    proof = tmp_path / "proof.webp"
    proof.write_bytes(b"RIFF0000WEBP")
    proof.chmod(0o644)
    box.add_file(RunKey("job", "run", "lease"), s.ProofKind.AFTER_PUBLISH, proof)
    box.add_event(RunKey("job", "run", "lease"), phase="p", step="s", level="info",
                  message="m")  # the WAL file exists from here
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in
             [tmp_path / "outbox.db", tmp_path / "outbox.db-wal", box.files,
              *box.files.iterdir()]}
    assert modes == {"outbox.db": 0o600, "outbox.db-wal": 0o600, "outbox-files": 0o700,
                     "run-after_publish.webp": 0o600}


def test_delivered_items_are_pruned_after_their_retention_and_the_rest_kept(
        tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    key = RunKey("job", "run", "lease")
    proof = tmp_path / "proof.webp"
    proof.write_bytes(b"RIFF0000WEBP")
    box.add_file(key, s.ProofKind.AFTER_PUBLISH, proof)
    box.add_event(key, phase="p", step="sent", level="info", message="m")
    box.add_event(key, phase="p", step="dead", level="info", message="m")
    box.add_event(key, phase="p", step="pending", level="info", message="m")
    box.db.execute("UPDATE items SET state = 'sent', created_at = 0 WHERE id IN (1, 2)")
    box.db.execute("UPDATE items SET state = 'dead', created_at = 0 WHERE id = 3")
    box.db.execute("UPDATE items SET created_at = 0 WHERE id = 4")
    assert box.prune(keep_s=86400) == 2
    left = box.db.execute("SELECT id, state FROM items ORDER BY id").fetchall()
    assert left == [(3, "dead"), (4, "pending")]
    assert list(box.files.iterdir()) == []  # the delivered proof's copy went with it


@pytest.mark.asyncio
async def test_a_device_name_the_server_would_refuse_is_a_clear_config_error(
        rig: Any) -> None:
    from common.errors import ConfigError

    r = await rig(start=False, device_name="d" * 300)
    with pytest.raises(ConfigError, match="cannot register: name: String should have at most"):
        await r.daemon.run()
    assert r.server.calls == []
