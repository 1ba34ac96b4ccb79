"""Where a platform's recent posts carry no dates (LinkedIn: `recent_posts_order:
newest_first`), the daemon records the newest posts before the publish click and journals
them with the intent; a retry's verify-first and the check after a crash place their match
against that head. A dated platform records none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contract import models as s
from runner.device.outbox import Intent, Outbox
from runner.engine.result import Status as RunStatus
from tests.unit.device.fakes import Script


@pytest.mark.asyncio
async def test_the_head_is_recorded_before_the_click_and_journaled_with_the_intent(
        rig: Any) -> None:
    r = await rig(accounts=["linkedin/main"])
    r.engine.scripts.append(Script(status=RunStatus.FAILED, error_code="PUBLISH_REJECTED",
                                   error_message="rejected after the click", post_url=None))
    job = r.server.add_job("dateless", platform="linkedin")
    await r.server.wait_for(lambda: job.completions)
    assert r.engine.reached.index("record_head") < r.engine.reached.index("publish")
    assert r.daemon.outbox.intent_head(job.id) == r.engine.head

    job.status, job.verify_first = s.JobStatus.QUEUED, True  # the retry, on this device
    r.engine.live.append(job.text)
    r.server.add_job("nudge", platform="linkedin")  # wakes the claim loop
    await r.server.wait_for(lambda: len(job.completions) == 2)
    (checked,) = [p for p in r.engine.checked if p.text == "dateless"]
    assert checked.head == r.engine.head  # placed against what was newest before the click
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_a_dated_platform_records_no_head(rig: Any) -> None:
    r = await rig()
    job = r.server.add_job("dated")
    await r.server.wait_for(lambda: job.completions)
    assert "record_head" not in r.engine.reached
    assert r.daemon.outbox.intent_head(job.id) is None
    assert await r.stop() == 0


@pytest.mark.asyncio
async def test_the_check_after_a_crash_gets_the_journaled_head_and_the_intent_time(
        rig: Any, tmp_path: Path) -> None:
    r = await rig(start=False, accounts=["linkedin/main"])
    job = r.server.add_job("clicked, then killed", platform="linkedin",
                           status=s.JobStatus.RUNNING, lease="lease-x", run_id="run-x",
                           attempts=1)
    box = Outbox(tmp_path / "outbox.db")
    box.write_intent(Intent(job.id, "run-x", "lease-x", "linkedin", "main", job.text,
                            head=("text:a", "text:b", "text:c")))
    box.close()
    r.engine.live.append(job.text)
    await r.start()
    await r.server.wait_for(lambda: job.completions)
    (checked,) = r.engine.checked
    assert checked.head == ("text:a", "text:b", "text:c")
    assert checked.not_before is not None  # dated platforms: not before the intent
    assert await r.stop() == 0
