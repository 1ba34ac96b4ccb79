"""End-to-end harness: the real server and the real daemon as processes, the sandbox over
real HTTP, a real Chromium with a persistent profile, a real SQLite file.

Thresholds are seconds, so the failure playbook's recoveries happen within a test.

A module that overrides the `server_backend` fixture with `PG_REPLICAS` runs its tests
against a team's server instead: PostgreSQL (a fresh database on the test run's PostgreSQL,
see tests/postgres.py) with two replicas behind one URL (`serve --workers 2`: two processes
on one port, each connection to either), so one daemon's calls land on both replicas and
both recovery loops run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.postgres import new_database, postgres_url

__all__ = ["new_database", "postgres_url"]  # fixtures, for the tests on PostgreSQL

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = "e2e-operator-token"
ENROLL = "e2e-enroll-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


@dataclass
class ServerProcess:
    """`publish-runner serve` on a fixed port and database, so it can be stopped and started
    (`db`: a PostgreSQL URL instead of the folder's SQLite file; `workers`: replicas)."""

    folder: Path
    options: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    db: str | None = None
    workers: int = 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        args = [sys.executable, "-m", "runner", "--log-level", "WARNING", "serve",
                "--db", self.db or str(self.folder / "server.db"), "--port", str(self.port),
                "--data-dir", str(self.folder / "server"), "--operator-token", OPERATOR,
                "--enroll-token", ENROLL, "--workers", str(self.workers)]
        for key, value in self.options.items():
            args += [f"--{key}", value]
        log = (self.folder / "server.log").open("ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=log)
        wait_until(self._up, 20, "the server to answer")
        return self

    def _up(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"server exited: {(self.folder / 'server.log').read_text()}")
        try:
            return httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            if sig == signal.SIGKILL:  # a lost machine: its workers die with it
                for pid in workers_of(self.proc.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, sig)
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        self.proc = None

    # -- operator calls ------------------------------------------------------------------

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = httpx.request(method, self.url + path, timeout=30,
                              headers={"Authorization": f"Bearer {OPERATOR}"}, **kwargs)
        assert reply.status_code < 400, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json() if reply.content else None

    def publish(self, text: str, *, account: str = "main", media: list[str] | None = None,
                confirm: str = "auto", at: datetime | None = None) -> dict[str, Any]:
        """Create, approve and schedule a post for the sandbox; returns the post."""
        post = self.api("POST", "/api/posts", json={
            "text": text, "media": media or [], "confirmMode": confirm,
            "targets": [{"platform": "sandbox", "account": account}]})
        self.api("POST", f"/api/posts/{post['id']}/submit")
        self.api("POST", f"/api/posts/{post['id']}/approve")
        when = (at or datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
        return self.api("POST", f"/api/posts/{post['id']}/schedule",  # type: ignore[no-any-return]
                        json={"scheduledAt": when})

    def job(self, job_id: str) -> dict[str, Any]:
        return self.api("GET", f"/api/publishing/jobs/{job_id}")  # type: ignore[no-any-return]

    def wait_job(self, job_id: str, *statuses: str, timeout: float = 60) -> dict[str, Any]:
        return wait_until(  # type: ignore[no-any-return]
            lambda: (j := self.job(job_id))["status"] in statuses and j,
            timeout, f"job {job_id} to become {'/'.join(statuses)}")


@dataclass
class DaemonProcess:
    """`publish-runner run` with its own home folder (identity, outbox, profiles)."""

    home: Path
    server: ServerProcess
    sandbox_url: str
    extra: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def profile(self) -> Path:
        return self.home / "profiles" / "sandbox" / "main"

    @property
    def log_file(self) -> Path:
        return self.home / f"daemon-{self.runs}.log"

    def start(self) -> DaemonProcess:
        self.runs += 1
        env = {**os.environ, "PUBLISH_RUNNER_HOME": str(self.home),
               "PUBLISH_RUNNER_CONFIG": str(self.home / "none.yaml"),
               "PUBLISH_RUNNER_HEARTBEAT_S": "1", "PUBLISH_RUNNER_KEEPALIVE_S": "1",
               "PUBLISH_RUNNER_LOG_LEVEL": "DEBUG",
               **self.extra}
        args = [sys.executable, "-m", "runner", "--log-format", "json", "run",
                "--server-url", self.server.url, "--enroll-token", ENROLL,
                "--account", f"sandbox/main={self.profile}", "--headless",
                "--base-url", f"sandbox={self.sandbox_url}", "--min-gap", "0",
                "--device-name", "e2e-device"]
        log = self.log_file.open("ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=log, env=env)
        wait_until(lambda: self.logs("claiming jobs") or self._dead(), 60,
                   "the daemon to start claiming")
        return self

    def _dead(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.all_logs()}")
        return False

    def logs(self, needle: str = "") -> list[dict[str, Any]]:
        out = []
        for i in range(1, self.runs + 1):
            path = self.home / f"daemon-{i}.log"
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    record = {"message": line}
                if needle in str(record.get("message", "")):
                    out.append(record)
        return out

    def all_logs(self) -> str:
        return "\n".join(str(r.get("message")) for r in self.logs())

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(timeout=10)
        self.proc = None

    def wait_exit(self, timeout: float = 60) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout=timeout)
        self.proc = None
        return code

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


def workers_of(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc): a `serve --workers N`'s workers."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


SQLITE, PG_REPLICAS = "sqlite", "postgresql-2-replicas"


@pytest.fixture
def server_backend() -> str:
    """What `server_factory` starts: SQLite, one process; a module may override this with
    `PG_REPLICAS` (module docstring)."""
    return SQLITE


@pytest.fixture
def server_factory(
    tmp_path: Path, server_backend: str, request: pytest.FixtureRequest,
) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []
    db: str | None = None
    if server_backend == PG_REPLICAS:  # asked only here: a SQLite run starts no PostgreSQL
        db = request.getfixturevalue("new_database")()

    def make(**options: str) -> ServerProcess:
        defaults = {"claim-timeout": "3", "run-timeout": "6", "recovery-interval": "1",
                    "max-attempts": "3"}
        server = ServerProcess(tmp_path, {**defaults, **options}, db=db,
                               workers=2 if db else 1).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def faults_env(folder: Path, **pauses: float) -> dict[str, str]:
    """The daemon's test-only fault hook (runner/device/faults.py): pauses at named points,
    e.g. `faults_env(tmp, after_claim=30)`; `after_phase__publish` is `after_phase.publish`."""
    path = folder / "faults.json"
    path.write_text(json.dumps({"pause": {k.replace("__", "."): v
                                          for k, v in pauses.items()}}), encoding="utf-8")
    return {"PUBLISH_RUNNER_TEST_FAULTS": str(path)}


def seed_profile(profile: Path, cookie: dict[str, Any]) -> None:
    """Log a persistent profile in, as an operator would once by hand (the daemon under test
    runs in its own process, so this needs no shared event loop)."""
    from runner.device.profiles import seed_cookies

    asyncio.run(seed_cookies(profile, [cookie]))


@pytest.fixture
def daemon_factory(tmp_path: Path, sandbox: Any) -> Iterator[Callable[..., DaemonProcess]]:
    started: list[DaemonProcess] = []

    def make(server: ServerProcess, *, logged_in: bool = True, start: bool = True,
             **extra: str) -> DaemonProcess:
        daemon = DaemonProcess(tmp_path / "home", server, sandbox.url, extra)
        daemon.home.mkdir(parents=True, exist_ok=True)
        if logged_in and not daemon.profile.exists():
            seed_profile(daemon.profile, sandbox.state.login_cookie("main"))
        started.append(daemon)
        return daemon.start() if start else daemon

    yield make
    for daemon in started:
        daemon.stop()
