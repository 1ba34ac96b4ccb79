"""The runner's ServerClient against the real server, and its retry and error mapping."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from common.errors import LeaseLost, ServerRejected, ServerUnavailable
from contract import models as s
from runner.cli import main
from runner.client import RetryPolicy, ServerClient
from server.app import create_app
from server.settings import ServerSettings
from tests.integration.server.conftest import ENROLL, OPERATOR, PNG, Running

FAST = RetryPolicy(initial=0.001, cap=0.01, budget=1.0, result_budget=1.0)


async def _publish_once(url: str | None, transport: httpx.AsyncBaseTransport | None) -> None:
    base = url or "http://server"
    async with ServerClient(base, OPERATOR, transport=transport) as op, \
            ServerClient(base, transport=transport) as dev:
        post = await op.create_post(s.PostCreate(text="hi", targets=[s.Target(platform="x")]))
        await op.submit_post(post.id)
        await op.approve_post(post.id)
        await op.schedule_post(post.id, s.ScheduleRequest(scheduled_at=datetime.now(timezone.utc)))
        reg = await dev.register(ENROLL, s.RegisterRequest(name="d", platforms=["x"]))
        dev.token = reg.device_token
        got = await dev.claim(s.ClaimRequest(platforms=["x"], wait_sec=5))
        assert got is not None and got.post.text == "hi"
        run_id = await dev.start(got.job.id, got.lease_token)
        lease = got.lease_token
        reply = await dev.events(got.job.id, s.EventsRequest(lease_token=lease, run_id=run_id,
                                 events=[s.Event(seq=1, at=datetime.now(timezone.utc))]))
        assert reply.status is s.JobStatus.RUNNING
        asset = await dev.upload_proof(got.job.id, lease_token=lease, run_id=run_id,
                                       kind=s.ProofKind.AFTER_PUBLISH,
                                       sha256=hashlib.sha256(PNG).hexdigest(), data=PNG)
        done = await dev.complete(got.job.id, s.CompleteRequest(
            lease_token=lease, run_id=run_id, outcome=s.Outcome.SUCCEEDED,
            proof_asset_ids=[asset]))
        assert done.status is s.JobStatus.SUCCEEDED
        assert (await op.get_asset(asset)) == (PNG, "image/png")
        with pytest.raises(LeaseLost):
            await dev.start(got.job.id, "not-the-lease")
        with pytest.raises(ServerRejected) as info:
            await op.get_job("job_missing")
        assert (info.value.status, info.value.code) == (404, "NOT_FOUND")
        assert [j.id for j in await op.list_jobs(status=s.JobStatus.SUCCEEDED)] == [got.job.id]
        assert (await op.audit(job_id=got.job.id))[-1].action == "JOB_SUCCEEDED"


def test_client_over_real_http(server: Running) -> None:
    asyncio.run(_publish_once(server.url, None))


def test_client_in_process_with_asgi_transport(tmp_path: Path) -> None:
    app = create_app(ServerSettings(data_dir=tmp_path, operator_token=OPERATOR,
                                    enroll_token=ENROLL))

    async def go() -> None:
        async with app.router.lifespan_context(app):
            await _publish_once(None, httpx.ASGITransport(app))

    asyncio.run(go())


def _mock(statuses: list[int], headers: dict[str, str] | None = None
          ) -> tuple[httpx.MockTransport, list[int]]:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = statuses[min(len(seen), len(statuses) - 1)]
        seen.append(status)
        if status == 200:
            return httpx.Response(200, json=[])
        return httpx.Response(status, headers=headers or {},
                              json={"error": {"code": "X", "message": "m"}})

    return httpx.MockTransport(handler), seen


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_retries_transient_statuses(status: int) -> None:
    transport, seen = _mock([status, status, 200], {"Retry-After": "0"})

    async def go() -> None:
        async with ServerClient("http://s", "t", transport=transport, retry=FAST) as c:
            assert await c.devices() == []

    asyncio.run(go())
    assert seen == [status, status, 200]


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_never_retries_other_4xx(status: int) -> None:
    transport, seen = _mock([status, 200])

    async def go() -> None:
        async with ServerClient("http://s", "t", transport=transport, retry=FAST) as c:
            with pytest.raises(ServerRejected):
                await c.devices()

    asyncio.run(go())
    assert seen == [status]


def test_gives_up_as_unavailable_and_retries_network_errors() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    async def go() -> None:
        async with ServerClient("http://s", "t", transport=httpx.MockTransport(handler),
                                retry=RetryPolicy(initial=0.001, cap=0.01, budget=0.1)) as c:
            with pytest.raises(ServerUnavailable):
                await c.devices()

    asyncio.run(go())
    assert len(calls) > 1


def test_operator_cli_over_the_api(server: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISH_RUNNER_SERVER_URL", server.url)
    monkeypatch.setenv("PUBLISH_RUNNER_OPERATOR_TOKEN", OPERATOR)
    monkeypatch.setenv("PUBLISH_RUNNER_CONFIG", str(Path(server.settings.resolved_data_dir())
                                                    / "none.yaml"))
    cli: Callable[..., object] = CliRunner().invoke
    posted = cli(main, ["post", "--platform", "x", "--account", "main", "--text", "from cli",
                        "--confirm", "manual", "--json"])
    assert posted.exit_code == 0, posted.output  # type: ignore[attr-defined]
    listed = cli(main, ["jobs", "--status", "queued"])
    assert "QUEUED" in listed.output  # type: ignore[attr-defined]
    job_id = listed.output.split()[0]  # type: ignore[attr-defined]
    assert job_id in cli(main, ["job", job_id]).output  # type: ignore[attr-defined]
    assert "CANCELLED" in cli(main, ["cancel", job_id]).output  # type: ignore[attr-defined]
    assert "QUEUED" in cli(main, ["retry", job_id]).output  # type: ignore[attr-defined]
    refused = cli(main, ["confirm", job_id, "--reject"])
    assert refused.exit_code == 2 and "409" in refused.output  # type: ignore[attr-defined]
    assert "no devices" in cli(main, ["devices"]).output  # type: ignore[attr-defined]
