"""Canary results are durable (runner.device.canary_spool): written before they are sent,
kept while the server cannot take them, sent once it can (also after a restart), a refused
one set aside without blocking the next, bounded per account, owner-only on disk.

The real `ServerClient` talks to the in-memory `FakeServer` (tests/unit/device/fakes.py),
which validates every body with the contract and is idempotent by the result's id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from contract import models as s
from runner.canary.report import CanaryReport
from runner.client import RetryPolicy, ServerClient
from runner.device.canaries import Canaries, to_request
from runner.device.canary_schedule import CanarySchedule
from runner.device.canary_spool import CanarySpool
from runner.engine.result import Proof
from tests.unit.device.fakes import FakeServer
from tests.unit.device.test_canaries import ACCOUNT, NOW, Host, a_root, report

PNG = b"\x89PNG\r\n\x1a\n spooled proof"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def server_client() -> AsyncIterator[tuple[FakeServer, ServerClient]]:
    server = FakeServer()
    client = ServerClient("http://server.test", "tok", transport=server.transport(),
                          retry=RetryPolicy(initial=0.01, cap=0.01, budget=0.05))
    yield server, client
    await client.aclose()


@pytest.fixture
def fake_canary(monkeypatch: pytest.MonkeyPatch) -> None:
    """runner.canary.canary_on_page replaced: a report with one proof screenshot."""

    async def fake(page: Any, platform: Any, **kw: Any) -> CanaryReport:
        shot = kw["out_dir"] / "before_confirm.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        shot.write_bytes(PNG)
        return report(proofs=[Proof(kind="before_confirm", path=shot, sha256="", size=9,
                                    width=1, height=1, content_type="image/png")])

    monkeypatch.setattr("runner.canary.canary_on_page", fake)


def a_request(account: str = "main", verdict: str = "healthy") -> s.CanaryResultRequest:
    rep = report(verdict)
    rep.account = account
    return to_request(rep, trigger=s.CanaryTrigger.SCHEDULE,
                      started_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
                      definitions_hash=None, definitions_version=3)


def a_proof(tmp: Path, name: str = "shot.png") -> Path:
    path = tmp / name
    path.write_bytes(PNG)
    return path


def canaries(host: Host, spool: CanarySpool | None = None,
             accounts: list[Any] | None = None) -> Canaries:
    schedule = CanarySchedule({"sandbox/main": 3600.0}, jitter_s=0.0, margin_s=60.0,
                              clock=lambda: NOW)
    return Canaries(host, schedule, [ACCOUNT] if accounts is None else accounts,
                    clock=lambda: NOW, spool=spool)


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_canary")
async def test_a_result_the_server_cannot_take_is_kept_and_sent_once_it_is_back(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient]) -> None:
    server, client = server_client
    clock = Clock()
    host = Host(tmp_path, client, a_root(tmp_path))  # type: ignore[arg-type]
    spool = CanarySpool(host.work_dir / "canary-spool", clock=clock)
    can = canaries(host, spool)
    server.canary_down = True
    assert await can.run_one(ACCOUNT, s.CanaryTrigger.SCHEDULE) is not None
    assert server.canary_results == {}
    (entry,) = spool.pending()  # kept, proof included, after the canary's folder is gone
    assert [p.name for p in sorted(entry.iterdir())] == ["entry.json", "proof-0-before_confirm"]
    for path in (host.work_dir / "canary").rglob("*.png"):
        path.unlink()  # the canary's own folder goes with the next canary

    # Put off: while the pause lasts, a wake sends nothing (no busy loop).
    wait = spool.retry_in()
    assert wait is not None and wait > 0
    calls = len(server.calls)
    assert await spool.deliver(client, host.device_id) == 0
    assert len(server.calls) == calls and len(spool.pending()) == 1

    server.canary_down = False
    clock.now += wait
    assert await spool.deliver(client, host.device_id) == 1
    assert spool.pending() == [] and spool.retry_in() is None
    assert await spool.deliver(client, host.device_id) == 0
    assert server.canary_posts == 1  # delivered once
    (got,) = server.canary_results.values()
    assert got.definitions_version == 7 and got.platform == "sandbox"
    (proof,) = got.proofs
    assert proof.kind is s.ProofKind.BEFORE_CONFIRM and server.canary_proofs[proof.asset_id] == PNG


@pytest.mark.asyncio
async def test_the_pause_grows_while_the_server_stays_away(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient]) -> None:
    server, client = server_client
    clock = Clock()
    spool = CanarySpool(tmp_path / "spool", clock=clock)
    spool.put(a_request())
    server.canary_down = True
    pauses = []
    for _ in range(8):
        await spool.deliver(client, "dev_1")
        wait = spool.retry_in()
        assert wait is not None
        pauses.append(wait)
        clock.now += wait
    assert pauses[0] <= 5.0 and max(pauses) <= 300.0 and pauses[-1] >= 150.0
    server.canary_down = False
    await spool.deliver(client, "dev_1")
    assert len(server.canary_results) == 1 and spool.retry_in() is None


@pytest.mark.asyncio
async def test_a_result_spooled_before_a_crash_is_delivered_after_the_restart(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient]) -> None:
    server, client = server_client
    host = Host(tmp_path, client, a_root(tmp_path))  # type: ignore[arg-type]
    folder = host.work_dir / "canary-spool"
    before = CanarySpool(folder)
    req = a_request()
    before.put(req, [(s.ProofKind.ON_FAILURE, a_proof(tmp_path))])  # the crash: never sent
    (folder / "tmp-00000000000000000001-can_half").mkdir()  # one being written at the crash
    del before

    restarted = canaries(host, accounts=[])  # a new task over the same folder
    assert not (folder / "tmp-00000000000000000001-can_half").exists()
    task = asyncio.ensure_future(restarted.run())
    try:
        await server.wait_for(lambda: server.canary_results, timeout=5.0)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert list(server.canary_results) == [req.id] and server.canary_posts == 1
    assert restarted.spool.pending() == []
    assert [p.kind for p in server.canary_results[req.id].proofs] == [s.ProofKind.ON_FAILURE]


@pytest.mark.asyncio
async def test_the_task_does_not_hammer_a_server_that_is_down(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient]) -> None:
    server, client = server_client
    host = Host(tmp_path, client, a_root(tmp_path))  # type: ignore[arg-type]
    can = canaries(host, accounts=[])
    can.spool.put(a_request())
    server.canary_down = True
    task = asyncio.ensure_future(can.run())
    try:
        await server.wait_for(lambda: (can.spool.retry_in() or 0) > 0, timeout=5.0)
        calls = len(server.calls)
        for _ in range(5):  # wakes meanwhile (a trigger, a stop request) send nothing
            can.wake.set()
            await asyncio.sleep(0.1)
        assert len(server.calls) == calls and len(can.spool.pending()) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_an_entry_whose_removal_was_cut_short_is_not_sent_again(tmp_path: Path) -> None:
    spool = CanarySpool(tmp_path / "spool")
    entry = spool.put(a_request(), [(s.ProofKind.ON_FAILURE, a_proof(tmp_path))])
    (entry / "entry.json").unlink()  # acknowledged, then the daemon died mid-removal
    assert spool.pending() == [entry]
    asyncio.run(spool.deliver(None, "dev_1"))  # type: ignore[arg-type]  # no server needed
    assert spool.pending() == [] and spool.dead() == []


@pytest.mark.asyncio
async def test_a_refused_result_is_set_aside_and_the_next_is_delivered(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient],
        caplog: pytest.LogCaptureFixture) -> None:
    server, client = server_client
    spool = CanarySpool(tmp_path / "spool")
    bad, good = a_request(), a_request(verdict="broken")
    spool.put(bad)
    spool.put(good)
    server.refuse_canary.add(bad.id)
    assert await spool.deliver(client, "dev_1") == 1
    assert list(server.canary_results) == [good.id] and spool.pending() == []
    (dead,) = spool.dead()
    assert dead.name.endswith(bad.id) and dead.account == "sandbox/main"
    assert "422" in dead.reason and "refused by the test" in dead.reason
    assert "set aside for good" in caplog.text
    assert await spool.deliver(client, "dev_1") == 0  # never sent again
    assert server.canary_posts == 2


@pytest.mark.asyncio
async def test_an_unreadable_entry_is_set_aside_too(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient]) -> None:
    server, client = server_client
    spool = CanarySpool(tmp_path / "spool")
    broken = spool.put(a_request())
    (broken / "entry.json").write_text("{not json")
    good = a_request()
    spool.put(good)
    assert await spool.deliver(client, "dev_1") == 1
    assert list(server.canary_results) == [good.id]
    (dead,) = spool.dead()
    assert dead.reason.startswith("unreadable")


@pytest.mark.asyncio
async def test_a_refusal_about_the_device_keeps_the_result(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient]) -> None:
    server, client = server_client
    spool = CanarySpool(tmp_path / "spool")
    spool.put(a_request())
    # Another device's path: the server answers 403, which says nothing of the result.
    original = server._canary_call

    def forbidden(request: Any, path: str) -> Any:
        return server._refuse(request, 403, "FORBIDDEN", "a device may only act as itself")

    server._canary_call = forbidden  # type: ignore[method-assign]
    assert await spool.deliver(client, "dev_1") == 0
    assert len(spool.pending()) == 1 and spool.dead() == []
    server._canary_call = original  # type: ignore[method-assign]
    assert await spool.deliver(client, "dev_1", force=True) == 1


def test_the_spool_keeps_the_newest_entries_of_each_account(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spool = CanarySpool(tmp_path / "spool", keep=3)
    mains = [a_request() for _ in range(5)]
    for req in mains:
        spool.put(req)
    other = a_request(account="second")
    spool.put(other)
    ids = [e.name.split("-", 1)[1] for e in spool.pending()]
    assert ids == [r.id for r in mains[2:]] + [other.id]  # oldest first, across accounts
    assert caplog.text.count("the oldest dropped") == 2


def test_the_set_aside_results_are_bounded_too(tmp_path: Path) -> None:
    spool = CanarySpool(tmp_path / "spool", keep_dead=2)
    for _ in range(4):
        spool._set_aside(spool.put(a_request()), "refused")
    assert len(spool.dead()) == 2 and spool.pending() == []


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask, so only the spool's own modes can keep the files private."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_spooled_files_are_owner_only(tmp_path: Path) -> None:
    spool = CanarySpool(tmp_path / "spool")
    entry = spool.put(a_request(), [(s.ProofKind.BEFORE_CONFIRM, a_proof(tmp_path))])
    spool._set_aside(spool.put(a_request()), "refused")
    dirs = [spool.folder, entry.parent, entry, spool.folder / "dead",
            *(spool.folder / "dead").iterdir()]
    files = [p for d in dirs for p in d.iterdir() if p.is_file()]
    assert len(files) == 4  # entry.json and the proof; entry.json and reason.txt
    assert {stat.S_IMODE(d.stat().st_mode) for d in dirs} == {0o700}
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}


def test_a_proof_that_cannot_be_read_is_left_out_not_the_result(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    spool = CanarySpool(tmp_path / "spool")
    req = a_request()
    spool.put(req, [(s.ProofKind.ON_FAILURE, tmp_path / "gone.png"),
                    (s.ProofKind.BEFORE_CONFIRM, a_proof(tmp_path))])
    (entry,) = spool.pending()
    assert sorted(p.name for p in entry.iterdir()) == ["entry.json", "proof-1-before_confirm"]
    assert "not kept" in caplog.text


@pytest.mark.asyncio
@pytest.mark.usefixtures("fake_canary")
async def test_a_result_that_cannot_be_spooled_is_still_sent_once(
        tmp_path: Path, server_client: tuple[FakeServer, ServerClient],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    server, client = server_client
    host = Host(tmp_path, client, a_root(tmp_path))  # type: ignore[arg-type]
    can = canaries(host)

    def full(*args: Any, **kw: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(can.spool, "put", full)
    await can.run_one(ACCOUNT, s.CanaryTrigger.SCHEDULE)
    (got,) = server.canary_results.values()
    assert [p.kind for p in got.proofs] == [s.ProofKind.BEFORE_CONFIRM]
    assert "could not be spooled" in caplog.text and can.spool.pending() == []
