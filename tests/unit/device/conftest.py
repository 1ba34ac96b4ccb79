"""The daemon's unit layer: the real `Daemon` and `ServerClient` against in-memory fakes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from runner.device.daemon import Daemon
from runner.device.faults import Faults
from runner.device.settings import DaemonSettings
from tests.unit.device.fakes import FakeProfiles, FakeServer, ScriptedEngine


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No `PUBLISH_RUNNER_*` of the developer's reaches these tests (tests/conftest.py does
    the same for the whole suite; kept here so this layer stands alone)."""
    import os

    for name in list(os.environ):
        if name.startswith("PUBLISH_RUNNER_"):
            monkeypatch.delenv(name)
    yield


@dataclass
class Rig:
    """A daemon wired to the fakes, running as a task of the test's loop."""

    daemon: Daemon
    server: FakeServer
    engine: ScriptedEngine
    profiles: FakeProfiles
    task: asyncio.Task[int] | None = None

    async def start(self) -> Rig:
        self.task = asyncio.ensure_future(self.daemon.run())
        await self.server.wait_for(lambda: self.server.claims > 0 or self.task_done())
        return self

    def task_done(self) -> bool:
        return self.task is not None and self.task.done()

    async def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM's path: stop claiming, let jobs finish; the exit code."""
        assert self.task is not None
        if not self.task.done():
            self.daemon.request_stop()
        return await asyncio.wait_for(self.task, timeout)


@pytest_asyncio.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Any]:
    """Factory: `await rig(**settings)` gives a started `Rig` (stopped at the end)."""
    made: list[Rig] = []

    async def make(start: bool = True, **settings: Any) -> Rig:
        server = made[0].server if made else FakeServer()
        engine, profiles = ScriptedEngine(), FakeProfiles()
        config = DaemonSettings.model_validate({
            "home": tmp_path, "accounts": ["sandbox/main"], "min_gap_s": 0,
            "claim_wait_s": 0.2, "heartbeat_s": 0.05, "keepalive_s": 5, "notify": False,
            **settings})

        @contextlib.asynccontextmanager
        async def open_profiles(_: DaemonSettings) -> AsyncIterator[FakeProfiles]:
            yield profiles

        daemon = Daemon(config, "http://server.test", enroll_token="enroll",
                        transport=server.transport(), open_profiles=open_profiles,
                        engine=engine, faults=Faults())
        made.append(Rig(daemon, server, engine, profiles))
        return await made[-1].start() if start else made[-1]

    yield make
    for one in made:
        if one.task is not None and not one.task.done():
            one.daemon.request_stop()
            one.daemon.request_stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(one.task, 10)
