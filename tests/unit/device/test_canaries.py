"""The daemon's canary task (runner.device.canaries) on fakes: which due canaries run,
what holds the profile meanwhile, what reaches the server, and the report's conversion."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from common.definitions_set import hash_root
from common.errors import ServerUnavailable
from contract import models as s
from runner.canary.report import CanaryReport, Finding
from runner.device.canaries import Canaries, to_request
from runner.device.canary_schedule import CanarySchedule
from runner.device.settings import Account
from runner.engine.result import Proof

ACCOUNT = Account(platform="sandbox", name="main", profile=Path("/nonexistent"))
NOW = 5000.0


class FakeClient:
    def __init__(self, due_in: float | None = None, *, down: bool = False) -> None:
        self.due_in = due_in
        self.down = down
        self.asked: list[tuple[str, str, str]] = []
        self.reports: list[tuple[str, s.CanaryResultRequest, list[tuple[s.ProofKind, bytes]]]] = []

    async def next_due(self, device_id: str, platform: str, account: str) -> datetime | None:
        self.asked.append((device_id, platform, account))
        if self.down:
            raise ServerUnavailable("GET next-due: connection refused")
        if self.due_in is None:
            return None
        return datetime.fromtimestamp(NOW + self.due_in, timezone.utc)

    async def report_canary(self, device_id: str, req: s.CanaryResultRequest,
                            proofs: Any = ()) -> s.CanaryResultResponse:
        self.reports.append((device_id, req, list(proofs)))
        return s.CanaryResultResponse(id=req.id)


class FakeProfiles:
    def __init__(self) -> None:
        self.locks: dict[str, asyncio.Lock] = {}

    def lock(self, account: Account) -> asyncio.Lock:
        return self.locks.setdefault(account.key, asyncio.Lock())

    async def page(self, account: Account) -> str:
        return f"page of {account.key}"


class Host:
    def __init__(self, tmp: Path, client: FakeClient, root: Path) -> None:
        self.client = client
        self.device_id = "dev_1"
        self.profiles = FakeProfiles()
        self.work_dir = tmp / "work"
        self.stopping = asyncio.Event()
        self.blocked: str | None = None
        self.holds: list[bool] = []
        self.root = root

    def platform(self, name: str) -> str:
        return f"platform {name}"

    def engine_options(self, platform: str) -> Any:
        class Options:
            base_url = "http://127.0.0.1:1"
            locale = "en"

        return Options()

    def canary_blocker(self, account: Account) -> str | None:
        return self.blocked

    def canary_holds(self, account: Account, held: bool) -> None:
        self.holds.append(held)

    def definitions_in_use(self, platform: str) -> tuple[Path, int | None]:
        return self.root, 7


def a_root(tmp: Path) -> Path:
    root = tmp / "defs"
    (root / "playbooks").mkdir(parents=True)
    (root / "selectors").mkdir()
    (root / "playbooks" / "sandbox.yaml").write_text("platform: sandbox\n")
    return root


def report(verdict: str = "healthy", proofs: list[Proof] | None = None) -> CanaryReport:
    return CanaryReport(
        platform="sandbox", account="main", verdict=verdict, message="fine", posted=False,
        discarded=True, duration_s=1.5, proofs=proofs or [],
        findings=[Finding(selector="composer", where="selectors/sandbox.yaml:3",
                          phase="compose", status="ok", candidate=1, candidates=2, count=1,
                          elapsed_ms=4.0)])


def canaries(host: Host, margin: float = 60.0) -> Canaries:
    schedule = CanarySchedule({"sandbox/main": 3600.0}, jitter_s=0.0, margin_s=margin,
                              clock=lambda: NOW)
    return Canaries(host, schedule, [ACCOUNT, Account(platform="x", name="main",
                                                      profile=Path("/nonexistent"))],
                    clock=lambda: NOW)


@pytest.fixture
def fake_canary(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """runner.canary.canary_on_page replaced: records its call and what held the profile."""
    calls: list[dict[str, Any]] = []

    async def fake(page: Any, platform: Any, **kw: Any) -> CanaryReport:
        calls.append({"page": page, "platform": platform, **kw})
        shot = kw["out_dir"] / "before_confirm.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        shot.write_bytes(b"\x89PNG fake")
        return report(proofs=[Proof(kind="before_confirm", path=shot, sha256="", size=9,
                                    width=1, height=1, content_type="image/png")])

    monkeypatch.setattr("runner.canary.canary_on_page", fake)
    return calls


@pytest.mark.asyncio
async def test_only_enabled_accounts_are_planned(tmp_path: Path) -> None:
    can = canaries(Host(tmp_path, FakeClient(), a_root(tmp_path)))
    assert list(can.accounts) == ["sandbox/main"]
    can.trigger(Account(platform="x", name="main", profile=Path("/n")), "a selector")
    assert not can.wake.is_set()


@pytest.mark.asyncio
async def test_a_busy_profile_is_not_asked_about_and_not_run(
        tmp_path: Path, fake_canary: list[dict[str, Any]]) -> None:
    host = Host(tmp_path, FakeClient(), a_root(tmp_path))
    host.blocked = "its profile is in use"
    await canaries(host)._consider(ACCOUNT)
    assert fake_canary == [] and host.client.asked == [] and host.holds == []


@pytest.mark.asyncio
@pytest.mark.parametrize(("client", "runs"), [
    (FakeClient(None), True), (FakeClient(600.0), True), (FakeClient(30.0), False),
    (FakeClient(-10.0), False), (FakeClient(down=True), False),
])
async def test_the_server_is_asked_for_the_next_due_job_before_a_canary(
        tmp_path: Path, fake_canary: list[dict[str, Any]], client: FakeClient,
        runs: bool) -> None:
    host = Host(tmp_path, client, a_root(tmp_path))
    await canaries(host, margin=60.0)._consider(ACCOUNT)
    assert client.asked == [("dev_1", "sandbox", "main")]
    assert bool(fake_canary) is runs
    assert bool(client.reports) is runs


@pytest.mark.asyncio
async def test_a_canary_holds_the_profile_and_reports_with_proofs_and_hash(
        tmp_path: Path, fake_canary: list[dict[str, Any]]) -> None:
    root = a_root(tmp_path)
    host = Host(tmp_path, FakeClient(), root)
    can = canaries(host)
    seen: list[bool] = []
    original = host.profiles.page

    async def page(account: Account) -> str:
        seen.append(host.profiles.lock(account).locked() and host.holds == [True])
        return await original(account)

    host.profiles.page = page  # type: ignore[method-assign]
    got = await can.run_one(ACCOUNT, s.CanaryTrigger.SELECTOR_FAILURE)
    assert got is not None and got.verdict == "healthy"
    assert seen == [True]  # the page is taken with the profile's lock held and claimed
    assert host.holds == [True, False] and not host.profiles.lock(ACCOUNT).locked()
    (call,) = fake_canary
    assert call["page"] == "page of sandbox/main" and call["root"] == root
    assert call["base_url"] == "http://127.0.0.1:1" and call["account"] == "main"
    ((device, req, proofs),) = host.client.reports
    assert device == "dev_1" and req.trigger is s.CanaryTrigger.SELECTOR_FAILURE
    assert req.definitions_hash == hash_root(root) and req.definitions_version == 7
    assert proofs == [(s.ProofKind.BEFORE_CONFIRM, b"\x89PNG fake")]
    assert can.schedule.due() == []  # the next one is an interval away


@pytest.mark.asyncio
async def test_a_crashing_canary_is_logged_and_counted_as_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def crash(*args: Any, **kw: Any) -> CanaryReport:
        raise RuntimeError("the browser went away")

    monkeypatch.setattr("runner.canary.canary_on_page", crash)
    host = Host(tmp_path, FakeClient(), a_root(tmp_path))
    can = canaries(host)
    assert await can.run_one(ACCOUNT, s.CanaryTrigger.SCHEDULE) is None
    assert host.holds == [True, False] and host.client.reports == []
    assert "could not run" in caplog.text and can.schedule.due() == []


def test_to_request_keeps_the_contracts_bounds() -> None:
    long = report("broken")
    long.message = "m" * 50_000
    long.broken_selector, long.broken_where, long.broken_phase = "b" * 999, "w" * 999, "confirm"
    long.findings[0].tried = ["t" * 2000] * 80
    long.findings += [Finding(selector=f"s{i}", where="w", phase="p", status="fallback",
                              candidate=2, candidates=2) for i in range(s.MAX_FINDINGS + 10)]
    req = to_request(long, trigger=s.CanaryTrigger.SCHEDULE,
                     started_at=datetime.now(timezone.utc) - timedelta(seconds=2),
                     definitions_hash=None, definitions_version=None)
    assert req.verdict is s.CanaryVerdict.BROKEN and len(req.message) == s.MAX_REASON
    assert len(req.findings) == s.MAX_FINDINGS and len(req.findings[0].tried) == 50
    assert req.findings[1].status is s.FindingStatus.FALLBACK
    assert req.broken_selector is not None and len(req.broken_selector) == s.MAX_SELECTOR
    assert req.id.startswith("can_") and req.posted is False
