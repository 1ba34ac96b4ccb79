"""Following the server's definitions versions: what is fetched, checked, kept, and what a
job runs with (in-memory fetches and the in-memory server; no network, no browser)."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from common.definitions_bundle import pack
from common.definitions_set import hash_root
from contract import models as s
from runner.definitions_root import DefinitionsRoot
from runner.device.definitions_sync import DefinitionsSync
from tests.definitions_sets import sandbox_set


class Fetches:
    """The archives a fake server would serve, and which URLs were asked for."""

    def __init__(self) -> None:
        self.archives: dict[str, bytes] = {}
        self.asked: list[str] = []

    def offer(self, version: int, root: Path, *, archive: bytes | None = None
              ) -> s.DefinitionsOffer:
        url = f"/api/definitions/{version}/bundle"
        self.archives[url] = archive if archive is not None else pack(root)
        return s.DefinitionsOffer(version=version, hash=hash_root(root), url=url)

    def __call__(self, url: str) -> Awaitable[bytes]:
        self.asked.append(url)

        async def give() -> bytes:
            return self.archives[url]

        return give()


@pytest.fixture
def local(tmp_path: Path) -> DefinitionsRoot:
    return DefinitionsRoot(sandbox_set(tmp_path / "local", scenarios=()), "cwd")


def make(tmp_path: Path, local: DefinitionsRoot, fetches: Fetches, **kw: Any) -> DefinitionsSync:
    return DefinitionsSync(tmp_path / "home" / "definitions", local, fetch=fetches,
                           **{"pinned": False, **kw})


def test_an_offered_version_is_checked_then_used_from_the_next_job_on(
        tmp_path: Path, local: DefinitionsRoot) -> None:
    fetches = Fetches()
    sync = make(tmp_path, local, fetches)
    running = sync.current()  # a job that started before the new version arrived
    assert (running.version, running.path) == (None, local.path)
    offer = fetches.offer(1, sandbox_set(tmp_path / "v1", scenarios=(), note="v1"))
    assert sync.wants(offer)
    assert asyncio.run(sync.follow(offer))
    now = sync.current()
    assert (now.version, now.digest) == (1, offer.hash)
    assert now.path.parent == tmp_path / "home" / "definitions"
    assert hash_root(now.path) == offer.hash and now.path != local.path
    assert stat.S_IMODE(now.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((now.path / "selectors" / "sandbox.yaml").stat().st_mode) == 0o600
    assert now.platform("sandbox").name == "sandbox"
    assert running.path == local.path  # the running job's definitions did not move
    assert not sync.wants(offer)  # already in use: nothing to fetch
    assert not list(now.path.parent.glob(".incoming-*"))


def test_a_version_whose_files_do_not_hash_as_offered_is_not_used(
        tmp_path: Path, local: DefinitionsRoot, caplog: pytest.LogCaptureFixture) -> None:
    fetches = Fetches()
    now = [0.0]
    sync = make(tmp_path, local, fetches, retry_s=60, clock=lambda: now[0])
    other = sandbox_set(tmp_path / "other", scenarios=(), note="not what was offered")
    offer = fetches.offer(2, sandbox_set(tmp_path / "v2", scenarios=(), note="v2"),
                          archive=pack(other))
    with caplog.at_level(logging.ERROR):
        assert not asyncio.run(sync.follow(offer))
    assert "version 2 could not be used" in caplog.text and "not the offered" in caplog.text
    assert sync.current().version is None  # jobs go on with what they had
    assert not sync.wants(offer)  # not again at every heartbeat ...
    now[0] = 61
    assert sync.wants(offer)  # ... but after retry_s
    assert not list((tmp_path / "home" / "definitions").glob("v2-*"))


def test_a_refused_download_or_a_hostile_archive_leaves_the_current_version(
        tmp_path: Path, local: DefinitionsRoot) -> None:
    from common.errors import ServerUnavailable

    async def unreachable(url: str) -> bytes:
        raise ServerUnavailable("GET /x: connection refused")

    sync = DefinitionsSync(tmp_path / "defs", local, pinned=False, fetch=unreachable)
    offer = s.DefinitionsOffer(version=1, hash="sha256:" + "0" * 64, url="/x")
    assert not asyncio.run(sync.follow(offer))
    fetches = Fetches()
    sync = make(tmp_path, local, fetches)
    bomb = fetches.offer(3, local.path, archive=b"\x1f\x8b not a tar")
    assert not asyncio.run(sync.follow(bomb))
    assert sync.current().version is None


def test_an_explicit_root_or_the_pin_setting_never_follows_and_says_so_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    fetches = Fetches()
    root = sandbox_set(tmp_path / "mine", scenarios=())
    offer = fetches.offer(4, sandbox_set(tmp_path / "v4", scenarios=(), note="v4"))
    for sync in (make(tmp_path, DefinitionsRoot(root, "flag"), fetches),
                 make(tmp_path, DefinitionsRoot(root, "cwd"), fetches, pinned=True)):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            assert not sync.wants(offer) and not sync.wants(offer)
        said = [r.message for r in caplog.records if "pinned" in r.message]
        assert len(said) == 1 and "version 4" in said[0] and str(root) in said[0]
        assert sync.current().path == root
    assert fetches.asked == []


def test_a_restart_keeps_the_last_version_and_a_rollback_reuses_its_folder(
        tmp_path: Path, local: DefinitionsRoot) -> None:
    fetches = Fetches()
    sync = make(tmp_path, local, fetches)
    v1 = fetches.offer(1, sandbox_set(tmp_path / "v1", scenarios=(), note="v1"))
    v2 = fetches.offer(2, sandbox_set(tmp_path / "v2", scenarios=(), note="v2"))
    assert asyncio.run(sync.follow(v1)) and asyncio.run(sync.follow(v2))
    assert fetches.asked == [v1.url, v2.url]
    again = make(tmp_path, local, fetches)  # the daemon restarted
    assert (again.current().version, again.current().digest) == (2, v2.hash)
    assert asyncio.run(again.follow(v1))  # rolled back: its folder is still here
    assert fetches.asked == [v1.url, v2.url] and again.current().version == 1
    # A remembered folder whose files changed is not trusted.
    (again.current().path / "selectors" / "sandbox.yaml").write_text("tampered")
    assert make(tmp_path, local, fetches).current().version is None


@pytest.mark.asyncio
async def test_the_daemon_follows_the_heartbeat_and_the_next_job_runs_with_it(
        rig: Callable[..., Awaitable[Any]], tmp_path: Path) -> None:
    r = await rig()
    first = r.server.add_job("with the daemon's own definitions")
    await r.server.wait_for(lambda: first.completions)
    (started,) = first.started_with
    assert started.definitions_version is None
    assert started.definitions_hash == r.daemon.definitions.local.digest
    pushed = sandbox_set(tmp_path / "pushed", scenarios=(), note="pushed")
    text = (pushed / "selectors" / "sandbox.yaml").read_text()
    (pushed / "selectors" / "sandbox.yaml").write_text(
        text.replace("description: Composer textarea", "description: Pushed textarea"))
    url = "/api/definitions/7/bundle"
    r.server.bundles[url] = pack(pushed)
    r.server.offer = s.DefinitionsOffer(version=7, hash=hash_root(pushed), url=url)
    await r.server.wait_for(lambda: r.daemon.definitions.current().version == 7)
    second = r.server.add_job("with the pushed definitions")
    await r.server.wait_for(lambda: second.completions)
    (started,) = second.started_with
    assert (started.definitions_version, started.definitions_hash) == (7, hash_root(pushed))
    used = r.engine.platforms[-1].selectors.selectors["composerTextarea"]
    assert used.description == "Pushed textarea"
    assert r.engine.platforms[0].selectors.selectors["composerTextarea"].description == (
        "Composer textarea")
    assert await r.stop() == 0
