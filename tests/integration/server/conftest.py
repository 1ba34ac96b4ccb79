"""Fixtures for the server's API tests: a real uvicorn on 127.0.0.1 with a real database.

Every test that uses a server runs once per backend (`backend`: a SQLite file, and a fresh
database on a real PostgreSQL, see `tests/postgres.py`); `PUBLISH_RUNNER_TEST_BACKENDS=sqlite`
(or `postgresql`) narrows that. `server_factory(**settings)` starts one (stopped at
teardown); the returned `Running` speaks to it over HTTP as the operator and hands out
`DeviceApi`s that speak as devices.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.serve import ServerThread
from server.settings import ServerSettings
from tests.postgres import new_database, postgres_url

__all__ = ["new_database", "postgres_url"]  # fixtures, re-exported for pytest

BACKENDS = [b for b in os.environ.get("PUBLISH_RUNNER_TEST_BACKENDS",
                                      "sqlite,postgresql").split(",") if b]

OPERATOR = "op-token"
ENROLL = "enroll-token"
DEADLINE = 20.0  # seconds a test waits for the server to do something, before failing

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat()


def now_iso(delta: float = 0.0) -> str:
    return iso(datetime.now(timezone.utc) + timedelta(seconds=delta))


class DeviceApi:
    """One registered device speaking the device endpoints."""

    def __init__(self, url: str, device_id: str, token: str) -> None:
        self.id = device_id
        self.token = token
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=40)
        self.seq = 0

    def claim(self, platforms: list[str] | None = None, wait: float = 0.0,
              accounts: list[dict[str, str]] | None = None) -> dict[str, Any] | None:
        r = self.http.post("/api/publishing/jobs/claim", json={
            "platforms": platforms or ["x"], "accounts": accounts or [], "waitSec": wait})
        if r.status_code == 204:
            return None
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def start(self, job_id: str, lease: str) -> str:
        r = self.http.post(f"/api/publishing/jobs/{job_id}/start", json={"leaseToken": lease})
        assert r.status_code == 200, r.text
        return str(r.json()["runId"])

    def events(self, job_id: str, lease: str, run_id: str, *phases: str) -> httpx.Response:
        batch = []
        for phase in phases:
            self.seq += 1
            batch.append({"seq": self.seq, "at": now_iso(), "phase": phase, "step": "s",
                          "level": "info", "message": f"in {phase}"})
        return self.http.post(f"/api/publishing/jobs/{job_id}/events",
                              json={"leaseToken": lease, "runId": run_id, "events": batch})

    def complete(self, job_id: str, lease: str, run_id: str, outcome: str,
                 **extra: Any) -> httpx.Response:
        return self.http.post(f"/api/publishing/jobs/{job_id}/complete", json={
            "leaseToken": lease, "runId": run_id, "outcome": outcome, **extra})

    def proof(self, job_id: str, lease: str, run_id: str, kind: str, data: bytes = PNG,
              sha: str | None = None) -> httpx.Response:
        return self.http.post(
            f"/api/publishing/jobs/{job_id}/proofs",
            data={"leaseToken": lease, "runId": run_id, "kind": kind,
                  "sha256": sha or hashlib.sha256(data).hexdigest()},
            files={"file": ("proof.png", data, "image/png")},
        )

    def awaiting_confirm(self, job_id: str, lease: str, run_id: str,
                         proof: str | None = None) -> httpx.Response:
        return self.http.post(f"/api/publishing/jobs/{job_id}/awaiting-confirm", json={
            "leaseToken": lease, "runId": run_id, "proofAssetId": proof})

    def heartbeat(self, current_job: str | None = None,
                  logins: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        r = self.http.post(f"/api/devices/{self.id}/heartbeat",
                           json={"currentJobId": current_job, "loginStatus": logins or []})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def login_status(self, platform: str, account: str, logged_in: bool) -> dict[str, Any]:
        r = self.http.post(f"/api/devices/{self.id}/login-status", json={
            "platform": platform, "account": account, "loggedIn": logged_in})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def run_to(self, platform: str = "x") -> tuple[dict[str, Any], str, str]:
        """Claim and start the next job: (job, lease, runId)."""
        got = self.claim([platform], wait=5)
        assert got is not None, "no job to claim"
        run_id = self.start(got["job"]["id"], got["leaseToken"])
        return got["job"], got["leaseToken"], run_id


class Running:
    """A started server and an operator's HTTP client for it."""

    def __init__(self, srv: ServerThread) -> None:
        self.srv = srv
        self.url = srv.url
        self.settings = srv.state.settings
        self.store = srv.state.store
        self.op = httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {OPERATOR}"},
                               timeout=30)
        self.devices: list[DeviceApi] = []

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        r = self.op.request(method, path, **kw)
        assert r.is_success, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def post(self, targets: list[tuple[str, str]] | None = None, *, at: str | None = None,
             confirm: str = "auto", text: str = "hello") -> dict[str, Any]:
        """Create, submit, approve and schedule a post; returns the schedule reply."""
        post = self.ok("POST", "/api/posts", json={
            "text": text, "confirmMode": confirm,
            "targets": [{"platform": p, "account": a} for p, a in (targets or [("x", "main")])]})
        self.ok("POST", f"/api/posts/{post['id']}/submit")
        self.ok("POST", f"/api/posts/{post['id']}/approve")
        return dict(self.ok("POST", f"/api/posts/{post['id']}/schedule",
                            json={"scheduledAt": at or now_iso(-1)}))

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"/api/publishing/jobs/{job_id}"))

    def post_status(self, post_id: str) -> str:
        return str(self.ok("GET", f"/api/posts/{post_id}")["status"])

    def audit(self, job_id: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("jobId", job_id), ("action", action)) if v}
        return list(self.ok("GET", "/api/audit", params=params))

    def device(self, name: str = "dev", platforms: list[str] | None = None,
               accounts: list[dict[str, str]] | None = None) -> DeviceApi:
        r = httpx.post(f"{self.url}/api/devices/register",
                       headers={"Authorization": f"Bearer {ENROLL}"},
                       json={"name": name, "platforms": platforms or ["x"],
                             "accounts": accounts or [], "version": "test"})
        assert r.status_code == 201, r.text
        body = r.json()
        dev = DeviceApi(self.url, body["deviceId"], body["deviceToken"])
        self.devices.append(dev)
        return dev

    def wait_until(self, check: Callable[[], Any], what: str) -> Any:
        """Poll `check` until it returns something truthy; fail after DEADLINE seconds."""
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        pytest.fail(f"timed out waiting for {what}")

    def wait_job(self, job_id: str, status: str) -> dict[str, Any]:
        return dict(self.wait_until(
            lambda: (j := self.job(job_id))["status"] == status and j, f"job {status}"))

    def wait_passes(self, n: int = 2) -> None:
        """Let the recovery loop run `n` more complete passes."""
        target = self.srv.state.recovery_passes + n
        self.wait_until(lambda: self.srv.state.recovery_passes >= target, "recovery passes")

    def sql(self) -> sqlite3.Connection:
        """A connection of the test's own to the server's database (autocommit; `?`
        placeholders on either backend)."""
        db = self.settings.db
        if db is not None and db.startswith("postgresql://"):
            return _pg_sql(db)
        conn = sqlite3.connect(Path(self.store.path), isolation_level=None)  # type: ignore[attr-defined]
        conn.row_factory = sqlite3.Row
        return conn

    def close(self) -> None:
        self.op.close()
        for d in self.devices:
            d.http.close()


