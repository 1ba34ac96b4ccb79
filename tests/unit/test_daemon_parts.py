"""The daemon's parts that need no browser: settings precedence, identity, outbox, locks."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from common import settings as base
from common.errors import BrowserError, ConfigError, ServerRejected, ServerUnavailable
from contract import models as s
from runner.device import identity
from runner.device.items import Completion, RunKey
from runner.device.outbox import Intent, Outbox
from runner.device.profiles import clear_stale_lock, lock_holder
from runner.device.settings import DaemonSettings


def test_settings_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("runner:\n  device_name: from-file\n  min_gap_s: 10\n"
                      "  accounts: [x/main]\n  max_parallel: 3\n", encoding="utf-8")
    env = {"PUBLISH_RUNNER_MIN_GAP_S": "20", "PUBLISH_RUNNER_MAX_PARALLEL": "4",
           "PUBLISH_RUNNER_HOME": str(tmp_path)}
    got = base.load(DaemonSettings, file=config, section="runner", environ=env,
                    flags={"max_parallel": 5, "headless": None})
    assert got.device_name == "from-file"       # file over default
    assert got.min_gap_s == 20                   # env over file
    assert got.max_parallel == 5                 # flag over env
    assert got.headless is False                 # an unset flag changes nothing
    assert got.accounts == {"x/main": tmp_path / "profiles" / "x" / "main"}
    with pytest.raises(Exception, match="frozen"):
        got.min_gap_s = 1  # type: ignore[misc]


def test_settings_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="platform/account"):
        base.load(DaemonSettings, flags={"accounts": ["main"]}, environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("runner:\n  max_parallel: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+"):
        base.load(DaemonSettings, file=bad, section="runner", environ={})


def test_accounts_with_profiles_and_pairs(tmp_path: Path) -> None:
    got = DaemonSettings.model_validate({
        "home": tmp_path, "accounts": "x/main=/p/x, sandbox/main",
        "base_urls": ["sandbox=http://127.0.0.1:1"], "concurrency": "x=2"})
    assert got.accounts["x/main"] == Path("/p/x")
    assert got.base_urls == {"sandbox": "http://127.0.0.1:1"}
    assert got.platform_limit("x") == 2 and got.platform_limit("sandbox") == 1


def test_identity_is_private_and_per_server(tmp_path: Path) -> None:
    path = tmp_path / "device.json"
    identity.save(path, identity.Identity("http://a", "dev_1", "secret"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert identity.load(path, "http://a") == identity.Identity("http://a", "dev_1", "secret")
    assert identity.load(path, "http://b") is None


class FakeServer:
    """Stands in for the server client: records calls, can be 'down' or refuse."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.down = False
        self.refuse = False

    def _check(self) -> None:
        if self.down:
            raise ServerUnavailable("down")
        if self.refuse:
            raise ServerRejected(409, "LEASE_LOST", "stale")

    async def events(self, job_id: str, req: s.EventsRequest) -> s.EventsResponse:
        self._check()
        self.calls.append(("events", [e.seq for e in req.events]))
        return s.EventsResponse(status=s.JobStatus.RUNNING, cancel_requested=False)

    async def upload_proof(self, job_id: str, **kw: Any) -> str:
        self._check()
        self.calls.append(("proof", kw["kind"].value))
        return f"asset-{kw['kind'].value}"

    async def complete(self, job_id: str, req: s.CompleteRequest) -> None:
        self._check()
        self.calls.append(("complete", req.proof_asset_ids))


KEY = RunKey("job", "run", "lease")


def fill(box: Outbox, tmp_path: Path) -> None:
    proof = tmp_path / "before_confirm.webp"
    proof.write_bytes(b"RIFF0000WEBP")
    for i in range(3):
        box.add_event(KEY, phase="open", step=f"s{i}", level="info", message="ok")
    box.add_file(KEY, s.ProofKind.BEFORE_CONFIRM, proof, "0" * 64)
    proof.unlink()  # the outbox keeps its own copy
    box.add_event(KEY, phase="verify", step="done", level="info", message="ok")
    box.add_completion(KEY, Completion.succeeded("http://p/1", ["before_confirm"]))


def test_outbox_survives_a_restart_and_delivers_in_order(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    fill(box, tmp_path)
    box.close()  # the daemon dies here; nothing was sent
    again = Outbox(tmp_path / "outbox.db")
    server = FakeServer()

    async def deliver() -> None:
        while await again.deliver_some(server):
            pass

    asyncio.run(deliver())
    assert server.calls == [("events", [1, 2, 3]), ("proof", "before_confirm"),
                            ("events", [4]), ("complete", ["asset-before_confirm"])]
    assert again.pending() == 0


def test_outbox_keeps_everything_while_the_server_is_down(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    fill(box, tmp_path)
    server = FakeServer()
    server.down = True
    with pytest.raises(ServerUnavailable):
        asyncio.run(box.deliver_some(server))
    assert box.pending() == 6 and server.calls == []


def test_outbox_sets_aside_what_the_server_refuses_for_good(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    fill(box, tmp_path)
    server = FakeServer()
    server.refuse = True

    async def deliver() -> None:
        while await box.deliver_some(server):
            pass

    asyncio.run(deliver())
    assert box.pending() == 0
    dead = box.db.execute("SELECT count(*) FROM items WHERE state = 'dead'").fetchone()[0]
    assert dead == 6  # every row is kept, marked, for the record


def test_intents_close_with_the_completion(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.write_intent(Intent("job", "run", "lease", "x", "main", "hello"))
    box.close()
    again = Outbox(tmp_path / "outbox.db")
    assert [i.job_id for i in again.open_intents()] == ["job"]
    again.add_completion(KEY, Completion.succeeded(None))
    assert again.open_intents() == []


def test_a_lock_left_by_a_dead_browser_is_cleared(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    os.symlink(f"{socket.gethostname()}-{dead.pid}", tmp_path / "SingletonLock")
    (tmp_path / "SingletonCookie").write_text("x")
    assert lock_holder(tmp_path) is None
    clear_stale_lock(tmp_path)
    assert not (tmp_path / "SingletonLock").is_symlink()
    assert not (tmp_path / "SingletonCookie").exists()


def test_a_lock_held_by_a_live_process_is_respected(tmp_path: Path) -> None:
    os.symlink(f"{socket.gethostname()}-{os.getpid()}", tmp_path / "SingletonLock")
    assert lock_holder(tmp_path) == os.getpid()
    with pytest.raises(BrowserError, match=f"process {os.getpid()}"):
        clear_stale_lock(tmp_path)
    assert (tmp_path / "SingletonLock").is_symlink()
