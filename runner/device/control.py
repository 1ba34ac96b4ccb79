"""What a running job hears from outside (the server, the daemon) and why it stopped.

The server speaks to a run through replies (events, heartbeats): a cancel, an operator's
decision. The daemon speaks through one event, `abort` (a second SIGTERM). `JobControl` holds
what was heard for one job; `StopReason` says, as one value, why a run stopped before its
end and so what the daemon owes the server: hand the job back, or nothing (it knows).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import Enum
from typing import NoReturn

from common.errors import RunCancelled
from contract import models as s

__all__ = ["JobBoard", "JobControl", "StopReason"]


class StopReason(Enum):
    """Why a run stopped before it could report an outcome of its own."""

    CANCELLED = "the job was cancelled on the server"
    REJECTED = "the operator rejected the post at confirmation"
    NOT_ACTIVE = "the job is no longer active on the server"
    LEASE_LOST = "the server no longer gives this device the job"
    SHUTDOWN = "the daemon is shutting down"
    SERVER_UNREACHABLE = "the server could not be reached before the publish step"
    PROFILE_UNAVAILABLE = "the account's browser profile could not open"
    NOT_STARTED = "the server did not let the run start"

    @property
    def hands_back(self) -> bool:
        """The job is given back to the queue (release): nothing was published and the
        server still thinks it is ours."""
        return self in (StopReason.SHUTDOWN, StopReason.SERVER_UNREACHABLE,
                        StopReason.PROFILE_UNAVAILABLE)


@dataclass
class JobControl:
    """What the server told us about a job while it runs, and why it stopped."""

    job_id: str
    cancel_requested: bool = False
    confirm_decision: s.ConfirmDecision | None = None
    phase: str = ""
    stop: StopReason | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, reply: s.EventsResponse) -> None:
        if reply.cancel_requested or reply.status is s.JobStatus.CANCELLED:
            self.cancel_requested = True
        if reply.confirm_decision is not None:
            self.confirm_decision = reply.confirm_decision
        self.changed.set()

    def request_cancel(self) -> None:
        self.cancel_requested = True
        self.changed.set()

    def stop_run(self, reason: StopReason, message: str | None = None) -> NoReturn:
        """Record why, then raise RunCancelled: the engine stops at this safe point."""
        self.stop = reason
        raise RunCancelled(message or reason.value)


class JobBoard:
    """The jobs running now, by id: where server replies find their job."""

    def __init__(self) -> None:
        self._controls: dict[str, JobControl] = {}

    def track(self, job_id: str) -> JobControl:
        control = JobControl(job_id)
        self._controls[job_id] = control
        return control

    def untrack(self, job_id: str) -> None:
        self._controls.pop(job_id, None)

    def current(self) -> str | None:
        return next(iter(self._controls), None)

    def cancel(self, job_ids: list[str]) -> None:
        for job_id in job_ids:
            if (control := self._controls.get(job_id)) is not None:
                control.request_cancel()

    async def on_events_reply(self, job_id: str, reply: s.EventsResponse) -> None:
        if (control := self._controls.get(job_id)) is not None:
            control.update(reply)

    def __len__(self) -> int:
        return len(self._controls)