def _pg_sql(url: str) -> sqlite3.Connection:
    """sqlite3's connection interface over PostgreSQL (what `Running.sql` callers use)."""
    import psycopg

    from server.store.pg_core import PgDb, _rows

    class Conn(PgDb):
        def close(self) -> None:
            self.conn.close()

    conn = psycopg.connect(url, autocommit=True, row_factory=_rows)
    return Conn(conn, writing=True)  # type: ignore[return-value]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store the test's servers use: `sqlite` or `postgresql`."""
    return str(request.param)


@pytest.fixture
def database(backend: str, request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """`database()` → a new, empty database for one server: None (a SQLite file in the
    server's data dir) or a PostgreSQL URL."""
    if backend == "sqlite":
        return lambda: None
    make: Callable[[], str] = request.getfixturevalue("new_database")
    return make


@pytest.fixture
def server_factory(
    tmp_path: Path, database: Callable[[], str | None]
) -> Iterator[Callable[..., Running]]:
    started: list[Running] = []

    def make(**overrides: Any) -> Running:
        if "db" not in overrides:
            overrides["db"] = database()
        settings = ServerSettings(
            data_dir=tmp_path / f"server{len(started)}", operator_token=OPERATOR,
            enroll_token=ENROLL, port=0, **overrides,
        )
        running = Running(ServerThread(settings).start())
        started.append(running)
        return running

    yield make
    for running in started:
        running.close()
        running.srv.stop()


@pytest.fixture
def server(server_factory: Callable[..., Running]) -> Running:
    """A server whose recovery loop runs often but whose timeouts no test step can reach."""
    return server_factory(recovery_interval=0.2)


@pytest.fixture
def fast_server(server_factory: Callable[..., Running]) -> Running:
    """A server with the playbook's thresholds shrunk to seconds."""
    return server_factory(claim_timeout=1.0, run_timeout=1.0, recovery_interval=0.2,
                          max_attempts=3)
