"""The status line says when the server is unreachable (issue 15): from the first failed
attempt of any daemon client ("server unreachable since 12:03:05, retrying"), at warning,
once per outage, and it clears when the server answers again."""

from __future__ import annotations

import io
import logging
from datetime import datetime

import httpx
import pytest

from common.errors import ServerUnavailable
from runner.client import RetryPolicy, ServerClient
from runner.device.reachability import Reachability, WatchedTransport
from runner.device.status import StatusLine


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_says_since_when_the_server_is_unreachable() -> None:
    line = StatusLine(Tty())
    line.update(state="waiting for a job", last="j1 SUCCEEDED")
    assert line.render() == "waiting for a job · last: j1 SUCCEEDED"
    line.server_unreachable(datetime(2026, 12, 2, 12, 3, 5))
    assert line.render() == ("server unreachable since 12:03:05, retrying · waiting for a job"
                             " · last: j1 SUCCEEDED")
    line.server_unreachable(None)
    assert line.render() == "waiting for a job · last: j1 SUCCEEDED"


class Flaky(httpx.AsyncBaseTransport):
    """Refuses connections while `down`, answers 200 {} otherwise."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return httpx.Response(200, json={"ok": True})


@pytest.mark.asyncio
async def test_every_attempt_reports_and_an_outage_is_one_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    line = StatusLine(Tty())
    reach = Reachability(line.server_unreachable)
    inner = Flaky()
    client = ServerClient("http://127.0.0.1:9", transport=WatchedTransport(reach, inner),
                          retry=RetryPolicy(initial=0.01, cap=0.01, budget=0.3))
    caplog.set_level(logging.INFO)
    with pytest.raises(ServerUnavailable):
        await client._call("GET", "/api/health")
    assert inner.calls > 1  # the client's retries each went through the watch
    assert reach.down_since is not None
    assert line.render().startswith(
        f"server unreachable since {reach.down_since.strftime('%H:%M:%S')}, retrying")
    said = [r for r in caplog.records if r.name == "runner.device.reachability"]
    assert [(r.levelno, r.getMessage().split(" since")[0]) for r in said] == [
        (logging.WARNING, "server unreachable")]  # once, however many attempts
    # Connection failures are warnings everywhere, never info.
    failures = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert failures and all(r.levelno == logging.WARNING for r in failures)

    inner.down = False
    await client._call("GET", "/api/health")
    assert reach.down_since is None and "unreachable" not in line.render()
    said = [r for r in caplog.records if r.name == "runner.device.reachability"]
    assert len(said) == 2 and said[1].getMessage().startswith("server reachable again")
    await client.aclose()
