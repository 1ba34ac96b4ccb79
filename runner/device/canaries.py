"""The daemon's canaries: run the ones `canary_schedule` says are due, report each result.

A side task of the daemon (supervised like the heartbeat). For each due account it asks the
daemon whether the profile is free (`blocker`), asks the server when the account's next job
is due, lets `CanarySchedule.decide` rule, and then runs `runner.canary.canary_on_page` in
the account's profile, holding the profile the way a job does (the daemon claims nothing for
it meanwhile, and a job claimed just before waits for the profile lock). The canary never
publishes: the engine's canary mode refuses the irreversible phase structurally. The result
and its proofs are written to the canary spool (`runner.device.canary_spool`, under the work
folder) before they are sent (`ServerClient.report_canary`), and leave it only once the
server acknowledged them: a result the server cannot take now waits there (never behind the
jobs' results) and is sent again, in order, when the task wakes while the server answers and
after a restart.

A canary that crashes is logged and counted as run, so a broken profile does not loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import shutil
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pydantic

from common.aio import first_of
from common.definitions_set import hash_root
from common.errors import ServerError
from contract import models as s
from runner.device.canary_schedule import CanarySchedule
from runner.device.canary_spool import CanarySpool
from runner.device.readiness import DaemonProfiles
from runner.device.settings import Account

if TYPE_CHECKING:
    from runner.canary.report import CanaryReport
    from runner.client import ServerClient
    from runner.engine import EngineOptions, Platform

__all__ = ["Canaries", "CanaryHost", "to_request"]

log = logging.getLogger(__name__)

_KINDS = {k.value: k for k in s.ProofKind}


class CanaryHost(Protocol):
    """What the canaries need of the daemon."""

    client: ServerClient
    device_id: str
    profiles: DaemonProfiles
    work_dir: Path
    stopping: asyncio.Event

    def platform(self, name: str) -> Platform: ...

    def engine_options(self, platform: str) -> EngineOptions: ...

    def canary_blocker(self, account: Account) -> str | None:
        """Why the account's profile cannot take a canary now (None: it can)."""

    def canary_holds(self, account: Account, held: bool) -> None:
        """The canary takes (True) or gives back (False) the account's profile."""

    def definitions_in_use(self, platform: str) -> tuple[Path, int | None]:
        """The definitions root a run of `platform` uses now, and its server version."""


def _cut(text: str | None, limit: int) -> str:
    return (text or "")[:limit]


def to_request(report: CanaryReport, *, trigger: s.CanaryTrigger, started_at: datetime,
               definitions_hash: str | None, definitions_version: int | None
               ) -> s.CanaryResultRequest:
    """The report in the contract's terms, cut to the contract's bounds where it is made."""
    findings = [s.SelectorFinding(
        selector=_cut(f.selector, s.MAX_SELECTOR), where=_cut(f.where, s.MAX_WHERE),
        phase=_cut(f.phase, s.MAX_PHASE), status=s.FindingStatus(f.status),
        candidate=f.candidate, candidates=f.candidates, count=f.count,
        elapsed_ms=None if f.elapsed_ms is None else max(0.0, f.elapsed_ms),
        tried=[_cut(t, s.MAX_WHERE) for t in f.tried[:50]],
    ) for f in report.findings[:s.MAX_FINDINGS]]
    return s.CanaryResultRequest(
        id=f"can_{secrets.token_hex(12)}", platform=report.platform, account=report.account,
        verdict=s.CanaryVerdict(report.verdict), message=_cut(report.message, s.MAX_REASON),
        trigger=trigger, definitions_version=definitions_version,
        definitions_hash=definitions_hash, started_at=started_at,
        duration_s=min(max(report.duration_s, 0.0), 86_400.0), findings=findings,
        broken_selector=_cut(report.broken_selector, s.MAX_SELECTOR) or None,
        broken_where=_cut(report.broken_where, s.MAX_WHERE) or None,
        broken_phase=_cut(report.broken_phase, s.MAX_PHASE) or None,
        posted=report.posted, discarded=report.discarded)


