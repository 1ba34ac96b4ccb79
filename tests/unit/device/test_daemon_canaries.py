"""The canaries inside the real daemon (tests/unit/device's rig: the real Daemon and client
against the in-memory server): a job failing on a selector runs its account's canary, and
while the canary holds the profile no job of that account starts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from contract import codes
from contract import models as s
from runner.device.canary_schedule import CanarySchedule
from runner.device.canary_spool import CanarySpool
from runner.device.settings import Account
from runner.engine import Status
from tests.unit.device.fakes import Script


@pytest.mark.asyncio
async def test_a_selector_failure_runs_the_canary_and_jobs_wait_for_it(
        rig: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    r = await rig(start=False, canary_every={"sandbox/main": "1h"}, canary_margin_s=0)
    daemon = r.daemon
    # The scheduled one is an hour away: only the trigger can make it due in this test.
    daemon.canaries.schedule = CanarySchedule({"sandbox/main": 3600.0}, jitter_s=3600.0,
                                              margin_s=0.0, uniform=lambda lo, hi: hi)
    ran: list[tuple[str, s.CanaryTrigger]] = []
    gate = asyncio.Event()

    async def run_one(account: Account, trigger: s.CanaryTrigger) -> None:
        daemon.canary_holds(account, True)
        try:
            async with daemon.profiles.lock(account):  # as the real one holds it
                ran.append((account.key, trigger))
                await gate.wait()
        finally:
            daemon.canary_holds(account, False)
            daemon.canaries.schedule.started(account.key)

    async def no_job(*args: Any) -> None:
        return None

    monkeypatch.setattr(daemon.canaries, "run_one", run_one)
    monkeypatch.setattr(daemon.client, "next_due", no_job)
    r.engine.scripts += [Script(Status.FAILED, error_code=codes.SELECTOR_NOT_FOUND,
                                error_message="Composer not found"), Script()]
    failed = r.server.add_job("before the redesign")
    await r.start()
    await r.server.wait_for(lambda: ran)
    assert ran == [("sandbox/main", s.CanaryTrigger.SELECTOR_FAILURE)]
    assert failed.status is s.JobStatus.FAILED

    waiting = r.server.add_job("during the canary")
    await asyncio.sleep(0.6)  # several claim rounds (claim_wait_s 0.2)
    assert waiting.status in (s.JobStatus.QUEUED, s.JobStatus.CLAIMED)
    # nothing more ran on the profile the canary holds (the scripted engine records every
    # run's text, the failed one's too)
    assert r.engine.clicked == ["before the redesign"]
    gate.set()
    await r.server.wait_for(lambda: waiting.status is s.JobStatus.SUCCEEDED)
    assert r.engine.clicked == ["before the redesign", "during the canary"] and len(ran) == 1
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_no_canary_task_without_an_enabled_account(rig: Any) -> None:
    r = await rig(canary_every={"x/other": "1h"})  # not an account of this device
    assert r.daemon.canaries.accounts == {}
    r.server.add_job("plain")
    await r.server.wait_for(lambda: r.engine.clicked == ["plain"])
    assert not [c for c in r.server.calls if "canary" in c or "next-due" in c]
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_a_spooled_result_is_sent_even_with_every_canary_switched_off(
        rig: Any, tmp_path: Path) -> None:
    from tests.unit.device.test_canary_spool import a_request

    # What an earlier run left: a result the server never acknowledged.
    left = a_request()
    CanarySpool(tmp_path / "work" / "canary-spool").put(left, [])
    r = await rig()  # no account has canaries enabled
    assert r.daemon.canaries.accounts == {}
    await r.server.wait_for(lambda: left.id in r.server.canary_results)
    assert not r.daemon.canaries.spool.pending()
    assert await r.stop() == 0
