"""Helpers and fixtures for the dashboard tests: a real server on 127.0.0.1 (real SQLite),
an operator browser stand-in over httpx (cookies, Origin header, CSRF token read from the
page), and a scripted device speaking the device API so jobs reach every state without the daemon.

No conftest.py here: test folders without `__init__.py` would share the module name
`conftest` with tests/integration/server. Test modules import the fixtures from here. A module
that also imports `dash_db_fixture` and marks `pytest.mark.usefixtures("dash_db")` runs each
test once per backend (SQLite, and a fresh database on a real PostgreSQL).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from server.serve import ServerThread
from server.settings import ServerSettings
from tests.postgres import new_database, postgres_url

__all__ = ["new_database", "postgres_url"]  # fixtures, re-exported for pytest

BACKENDS = [b for b in os.environ.get("PUBLISH_RUNNER_TEST_BACKENDS",
                                      "sqlite,postgresql").split(",") if b]

OPERATOR = "dash-operator-token"
ENROLL = "dash-enroll-token"
APP = "/app/publishing"


def png(color: str = "teal", size: tuple[int, int] = (64, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


class Device:
    """A device driven step by step through the device API."""

    def __init__(self, url: str, name: str = "phone-1", platform: str = "x",
                 account: str = "main") -> None:
        r = httpx.post(f"{url}/api/devices/register", headers={"Authorization": f"Bearer {ENROLL}"},
                       json={"name": name, "platforms": [platform],
                             "accounts": [{"platform": platform, "account": account}]})
        assert r.status_code == 201, r.text
        self.id = r.json()["deviceId"]
        self.platform = platform
        self.http = httpx.Client(base_url=url, timeout=30,
                                 headers={"Authorization": f"Bearer {r.json()['deviceToken']}"})
        self.seq = 0

    def ok(self, path: str, **kw: Any) -> Any:
        r = self.http.post(path, **kw)
        assert r.is_success, f"{path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def run(self, job_id: str) -> tuple[str, str]:
        """Claim and start `job_id` (the only due job): (lease, runId)."""
        got = self.ok("/api/publishing/jobs/claim", json={"platforms": [self.platform]})
        assert got["job"]["id"] == job_id
        lease = got["leaseToken"]
        run_id = self.ok(f"/api/publishing/jobs/{job_id}/start", json={"leaseToken": lease})
        self.seq += 1
        self.ok(f"/api/publishing/jobs/{job_id}/events", json={
            "leaseToken": lease, "runId": run_id["runId"], "events": [{
                "seq": self.seq, "at": datetime.now(timezone.utc).isoformat(),
                "phase": "compose", "step": "type", "level": "info",
                "message": "typed the text"}]})
        return lease, run_id["runId"]

    def proof(self, job_id: str, lease: str, run_id: str, kind: str, data: bytes) -> str:
        return str(self.ok(f"/api/publishing/jobs/{job_id}/proofs", data={
            "leaseToken": lease, "runId": run_id, "kind": kind,
            "sha256": hashlib.sha256(data).hexdigest()},
            files={"file": ("proof.png", data, "image/png")})["assetId"])

    def complete(self, job_id: str, lease: str, run_id: str, outcome: str, **extra: Any) -> None:
        self.ok(f"/api/publishing/jobs/{job_id}/complete", json={
            "leaseToken": lease, "runId": run_id, "outcome": outcome, **extra})

    def login(self, logged_in: bool, account: str = "main") -> None:
        self.ok(f"/api/devices/{self.id}/login-status", json={
            "platform": self.platform, "account": account, "loggedIn": logged_in})


class Dash:
    """The server, the operator API (bearer) for setup, and a dashboard client (cookies)."""

    def __init__(self, srv: ServerThread) -> None:
        self.srv = srv
        self.url = srv.url
        self.api = httpx.Client(base_url=srv.url, timeout=30,
                                headers={"Authorization": f"Bearer {OPERATOR}"})
        self.web = self.client()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Origin": self.url})

    def sign_in(self, client: httpx.Client | None = None) -> httpx.Client:
        web = client or self.web
        r = web.post(f"{APP}/login", data={"token": OPERATOR, "next": f"{APP}/jobs"})
        assert r.status_code == 303, r.text
        return web

    def csrf(self, client: httpx.Client | None = None) -> str:
        page = (client or self.web).get(f"{APP}/posts")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    def post(self, *, platform: str = "x", account: str = "main", confirm: str = "auto",
             at: datetime | None = None, schedule: bool = True) -> dict[str, Any]:
        """A post through the API (approved and scheduled unless told otherwise)."""
        post = self.api.post("/api/posts", json={
            "text": "hello", "confirmMode": confirm,
            "targets": [{"platform": platform, "account": account}]}).json()
        if not schedule:
            return dict(post)
        self.api.post(f"/api/posts/{post['id']}/submit")
        self.api.post(f"/api/posts/{post['id']}/approve")
        when = (at or datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
        r = self.api.post(f"/api/posts/{post['id']}/schedule", json={"scheduledAt": when})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.api.get(f"/api/publishing/jobs/{job_id}").json())

    def device(self, **kw: Any) -> Device:
        return Device(self.url, **kw)


@pytest.fixture(name="dash_db", params=BACKENDS)
def dash_db_fixture(request: pytest.FixtureRequest) -> Callable[[], str | None]:
    """`dash_db()` → None (SQLite in the data dir) or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return lambda: None
    make: Callable[[], str] = request.getfixturevalue("new_database")
    return make


@pytest.fixture(name="dash_factory")
def dash_factory_fixture(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Dash]]:
    started: list[ServerThread] = []
    try:
        database: Callable[[], str | None] = request.getfixturevalue("dash_db")
    except pytest.FixtureLookupError:  # the module runs on SQLite only
        database = lambda: None  # noqa: E731

    def make(**settings: Any) -> Dash:
        values = {"port": 0, "data_dir": tmp_path / f"server{len(started)}",
                  "db": database(),
                  "operator_token": OPERATOR, "enroll_token": ENROLL,
                  "recovery_interval": 3600.0, **settings}
        srv = ServerThread(ServerSettings(**values)).start()
        started.append(srv)
        return Dash(srv)

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture(name="dash")
def dash_fixture(dash_factory: Callable[..., Dash]) -> Dash:
    return dash_factory()


# Every text node made only of Latin data (no Arabic letter) must sit inside an element below
# <html> that isolates its direction: <bdi>, or one with a dir attribute (<time dir="ltr">,
# <code dir>). The page's own dir="rtl" does not count.
UNISOLATED_JS = """() => {
  const bad = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    if (!/[A-Za-z]/.test(text) || /[\\u0600-\\u06FF]/.test(text)) continue;
    const el = n.parentElement;
    if (el.closest('select, option, textarea, script, style')) continue;
    // The page's own <html dir="rtl"> isolates nothing: only an element inside the page counts.
    const iso = el.closest('bdi, [dir]');
    if (!iso || iso === document.documentElement) bad.push(text.slice(0, 60));
  }
  return bad;
}"""
