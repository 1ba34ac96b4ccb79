"""The daemon's main loop: register, heartbeat, claim for free profiles, run jobs.

Shutdown: the first SIGINT/SIGTERM stops claiming and lets running jobs finish (exit 0);
the second aborts them at their next safe point (never inside publish) and hands them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import shutil
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from common.errors import (
    BrowserError,
    ConfigError,
    ServerError,
    ServerRejected,
    ServerUnavailable,
)
from contract import models as s
from runner import __version__
from runner.browser import discover, resolve_headless
from runner.client import RetryPolicy, ServerClient
from runner.device import identity
from runner.device.jobs import JobControl, run_job
from runner.device.outbox import Outbox
from runner.device.profiles import Profiles
from runner.device.settings import Account, DaemonSettings
from runner.device.status import StatusLine
from runner.engine.definitions import Platform, load_platform
from runner.engine.engine import EngineOptions

log = logging.getLogger(__name__)

SENDER_BUDGET_S = 10.0
BUSY_CLAIM_WAIT_S = 2.0


class Daemon:
    """Holds the daemon's parts; `run()` is the whole lifetime."""

    def __init__(self, settings: DaemonSettings, server_url: str, *,
                 enroll_token: str | None, transport: Any = None) -> None:
        self.settings = settings
        self.server_url = server_url
        self.enroll_token = enroll_token
        self.transport = transport
        self.accounts = settings.account_list()
        if not self.accounts:
            raise ConfigError("no accounts: give at least one, e.g. --account x/main")
        self.outbox = Outbox(settings.outbox_file)
        self.outbox.on_events_reply = self._on_events_reply
        self.work_dir = settings.home / "work"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.stopping = asyncio.Event()
        self.aborting = asyncio.Event()
        self.status = StatusLine()
        self.client: ServerClient = ServerClient(server_url, transport=transport)
        # The outbox retries forever on its own; each of its calls gives up quickly, so it
        # notices (and says) when the server is away.
        self.sender_client = ServerClient(
            server_url, transport=transport,
            retry=RetryPolicy(budget=SENDER_BUDGET_S, result_budget=SENDER_BUDGET_S))
        self.profiles: Profiles
        self._platforms: dict[str, Platform] = {}
        self._controls: dict[str, JobControl] = {}
        self._busy: set[str] = set()
        self._last_post: dict[str, float] = {}
        self._login: dict[str, s.LoginState] = {}
        self._checking = False
        self._slots_changed = asyncio.Event()
        self.device_id = ""
        self.heartbeat_s = settings.heartbeat_s or 30.0

    # ---- wiring ------------------------------------------------------------------------

    def platform(self, name: str) -> Platform:
        if name not in self._platforms:
            self._platforms[name] = load_platform(name)
        return self._platforms[name]

    def engine_options(self, platform: str) -> EngineOptions:
        return EngineOptions(locale=self.settings.locale, human=self.settings.human,
                             base_url=self.settings.base_urls.get(platform))

    def track(self, job_id: str) -> JobControl:
        control = JobControl(job_id)
        self._controls[job_id] = control
        return control

    def untrack(self, job_id: str) -> None:
        self._controls.pop(job_id, None)

    async def _on_events_reply(self, job_id: str, reply: s.EventsResponse) -> None:
        control = self._controls.get(job_id)
        if control is not None:
            control.update(reply)

    def login_changed(self, account: Account, logged_in: bool) -> None:
        previous = self._login.get(account.key)
        self._login[account.key] = s.LoginState(platform=account.platform, account=account.name,
                                                logged_in=logged_in,
                                                checked_at=datetime.now(timezone.utc))
        if previous is None or previous.logged_in != logged_in:
            spawn(self._report_login(account, logged_in), "login report")

    async def _report_login(self, account: Account, logged_in: bool) -> None:
        try:
            await self.client.login_status(self.device_id, s.LoginStatusRequest(
                platform=account.platform, account=account.name, logged_in=logged_in))
        except ServerError as exc:
            log.warning("could not report the login status of %s: %s", account.key, exc)

    def notify(self, title: str, body: str) -> None:
        """A desktop notification where the desktop has a notifier; the log always."""
        log.warning("%s: %s", title, body)
        if not self.settings.notify or not shutil.which("notify-send"):
            return
        with contextlib.suppress(OSError):
            subprocess.Popen(["notify-send", "-a", "publish-runner", title, body],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    # ---- lifetime ----------------------------------------------------------------------

    async def run(self) -> int:
        from playwright.async_api import async_playwright

        await self._register()
        async with async_playwright() as pw:
            self.profiles = Profiles(pw, discover(self.settings.browser),
                                     headless=resolve_headless(self.settings.headless),
                                     cdp_url=self.settings.cdp_url)
            sender_stop = asyncio.Event()
            sender = asyncio.create_task(self.outbox.run_sender(self.sender_client,
                                                                sender_stop))
            beat = asyncio.create_task(self._heartbeats())
            status = asyncio.create_task(self.status.run(self.stopping))
            try:
                await self._settle_open_intents()
                await self._claim_loop()
            finally:
                beat.cancel()
                # Results written during the run should leave before we do, if the server
                # lets them; whatever does not stays in the outbox for the next start.
                await self.outbox.flush(None, timeout=10.0)
                sender_stop.set()
                await asyncio.gather(sender, return_exceptions=True)
                status.cancel()
                await self.profiles.close()
                await self.client.aclose()
                await self.sender_client.aclose()
                self.outbox.close()
        log.info("stopped")
        return 0

    def install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)

    def request_stop(self) -> None:
        if not self.stopping.is_set():
            log.warning("stopping: no new jobs; finishing the current ones (again to abort)")
            self.stopping.set()
        else:
            log.warning("aborting: jobs stop at their next safe point and are handed back")
            self.aborting.set()
        self._slots_changed.set()

    async def _register(self) -> None:
        path = self.settings.identity_file
        found = identity.load(path, self.server_url)
        if found is None:
            if not self.enroll_token:
                raise ConfigError("this device is not registered with "
                                  f"{self.server_url}: give --enroll-token")
            async with ServerClient(self.server_url, transport=self.transport) as anon:
                reply = await anon.register(self.enroll_token, s.RegisterRequest(
                    name=self.settings.device_name,
                    platforms=sorted({a.platform for a in self.accounts}),
                    accounts=[s.Target(platform=a.platform, account=a.name)
                              for a in self.accounts],
                    version=__version__))
            found = identity.Identity(self.server_url, reply.device_id, reply.device_token)
            identity.save(path, found)
            self.heartbeat_s = self.settings.heartbeat_s or reply.heartbeat_interval_sec
            log.info("registered as device %s", found.device_id)
        self.device_id = found.device_id
        self.client.token = found.device_token
        self.sender_client.token = found.device_token

    # ---- heartbeat and login checks ----------------------------------------------------

    async def _heartbeats(self) -> None:
        while True:
            try:
                reply = await self.client.heartbeat(self.device_id, s.HeartbeatRequest(
                    current_job_id=next(iter(self._controls), None),
                    login_status=list(self._login.values())))
            except ServerRejected as exc:
                log.error("heartbeat refused: %s", exc)
            except ServerUnavailable as exc:
                log.warning("heartbeat failed: %s", exc)
            else:
                for job_id in reply.cancel_job_ids:
                    if (control := self._controls.get(job_id)) is not None:
                        control.cancel_requested = True
                        control.changed.set()
                if reply.check_login and not self._checking:
                    self._checking = True
                    spawn(self.check_logins(), "login check")
            await asyncio.sleep(self.heartbeat_s * random.uniform(0.8, 1.2))

    async def check_logins(self) -> dict[str, bool]:
        """Run each free profile's login check and report it (NEEDS_LOGIN jobs requeue)."""
        from runner.device.login import check_profile

        log.info("checking the login of every free profile")
        results: dict[str, bool] = {}
        try:
            await self._check_each(results, check_profile)
        finally:
            self._checking = False
        return results

    async def _check_each(self, results: dict[str, bool], check_profile: Any) -> None:
        for account in self.accounts:
            lock = self.profiles.lock(account)
            if lock.locked():
                continue  # busy publishing: its login is evidently fine
            async with lock:
                try:
                    page = await self.profiles.page(account)
                except BrowserError as exc:  # e.g. open in `publish-runner login` right now
                    log.warning("cannot check %s: %s", account.key, exc)
                    continue
                ok = await check_profile(self.platform(account.platform), page, account,
                                         self.engine_options(account.platform),
                                         self.work_dir)
            results[account.key] = ok
            log.info("login check: %s is %s", account.key, "logged in" if ok else "logged out")
            self._login.pop(account.key, None)  # report even when unchanged
            self.login_changed(account, ok)
            self._slots_changed.set()

    # ---- claiming ----------------------------------------------------------------------

    def _free_accounts(self) -> list[Account]:
        now = time.monotonic()
        running: dict[str, int] = {}
        for key in self._busy:
            running[key.split("/", 1)[0]] = running.get(key.split("/", 1)[0], 0) + 1
        free = []
        for a in self.accounts:
            if a.key in self._busy:
                continue
            state = self._login.get(a.key)
            if state is not None and not state.logged_in:
                continue  # its jobs would only hit the login wall again: wait for a login
            if now - self._last_post.get(a.key, -1e9) < self.settings.min_gap_s:
                continue
            if running.get(a.platform, 0) >= self.settings.platform_limit(a.platform):
                continue
            free.append(a)
        return free

    def _next_gap_end(self) -> float:
        now = time.monotonic()
        ends = [t + self.settings.min_gap_s - now for t in self._last_post.values()]
        return max(0.1, min([e for e in ends if e > 0], default=5.0))

    async def _claim_loop(self) -> None:
        tasks: set[asyncio.Task[Any]] = set()
        backoff = 1.0
        log.info("claiming jobs for %s", ", ".join(a.key for a in self.accounts))
        while not self.stopping.is_set():
            self._slots_changed.clear()  # what changes from here on re-runs this round
            free = self._free_accounts()
            if not free or len(self._busy) >= self.settings.max_parallel:
                self.status.update(state="busy" if self._busy else "waiting (account gap)")
                await _first(self._slots_changed.wait(), self.stopping.wait(),
                             timeout=self._next_gap_end())
                continue
            self.status.update(state="waiting for a job")
            log.debug("claiming for %s", ", ".join(a.key for a in free))
            # A claim in flight is never abandoned for a freed profile: the server may have
            # handed us a job already, which would then sit CLAIMED until recovery. While
            # other profiles work, polls are short instead, so a freed one joins soon.
            wait = self.settings.claim_wait_s if not self._busy else min(
                self.settings.claim_wait_s, BUSY_CLAIM_WAIT_S)
            request = s.ClaimRequest(
                platforms=sorted({a.platform for a in free}),
                accounts=[s.Target(platform=a.platform, account=a.name) for a in free],
                wait_sec=wait)
            claim_task = asyncio.ensure_future(self.client.claim(request))
            await _first(claim_task, self.stopping.wait())
            if not claim_task.done():
                claim_task.cancel()  # a job claimed in this instant goes back by recovery
                with contextlib.suppress(BaseException):
                    await claim_task
                continue
            try:
                claimed = claim_task.result()
            except ServerUnavailable as exc:
                log.warning("cannot claim: %s; trying again in %.0fs", exc, backoff)
                await _first(self.stopping.wait(), timeout=backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            except ServerRejected as exc:
                log.error("claim refused: %s", exc)
                await _first(self.stopping.wait(), timeout=30.0)
                continue
            backoff = 1.0
            if claimed is None:
                log.debug("nothing came due")
                continue
            account = self._account_for(claimed.job)
            if account is None:
                log.error("claimed job %s for %s/%s, which has no profile here",
                          claimed.job.id, claimed.job.platform, claimed.job.account)
                continue
            self._busy.add(account.key)
            task = asyncio.create_task(self._job(claimed, account))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            log.info("waiting for %d running job(s) to finish", len(tasks))
            await asyncio.gather(*tasks, return_exceptions=True)

    def _account_for(self, job: s.Job) -> Account | None:
        return next((a for a in self.accounts
                     if a.platform == job.platform and a.name == job.account), None)

    async def _job(self, claimed: s.ClaimResponse, account: Account) -> None:
        self.status.update(state=f"job {claimed.job.id}", platform=account.key, phase="start")
        try:
            async with self.profiles.lock(account):
                await run_job(self, claimed, account)
        except Exception:
            log.exception("job %s crashed the runner's job task", claimed.job.id)
        finally:
            self._busy.discard(account.key)
            self._last_post[account.key] = time.monotonic()
            self._slots_changed.set()
            self.status.update(state="idle", phase="")

    async def _settle_open_intents(self) -> None:
        """Publishes that began before a crash: verify them before anything else."""
        from runner.device.jobs import verify_first
        from runner.engine.engine import Post

        for intent in self.outbox.open_intents():
            account = next((a for a in self.accounts if a.platform == intent.platform
                            and a.name == intent.account), None)
            log.warning("job %s may have been published before the daemon stopped: checking",
                        intent.job_id)
            if account is None:
                log.error("job %s may have been published from %s/%s, which has no profile "
                          "here any more: look at that account before retrying it",
                          intent.job_id, intent.platform, intent.account)
                continue
            work = Path(self.work_dir) / f"intent-{intent.job_id}"
            async with self.profiles.lock(account):
                page = await self.profiles.page(account)
                settled = await verify_first(
                    self, self.platform(intent.platform),
                    self.engine_options(intent.platform), page,
                    Post(intent.text, (), intent.account), intent.job_id, intent.run_id,
                    intent.lease_token, work)
            if not settled:
                self.outbox.add_completion(
                    intent.job_id, intent.run_id, intent.lease_token, outcome="FAILED",
                    error_code="INTERRUPTED_PUBLISH",
                    error_message="the daemon stopped during the publish step and the post is "
                    "not among the account's recent posts; look at the account before retrying",
                    post_url=None, proof_kinds=[])
            shutil.rmtree(work, ignore_errors=True)


_background: set[asyncio.Task[Any]] = set()


def spawn(coro: Any, what: str) -> asyncio.Task[Any]:
    """A background task whose failure is logged, not lost."""
    task = asyncio.get_running_loop().create_task(coro)
    _background.add(task)

    def done(t: asyncio.Task[Any]) -> None:
        _background.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("%s failed: %r", what, t.exception(), exc_info=t.exception())

    task.add_done_callback(done)
    return task


async def _first(*aws: Any, timeout: float | None = None) -> None:
    """Wait for the first of several awaitables; cancel the rest (not passed-in tasks)."""
    futures = [a if isinstance(a, asyncio.Future) else asyncio.ensure_future(a) for a in aws]
    owned = [f for f, a in zip(futures, aws, strict=True) if f is not a]
    try:
        await asyncio.wait(futures, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for f in owned:
            f.cancel()
