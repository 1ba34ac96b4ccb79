"""The recovery loop (failure playbook §3, §4, §7): stuck jobs and drifting post statuses.

Each pass reads candidates, then recovers each with one guarded UPDATE in the store; a job
that moved meanwhile (a completion, progress, an operator) is left alone. Re-queued jobs wake
up waiting claims at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from contract import models as s
from server.settings import ServerSettings
from server.store import Recovered, Store
from server.wakeup import Wakeup

log = logging.getLogger(__name__)


@dataclass
class Report:
    recovered: list[Recovered] = field(default_factory=list)
    corrected_posts: list[tuple[str, str, str]] = field(default_factory=list)


def recover_once(
    store: Store, settings: ServerSettings, *, now: float | None = None
) -> Report:
    """One pass; `now` is injectable so tests can put the clock where they need it."""
    now = time.time() if now is None else now
    claimed_before = now - settings.claim_timeout
    silent_before = now - settings.run_timeout
    report = Report()
    for stuck in store.stuck_jobs(claimed_before=claimed_before, silent_before=silent_before):
        if stuck.status is s.JobStatus.CLAIMED:
            done = store.recover_claimed(stuck, claimed_before=claimed_before)
        else:
            done = store.recover_running(stuck, silent_before=silent_before)
        if done is not None:
            log.warning(
                "recovered stuck job %s (%s → %s)", done.job_id, stuck.status.value,
                done.status.value, extra={"action": "JOB_STUCK_RECOVERY", "job": done.job_id},
            )
            report.recovered.append(done)
    report.corrected_posts = store.correct_post_statuses()
    for post_id, old, new in report.corrected_posts:
        log.warning("corrected post %s status %s → %s", post_id, old, new,
                    extra={"action": "POST_STATUS_CORRECTED"})
    return report


async def run_loop(
    store: Store,
    settings: ServerSettings,
    wakeup: Wakeup,
    stop: asyncio.Event,
    *,
    on_pass: Callable[[Report], None] | None = None,
) -> None:
    """Run a pass every `recovery_interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            report = recover_once(store, settings)
        except Exception:  # one failed pass must not end recovery for good
            log.exception("recovery pass failed", extra={"action": "recovery"})
        else:
            wakeup.notify(r.target for r in report.recovered if r.status is s.JobStatus.QUEUED)
            if on_pass is not None:
                on_pass(report)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.recovery_interval)
