"""The store interface: every query the API and the recovery loop need, and nothing else.

The API and `server.recovery` only ever call these methods, so a PostgreSQL backend (claims
with `FOR UPDATE SKIP LOCKED`, LISTEN/NOTIFY for wake-ups across processes) is one more
implementation of this class, not a change to them. Every method is one transaction.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from contract import models as s


@dataclass
class Pruned:
    """What one prune removed (or, with `dry_run`, would remove)."""

    posts: int = 0
    jobs: int = 0
    runs: int = 0
    events: int = 0
    proofs: int = 0
    snapshots: int = 0
    canary_results: int = 0
    assets: list[str] = field(default_factory=list)  # ids: the caller removes their files


@dataclass(frozen=True)
class Stuck:
    """A recovery candidate as it was read; the recovering UPDATE re-checks all of it."""

    job_id: str
    status: s.JobStatus
    lease_token: str | None


@dataclass(frozen=True)
class Recovered:
    """A job the store moved without a device asking: who may need waking up."""

    job_id: str
    status: s.JobStatus
    target: s.Target


class Store(abc.ABC):
    schema_version: int

    @abc.abstractmethod
    def close(self) -> None: ...

    # posts and assets
    @abc.abstractmethod
    def create_post(self, req: s.PostCreate) -> s.PostDetail: ...
    @abc.abstractmethod
    def transition_post(
        self, post_id: str, allowed: set[s.PostStatus], to: s.PostStatus
    ) -> s.PostDetail: ...
    @abc.abstractmethod
    def schedule(
        self, post_id: str, at: datetime, *, max_attempts: int, online_window: float,
        extra_warnings: Sequence[str] = (),
    ) -> s.PostDetail: ...
    @abc.abstractmethod
    def get_post(self, post_id: str) -> s.PostDetail: ...
    @abc.abstractmethod
    def list_posts(
        self, status: s.PostStatus | None, limit: int, *, newest_first: bool = False
    ) -> list[s.PostDetail]: ...
    @abc.abstractmethod
    def add_asset(self, asset: s.Asset) -> None: ...
    @abc.abstractmethod
    def get_asset(self, asset_id: str) -> s.Asset: ...

    # jobs, device side
    @abc.abstractmethod
    def claim(
        self, device_id: str, platforms: list[str], accounts: list[s.Target]
    ) -> s.ClaimResponse | None: ...
    @abc.abstractmethod
    def check_held(self, job_id: str, device_id: str, lease: str, run_id: str) -> None: ...
    @abc.abstractmethod
    def start(self, job_id: str, device_id: str, lease: str) -> str: ...
    @abc.abstractmethod
    def add_events(
        self, job_id: str, device_id: str, req: s.EventsRequest
    ) -> s.EventsResponse: ...
    @abc.abstractmethod
    def add_proof(
        self, job_id: str, device_id: str, lease: str, run_id: str, kind: s.ProofKind,
        asset: s.Asset,
    ) -> str: ...
    @abc.abstractmethod
    def awaiting_confirm(
        self, job_id: str, device_id: str, req: s.AwaitingConfirmRequest
    ) -> s.AwaitingConfirmResponse: ...
    @abc.abstractmethod
    def add_snapshot(
        self, job_id: str, device_id: str, lease: str, run_id: str, kind: s.SnapshotKind,
        asset: s.Asset,
    ) -> str: ...
    @abc.abstractmethod
    def complete(self, job_id: str, device_id: str, req: s.CompleteRequest) -> s.Job: ...
    @abc.abstractmethod
    def release(self, job_id: str, device_id: str, req: s.ReleaseRequest) -> s.Job: ...

    # jobs, operator side
    @abc.abstractmethod
    def get_job(self, job_id: str) -> s.JobDetail: ...
    @abc.abstractmethod
    def list_jobs(
        self, *, status: s.JobStatus | None = None, platform: str | None = None,
        post_id: str | None = None, device_id: str | None = None, limit: int = 100,
        newest_first: bool = False,
    ) -> list[s.Job]: ...
    @abc.abstractmethod
    def duplicate_job_ids(self) -> set[str]:
        """Jobs sharing their post and platform with another job that is not CANCELLED
        (failure playbook §5: the same content may be posted twice)."""
    @abc.abstractmethod
    def cancel(self, job_id: str) -> s.Job: ...
    @abc.abstractmethod
    def retry(self, job_id: str) -> s.Job: ...
    @abc.abstractmethod
    def confirm(self, job_id: str, approve: bool) -> s.Job: ...
    @abc.abstractmethod
    def list_audit(
        self, *, job_id: str | None = None, post_id: str | None = None,
        action: str | None = None, limit: int = 500, newest_first: bool = False,
    ) -> list[s.AuditEntry]: ...

    # devices
    @abc.abstractmethod
    def register_device(self, req: s.RegisterRequest, token_hash: str) -> str: ...
    @abc.abstractmethod
    def device_for_token(self, token_hash: str) -> str | None: ...
    @abc.abstractmethod
    def heartbeat(self, device_id: str, req: s.HeartbeatRequest) -> s.HeartbeatResponse: ...
    @abc.abstractmethod
    def report_login(self, device_id: str, req: s.LoginStatusRequest) -> list[Recovered]: ...
    @abc.abstractmethod
    def request_check_login(self, device_id: str) -> None: ...
    @abc.abstractmethod
    def list_devices(self, *, online_after: float) -> list[s.Device]: ...

    # recovery and wake-ups
    @abc.abstractmethod
    def stuck_jobs(self, *, claimed_before: float, silent_before: float) -> list[Stuck]: ...
    @abc.abstractmethod
    def recover_claimed(self, stuck: Stuck, *, claimed_before: float) -> Recovered | None: ...
    @abc.abstractmethod
    def prune(self, *, before: float, dry_run: bool = False) -> Pruned: ...
    @abc.abstractmethod
    def recover_unacked(self, stuck: Stuck, *, claimed_before: float) -> Recovered | None: ...
    @abc.abstractmethod
    def recover_running(self, stuck: Stuck, *, silent_before: float) -> Recovered | None: ...
    @abc.abstractmethod
    def correct_post_statuses(self) -> list[tuple[str, str, str]]: ...
    @abc.abstractmethod
    def next_due_after(self, after: float) -> float | None: ...
    @abc.abstractmethod
    def due_targets(self, after: float, upto: float) -> list[s.Target]: ...
    @abc.abstractmethod
    def due_times(self, after: float, upto: float, limit: int) -> list[tuple[float, s.Target]]:
        ...

    # definitions versions (sqlite_definitions)
    @abc.abstractmethod
    def add_definitions(
        self, *, hash: str, author: str, archive: bytes, files: int, scenarios: int,
        report: str,
    ) -> tuple[s.DefinitionsVersion, bool]: ...
    @abc.abstractmethod
    def refuse_definitions(self, *, hash: str | None, author: str, code: str,
                           reason: str) -> None: ...
    @abc.abstractmethod
    def set_current_definitions(self, version: int, by: str) -> s.DefinitionsVersion: ...
    @abc.abstractmethod
    def list_definitions(self, limit: int = 100) -> list[s.DefinitionsVersion]: ...
    @abc.abstractmethod
    def current_definitions(self) -> s.DefinitionsVersion | None: ...
    @abc.abstractmethod
    def definitions_archive(self, version: int) -> tuple[s.DefinitionsVersion, bytes]: ...
    @abc.abstractmethod
    def record_run_definitions(self, run_id: str, device_id: str, version: int | None,
                               hash: str) -> None: ...

    # selector health (canary results)
    @abc.abstractmethod
    def add_canary_result(self, device_id: str, req: s.CanaryResultRequest) -> bool: ...
    @abc.abstractmethod
    def canary_results(self, *, platform: str | None = None, account: str | None = None,
                       limit: int = 100) -> list[s.CanaryResult]: ...
    @abc.abstractmethod
    def selector_health(self) -> list[s.SelectorHealth]: ...
    @abc.abstractmethod
    def latest_conclusive(self, platform: str) -> s.CanaryResult | None: ...
    @abc.abstractmethod
    def next_due(self, platform: str, account: str) -> float | None: ...


@runtime_checkable
class Shared(Protocol):
    """A store that several server processes use at once (PostgreSQL).

    `listen(on_change)` calls `on_change()` (from another thread) whenever any process made a
    job claimable or changed what a device waits for; it returns a function that stops
    listening. `server.wakeup` uses it to wake long polls across replicas.
    """

    def listen(self, on_change: Callable[[], None]) -> Callable[[], None]: ...


@runtime_checkable
class SessionRecords(Protocol):
    """Dashboard sessions kept in the database, so any replica knows every session.

    Only a hash of the session id is stored (`id_hash`); the id itself is the cookie.
    """

    def save_session(self, id_hash: str, csrf: str, expires_at: float) -> None: ...
    def load_session(self, id_hash: str) -> tuple[str, float] | None: ...
    def drop_session(self, id_hash: str) -> None: ...
