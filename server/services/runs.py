"""A claimed job's life on the device side: claim (the long poll), start, events, files,
confirm, release and complete.

A device may touch only the jobs it holds (`lockedByDeviceId` and the lease token it got from
claim): the store refuses another device's job (403) and a lease no longer valid (409).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from contract import models as s
from server.assets import IMAGE_TYPES, SNAPSHOT_TYPES, Reader
from server.services._base import Service
from server.wakeup import matcher

__all__ = ["Runs"]

Gone = Callable[[], Awaitable[bool]]


class Runs(Service):
    async def claim(
        self, device_id: str, req: s.ClaimRequest, gone: Gone
    ) -> s.ClaimResponse | None:
        """The oldest due matching job, or None after `waitSec` (or when the device is
        `gone()`, or the server stops). A job that comes due while a look at the store is
        running is never missed: the listener is armed before each look (`server.wakeup`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + req.wait_sec
        with self.wakeup.listen(matcher(req.platforms, req.accounts)) as ear:
            while True:
                ear.arm()
                got = await self.call(self.store.claim, device_id, req.platforms, req.accounts)
                if got is not None:
                    return got
                remaining = deadline - loop.time()
                if remaining <= 0 or self.wakeup.closed:
                    return None
                if ear.woken is None:
                    await ear.wait(remaining)  # woken, or out of time: look once more
                if await gone():
                    return None  # leaving hands an unused wake-up on

    async def start(self, job_id: str, device_id: str, lease: str,
                    definitions: tuple[int | None, str | None] = (None, None)) -> str:
        """CLAIMED → RUNNING with a new run (repeating it returns the same run); the run
        keeps the definitions version and hash the device says it runs the job with."""
        run_id = await self.call(self.store.start, job_id, device_id, lease)
        version, digest = definitions
        if digest is not None:
            await self.call(self.store.record_run_definitions, run_id, device_id, version,
                            digest)
        return run_id

    async def events(
        self, job_id: str, device_id: str, req: s.EventsRequest
    ) -> s.EventsResponse:
        """Idempotent by (runId, seq); every call is progress."""
        return await self.call(self.store.add_events, job_id, device_id, req)

    async def add_proof(
        self, job_id: str, device_id: str, *, lease: str, run_id: str, kind: s.ProofKind,
        file: Reader, sha256: str,
    ) -> str:
        """A screenshot (PNG, JPEG, WebP); idempotent by (runId, kind, sha256). Checked as
        the holder's before a byte is stored."""
        await self.call(self.store.check_held, job_id, device_id, lease, run_id)
        asset = await self.assets.save(file, allowed=IMAGE_TYPES, expected_sha256=sha256)
        return await self.call(self.store.add_proof, job_id, device_id, lease, run_id, kind,
                             asset)

    async def add_snapshot(
        self, job_id: str, device_id: str, *, lease: str, run_id: str, kind: s.SnapshotKind,
        file: Reader, sha256: str,
    ) -> str:
        """A failed run's page HTML or Playwright trace zip; idempotent like proofs."""
        await self.call(self.store.check_held, job_id, device_id, lease, run_id)
        asset = await self.assets.save(file, allowed=SNAPSHOT_TYPES, expected_sha256=sha256)
        return await self.call(self.store.add_snapshot, job_id, device_id, lease, run_id, kind,
                             asset)

    async def awaiting_confirm(
        self, job_id: str, device_id: str, req: s.AwaitingConfirmRequest
    ) -> s.AwaitingConfirmResponse:
        """RUNNING → AWAITING_CONFIRM; `proceed` at once for auto, else the device polls
        events for the operator's decision."""
        return await self.call(self.store.awaiting_confirm, job_id, device_id, req)

    async def release(self, job_id: str, device_id: str, req: s.ReleaseRequest) -> s.Job:
        """Hand a job back before its publish step: QUEUED again for any device, without
        counting an attempt; a waiting claim is woken for it."""
        job = await self.call(self.store.release, job_id, device_id, req)
        self.wakeup.notify([s.Target(platform=job.platform, account=job.account)])
        self.wakeup.rearm()
        return job

    async def complete(self, job_id: str, device_id: str, req: s.CompleteRequest) -> s.Job:
        """Finish the run; repeating it is harmless and a SUCCEEDED job stays SUCCEEDED."""
        job = await self.call(self.store.complete, job_id, device_id, req)
        if req.definitions_hash is not None:  # kept only when the start did not say
            await self.call(self.store.record_run_definitions, req.run_id, device_id,
                            req.definitions_version, req.definitions_hash)
        return job
