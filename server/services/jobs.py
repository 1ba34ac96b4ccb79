"""Jobs as the operator sees them: read, cancel, retry, confirm, and the audit log."""

from __future__ import annotations

import time
from dataclasses import dataclass

from contract import models as s
from server import recovery
from server.services._base import Service

__all__ = ["Flags", "Jobs"]


@dataclass(frozen=True)
class Flags:
    """Jobs to point out: stuck as the recovery loop sees them, duplicates as the failure
    playbook's §5 (the same post on the same platform twice)."""

    stuck: set[str]
    duplicates: set[str]


class Jobs(Service):
    async def get(self, job_id: str) -> s.JobDetail:
        """The job with its runs, each with its logs, proofs and snapshots."""
        return await self.call(self.store.get_job, job_id)

    async def find(
        self, *, status: s.JobStatus | None = None, platform: str | None = None,
        post_id: str | None = None, device_id: str | None = None, limit: int = 100,
        newest_first: bool = False,
    ) -> list[s.Job]:
        return await self.call(self.store.list_jobs, status=status, platform=platform,
                             post_id=post_id, device_id=device_id, limit=limit,
                             newest_first=newest_first)

    async def flags(self) -> Flags:
        return await self.call(self._flags)

    def _flags(self) -> Flags:
        claimed_before, silent_before = recovery.cutoffs(
            self.settings, time.time(), up_since=self.uptime.since)
        stuck = {x.job_id for x in self.store.stuck_jobs(
            claimed_before=claimed_before, silent_before=silent_before)}
        return Flags(stuck=stuck, duplicates=self.store.duplicate_job_ids())

    async def cancel(self, job_id: str) -> s.Job:
        """Any live job → CANCELLED; its device learns it from events and heartbeat replies."""
        return await self.call(self.store.cancel, job_id)

    async def retry(self, job_id: str) -> s.Job:
        """FAILED, NEEDS_LOGIN or CANCELLED → QUEUED (verifyFirst if a run reached publish);
        a job already due wakes a waiting claim."""
        job = await self.call(self.store.retry, job_id)
        if job.scheduled_at.timestamp() <= time.time():
            self.wakeup.notify([s.Target(platform=job.platform, account=job.account)])
        self.wakeup.rearm()
        return job

    async def confirm(self, job_id: str, approve: bool) -> s.Job:
        """Answer a manual confirm: approve lets the device publish, reject cancels the job."""
        return await self.call(self.store.confirm, job_id, approve)

    async def audit(
        self, *, job_id: str | None = None, post_id: str | None = None,
        action: str | None = None, limit: int = 500, newest_first: bool = False,
    ) -> list[s.AuditEntry]:
        return await self.call(self.store.list_audit, job_id=job_id, post_id=post_id,
                             action=action, limit=limit, newest_first=newest_first)