class Canaries:
    """The canary side task of one daemon."""

    def __init__(self, host: CanaryHost, schedule: CanarySchedule,
                 accounts: list[Account], *, clock: Callable[[], float] = time.time,
                 spool: CanarySpool | None = None) -> None:
        self.host = host
        self.spool = spool or CanarySpool(host.work_dir / "canary-spool")
        self.schedule = schedule
        self.accounts = {a.key: a for a in accounts if schedule.enabled(a.key)}
        self._wall = clock
        self.wake = asyncio.Event()

    def trigger(self, account: Account, why: str) -> None:
        """A job failed on a selector: run this account's canary as soon as it may."""
        if self.schedule.trigger(account.key):
            log.info("canary for %s due now: %s", account.key, why)
            self.wake.set()

    async def run(self) -> None:
        """The side task: forever, until cancelled (no canary starts once stopping).
        Each wake first sends the spooled results (those a restart found, those the server
        could not take), unless their retry is put off."""
        while True:
            self.wake.clear()
            if self.host.stopping.is_set():
                await asyncio.Event().wait()  # stopped: wait to be cancelled
            await self.spool.deliver(self.host.client, self.host.device_id)
            for key in self.schedule.due():
                if self.host.stopping.is_set():
                    break
                account = self.accounts.get(key)
                if account is not None:
                    await self._consider(account)
            wait = self.schedule.wait()
            if (retry := self.spool.retry_in()) is not None:
                wait = min(wait, retry)
            await first_of(self.wake, self.host.stopping, timeout=max(0.2, wait))

    async def _consider(self, account: Account) -> None:
        blocker = self.host.canary_blocker(account)
        next_due_in: float | None = None
        known = True
        if blocker is None:
            try:
                at = await self.host.client.next_due(self.host.device_id, account.platform,
                                                     account.name)
            except ServerError as exc:
                known = False
                log.warning("canary for %s: cannot ask the server when its next job is due: "
                            "%s", account.key, exc)
            else:
                next_due_in = None if at is None else at.timestamp() - self._wall()
            blocker = self.host.canary_blocker(account)  # it may have changed meanwhile
        decision = self.schedule.decide(account.key, busy=blocker is not None,
                                        next_due_in=next_due_in, server_known=known)
        if not decision.run:
            log.debug("canary for %s postponed %.0fs: %s", account.key, decision.retry_in,
                      blocker or decision.reason)
            return
        await self.run_one(account, decision.trigger)

    async def run_one(self, account: Account, trigger: s.CanaryTrigger) -> CanaryReport | None:
        """One canary on the account's profile, then its report to the server."""
        from runner.canary import canary_on_page

        started = datetime.now(timezone.utc)
        host = self.host
        report = None
        root, version = host.definitions_in_use(account.platform)
        host.canary_holds(account, True)
        try:
            async with host.profiles.lock(account):
                platform = host.platform(account.platform)
                options = host.engine_options(account.platform)
                # One folder name, whatever the account is called (never a path).
                out = host.work_dir / "canary" / re.sub(
                    r"[^A-Za-z0-9_.@+-]", "_", f"{account.platform}__{account.name}")
                shutil.rmtree(out, ignore_errors=True)
                page = await host.profiles.page(account)
                log.info("canary for %s (%s)", account.key, trigger.value)
                report = await canary_on_page(page, platform, account=account.name,
                                              base_url=options.base_url,
                                              locale=options.locale, root=root, out_dir=out)
        except Exception:
            log.exception("the canary for %s could not run", account.key)
        finally:
            host.canary_holds(account, False)
            self.schedule.started(account.key)
        if report is None:
            return None
        log.info("canary for %s: %s (%s)", account.key, report.verdict, report.message)
        await self._report(report, trigger, started, root, version)
        return report

    async def _report(self, report: CanaryReport, trigger: s.CanaryTrigger,
                      started: datetime, root: Path, version: int | None) -> None:
        try:
            digest = await asyncio.to_thread(hash_root, root)
        except OSError as exc:
            log.warning("cannot hash the definitions at %s: %s", root, exc)
            digest = None
        try:
            req = to_request(report, trigger=trigger, started_at=started,
                             definitions_hash=digest, definitions_version=version)
        except pydantic.ValidationError as exc:
            log.error("the canary result for %s/%s breaks the contract, not sent: %s",
                      report.platform, report.account, exc)
            return
        proofs = [(kind, proof.path) for proof in report.proofs
                  if (kind := _KINDS.get(proof.kind)) is not None and proof.path.is_file()]
        try:
            await asyncio.to_thread(self.spool.put, req, proofs)
        except OSError as exc:  # a full disk: still worth one try straight away
            log.error("the canary result %s could not be spooled, sent unspooled: %s",
                      req.id, exc)
            try:
                await self.host.client.report_canary(
                    self.host.device_id, req,
                    [(kind, path.read_bytes()) for kind, path in proofs])
            except (ServerError, OSError) as err:
                log.warning("the canary result %s was lost: %s", req.id, err)
            return
        # This one and any left before it, oldest first (a new result is worth one try
        # even while a retry is put off).
        await self.spool.deliver(self.host.client, self.host.device_id, force=True)
