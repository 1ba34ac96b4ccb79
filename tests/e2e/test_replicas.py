"""The daemon against a team's server: two `serve` processes on one PostgreSQL database and one
data directory, behind a round-robin HTTP proxy, so consecutive calls of one device land on
different replicas (claim on one, start on the other, proofs wherever).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from server.serve import listen
from tests.e2e.conftest import OPERATOR, ServerProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

_HOP = {b"host", b"content-length", b"transfer-encoding", b"connection"}


class RoundRobin:
    """A reverse proxy in a thread: each request goes to the next backend in turn."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.sent: Counter[str] = Counter()
        self._next = itertools.cycle(backends)
        self._sock = listen("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(
            self._app, log_config=None, lifespan="off", access_log=False, interface="asgi3"))
        self._thread = threading.Thread(target=lambda: asyncio.run(
            self._server.serve(sockets=[self._sock])), daemon=True)

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        backend = next(self._next)
        self.sent[backend] += 1
        query = scope.get("query_string", b"").decode()
        url = backend + scope["path"] + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k not in _HOP]
        async with httpx.AsyncClient(timeout=90) as client:
            reply = await client.request(scope["method"], url, headers=headers, content=body)
        out = [(k, v) for k, v in reply.headers.raw if k.lower() not in _HOP]
        out.append((b"content-length", str(len(reply.content)).encode()))
        await send({"type": "http.response.start", "status": reply.status_code,
                    "headers": out})
        await send({"type": "http.response.body", "body": reply.content})

    def __enter__(self) -> RoundRobin:
        self._thread.start()
        wait_until(lambda: self._server.started, 10, "the proxy to start", every=0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


@pytest.fixture
def replicas(tmp_path: Path, new_database: Callable[[], str]) -> Iterator[list[ServerProcess]]:
    """Two server processes on one fresh database and one data directory."""
    db = new_database()
    # Recovery runs on both, with thresholds no step of a loaded machine reaches: this test
    # is about calls crossing replicas (tests/integration/server covers recovery on both).
    options = {"claim-timeout": "60", "run-timeout": "60", "recovery-interval": "1",
               "max-attempts": "3", "db": db}
    group = [ServerProcess(tmp_path, dict(options)) for _ in range(2)]
    try:
        for server in group:
            server.start()
        yield group
    finally:
        for server in group:
            server.stop()


def test_the_daemon_publishes_through_two_replicas(
    replicas: list[ServerProcess], daemon_factory: Any, sandbox: Any, tmp_path: Path,
) -> None:
    a, b = replicas
    with RoundRobin([a.url, b.url]) as proxy:
        front = ServerProcess(tmp_path, {}, port=int(proxy.url.rsplit(":", 1)[1]))
        daemon_factory(front)
        posts = [front.publish(f"through two replicas {i}") for i in range(2)]
        jobs = [front.wait_job(p["jobs"][0]["id"], "SUCCEEDED", timeout=120) for p in posts]
        assert proxy.sent[a.url] > 3 and proxy.sent[b.url] > 3
    assert sorted(p.text for p in sandbox.state.posts("main")) == [
        "through two replicas 0", "through two replicas 1"]
    for job in jobs:
        assert len(job["runs"]) == 1, job["runs"]
        (run,) = job["runs"]
        assert {p["kind"] for p in run["proofs"]} == {"before_confirm", "after_publish"}
        for replica in (a, b):  # one shared assets directory: every proof on every replica
            r = httpx.get(f"{replica.url}/api/assets/{job['proofScreenshotAssetId']}",
                          headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=30)
            assert r.status_code == 200 and len(r.content) > 100
        assert a.job(job["id"]) == b.job(job["id"])
