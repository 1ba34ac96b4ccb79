"""One run's line to the server: results through the outbox, decisions by direct calls.

Results (events, proofs, snapshots, the completion) go through the durable outbox. A few
calls must be answered before the run may go on (the AWAITING_CONFIRM gate, the lease check
right before publishing, a release): those are direct. The server reads a run's log in
order, so a direct call must never overtake results written before it: every direct call
here first flushes this job's pending items. The rule lives in this one class.
"""

from __future__ import annotations

import logging
from pathlib import Path

from common.errors import ServerError, ServerUnavailable
from contract import models as s
from runner.client import ServerClient
from runner.device.items import Completion, RunKey, bounded
from runner.device.outbox import Intent, Outbox

__all__ = ["FLUSH_S", "RunChannel"]

log = logging.getLogger(__name__)

FLUSH_S = 30.0  # how long a direct call waits for the results before it to leave
KEEPALIVE_BUDGET_S = 5.0


class RunChannel:
    """Everything one run sends, under its lease."""

    def __init__(self, outbox: Outbox, client: ServerClient, key: RunKey) -> None:
        self.outbox = outbox
        self.client = client
        self.key = key

    @property
    def job_id(self) -> str:
        return self.key.job_id

    # ---- results, through the outbox (raise RefusedItem for a value out of contract) ---

    def event(self, phase: str, step: str, message: str, level: str = "info") -> None:
        self.outbox.add_event(self.key, phase=phase, step=step, level=level, message=message)

    def proof(self, kind: s.ProofKind | str, source: Path, sha256: str) -> None:
        self.outbox.add_file(self.key, s.ProofKind(kind), source, sha256)

    def snapshot(self, kind: s.SnapshotKind | str, source: Path) -> None:
        self.outbox.add_file(self.key, s.SnapshotKind(kind), source)

    def complete(self, completion: Completion) -> None:
        self.outbox.add_completion(self.key, completion)

    def intent(self, platform: str, account: str, text: str,
               head: tuple[str, ...] | None = None) -> None:
        self.outbox.write_intent(Intent(self.key.job_id, self.key.run_id,
                                        self.key.lease_token, platform, account, text,
                                        head=head))

    # ---- direct calls, each after this job's results --------------------------------

    async def flush(self) -> bool:
        return await self.outbox.flush(self.key.job_id, FLUSH_S)

    async def confirm_lease(self, message: str, budget: float) -> s.EventsResponse:
        """The publish guard: results out first, then one event the server must accept
        under our lease (raises LeaseLost when it will not)."""
        await self.flush()
        event = self.outbox.make_event(self.key, phase="publish", step="guard",
                                       level="info", message=message)
        return await self.client.events(self.key.job_id, s.EventsRequest(
            lease_token=self.key.lease_token, run_id=self.key.run_id, events=[event]),
            budget=budget)

    async def poll(self, budget: float | None = None) -> s.EventsResponse:
        """An empty events call: what the server says now (cancel, decision)."""
        await self.flush()
        return await self.client.events(self.key.job_id, s.EventsRequest(
            lease_token=self.key.lease_token, run_id=self.key.run_id, events=[]),
            budget=budget)

    async def keep_alive(self) -> s.EventsResponse:
        """Progress for a step that runs long; no flush (the sender is delivering)."""
        return await self.client.events(self.key.job_id, s.EventsRequest(
            lease_token=self.key.lease_token, run_id=self.key.run_id, events=[]),
            budget=KEEPALIVE_BUDGET_S)

    async def awaiting_confirm(self) -> s.AwaitingConfirmResponse:
        """The gate: the before-confirm proof must be on the server first."""
        await self.flush()
        asset = self.outbox.asset_id(self.key.run_id, s.ProofKind.BEFORE_CONFIRM.value)
        return await self.client.awaiting_confirm(self.key.job_id, s.AwaitingConfirmRequest(
            lease_token=self.key.lease_token, run_id=self.key.run_id, proof_asset_id=asset))

    async def release(self, reason: str) -> bool:
        """Hand the job back (before its publish step); True when the server took it.
        The reason is bounded here: a browser's start-up error can be pages long."""
        await self.flush()
        try:
            await self.client.release(self.key.job_id, s.ReleaseRequest(
                lease_token=self.key.lease_token, run_id=self.key.run_id,
                reason=bounded(reason, s.MAX_REASON)))
        except ServerUnavailable as exc:
            log.warning("could not hand job %s back (%s); the server's recovery will",
                        self.key.job_id, exc)
            return False
        except ServerError as exc:
            log.warning("the server refused to take job %s back: %s", self.key.job_id, exc)
            return False
        log.info("job %s handed back to the server: %s", self.key.job_id,
                 bounded(reason, 300))
        return True
