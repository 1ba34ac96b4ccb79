"""The recovery loop (failure playbook §3, §4, §7): stuck jobs and drifting post statuses.

Each pass reads candidates, then recovers each with one guarded UPDATE in the store; a job
that moved meanwhile (a completion, progress, an operator) is left alone. Re-queued jobs wake
up waiting claims at once.

Silence counts only while this server is up. A device cannot report to a server that is
down, so a job last heard from before an outage is not "stuck" because of the outage: after
a start every job gets one full timeout to be heard from again (its device's outbox delivers
what it kept meanwhile) before recovery may take it back.
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

__all__ = ["Report", "Uptime", "cutoffs", "recover_once", "run_loop"]

log = logging.getLogger(__name__)

NOTHING_BEFORE = 0.0  # a cutoff no stored time is below: the store's times are epoch seconds


@dataclass
class Uptime:
    """Since when this process has served (None until it starts)."""

    since: float | None = None


@dataclass
class Report:
    recovered: list[Recovered] = field(default_factory=list)
    corrected_posts: list[tuple[str, str, str]] = field(default_factory=list)


def cutoffs(
    settings: ServerSettings, now: float, *, up_since: float | None = None
) -> tuple[float, float]:
    """(claimed_before, silent_before): a job CLAIMED before the first, or RUNNING and silent
    since before the second, is stuck. With `up_since`, silence is measured from the later of
    the job's last news and the server's start, so within one timeout of a start nothing is
    stuck for that timeout."""
    claimed_before = now - settings.claim_timeout
    silent_before = now - settings.run_timeout
    if up_since is not None:
        if up_since >= claimed_before:
            claimed_before = NOTHING_BEFORE
        if up_since >= silent_before:
            silent_before = NOTHING_BEFORE
    return claimed_before, silent_before


def recover_once(
    store: Store, settings: ServerSettings, *, now: float | None = None,
    up_since: float | None = None,
) -> Report:
    """One pass (blocking: run it off the event loop); `now` is injectable so tests can put
    the clock where they need it."""
    now = time.time() if now is None else now
    claimed_before, silent_before = cutoffs(settings, now, up_since=up_since)
    # A claim not started within claim_ack_timeout goes back without counting an attempt
    # (its reply may never have reached a device); the same downtime rule applies.
    unacked_before = now - settings.claim_ack_timeout_s
    if up_since is not None and up_since >= unacked_before:
        unacked_before = NOTHING_BEFORE
    unacked = unacked_before > claimed_before
    report = Report()
    for stuck in store.stuck_jobs(claimed_before=max(claimed_before, unacked_before),
                                  silent_before=silent_before):
        if stuck.status is s.JobStatus.CLAIMED and unacked:
            done = store.recover_unacked(stuck, claimed_before=unacked_before)
        elif stuck.status is s.JobStatus.CLAIMED:
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
    uptime: Uptime | None = None,
    on_pass: Callable[[Report], None] | None = None,
) -> None:
    """Run a pass every `recovery_interval` seconds until `stop` is set; each pass runs in a
    worker thread so the long polls it shares the loop with are never held up."""
    while not stop.is_set():
        since = uptime.since if uptime is not None else None
        try:
            report = await asyncio.to_thread(recover_once, store, settings, up_since=since)
        except Exception:  # one failed pass must not end recovery for good
            log.exception("recovery pass failed", extra={"action": "recovery"})
        else:
            wakeup.notify(r.target for r in report.recovered if r.status is s.JobStatus.QUEUED)
            if on_pass is not None:
                on_pass(report)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.recovery_interval)
