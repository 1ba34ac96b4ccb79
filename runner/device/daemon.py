"""The daemon's lifetime: register, heartbeat, claim for free profiles, run jobs.

Each claimed job runs in its own `JobRunner` (`job_runner.py`), given only what it needs;
the daemon keeps what outlives one job: which accounts are free, their login state, the
accounts held until they are ready again (`readiness.py`), and the side tasks. The outbox
sender and the heartbeat are supervised (`common.aio.Supervisor`): if one crashes, the
daemon stops claiming, lets running jobs reach a safe point, and exits non-zero.

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
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pydantic

from common.aio import SideTaskFailed, Supervisor, first_of
from common.errors import (
    BrowserError,
    ConfigError,
    ServerError,
    ServerRejected,
    ServerUnavailable,
)
from contract import codes
from contract import models as s
from runner import __version__, definitions_root
from runner.client import RetryPolicy, ServerClient
from runner.device import identity
from runner.device.canaries import Canaries
from runner.device.canary_schedule import CanarySchedule
from runner.device.control import JobBoard
from runner.device.definitions_sync import DefinitionsSync
from runner.device.faults import Faults
from runner.device.job_runner import EngineFactory, JobOutcome, JobParts, JobRunner
from runner.device.outbox import Outbox
from runner.device.reachability import Reachability, WatchedTransport
from runner.device.readiness import DaemonProfiles, Readiness
from runner.device.settings import Account, DaemonSettings
from runner.device.status import StatusLine
from runner.engine import EngineOptions, Platform, Status

__all__ = ["Daemon", "DaemonProfiles", "ProfileOpener"]

log = logging.getLogger(__name__)

SENDER_BUDGET_S = 10.0
BUSY_CLAIM_WAIT_S = 2.0
EXIT_SIDE_TASK_FAILED = 1


ProfileOpener = Callable[[DaemonSettings], contextlib.AbstractAsyncContextManager[DaemonProfiles]]


@contextlib.asynccontextmanager
async def browser_profiles(settings: DaemonSettings) -> AsyncIterator[DaemonProfiles]:
    """The real profiles: Playwright started through the browser seam."""
    from runner.browser import discover, resolve_headless, start_playwright
    from runner.device.profiles import Profiles

    async with start_playwright() as pw:
        profiles = Profiles(pw, discover(settings.browser),
                            headless=resolve_headless(settings.headless),
                            cdp_url=settings.cdp_url)
        try:
            yield profiles
        finally:
            await profiles.close()


class Daemon:
    """Holds the daemon's parts; `run()` is the whole lifetime."""

    def __init__(self, settings: DaemonSettings, server_url: str, *,
                 enroll_token: str | None, transport: Any = None,
                 open_profiles: ProfileOpener = browser_profiles,
                 engine: EngineFactory | None = None, faults: Faults | None = None) -> None:
        self.settings = settings
        self.server_url = server_url
        self.enroll_token = enroll_token
        self.transport = transport
        self.accounts = settings.account_list()
        if not self.accounts:
            raise ConfigError("no accounts: give at least one, e.g. --account x/main")
        self.faults = faults if faults is not None else Faults.from_env()
        self._open_profiles = open_profiles
        self._engine = engine
        self.outbox = Outbox(settings.outbox_file)
        keep = settings.outbox_retention_s
        if pruned := self.outbox.prune(keep):
            log.info("outbox: %d delivered item(s) older than %.1f days forgotten", pruned,
                     keep / 86400)
        self.board = JobBoard()
        self.outbox.on_events_reply = self.board.on_events_reply
        self.work_dir = settings.home / "work"
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.work_dir.chmod(0o700)  # a run's proofs, page HTML and trace show the account
        self.stopping = asyncio.Event()
        self.aborting = asyncio.Event()
        self.status = StatusLine()
        # Every attempt of both clients tells the status line whether the server answers.
        self.reachability = Reachability(self.status.server_unreachable)
        self.client: ServerClient = ServerClient(
            server_url, transport=WatchedTransport(self.reachability, transport))
        # The outbox retries forever on its own; each of its calls gives up quickly, so it
        # notices (and says) when the server is away.
        self.sender_client = ServerClient(
            server_url, transport=WatchedTransport(self.reachability, transport),
            retry=RetryPolicy(budget=SENDER_BUDGET_S, result_budget=SENDER_BUDGET_S))
        self.profiles: DaemonProfiles
        # Which definitions a job starts with, following the server's versions.
        self.definitions = DefinitionsSync(
            settings.home / "definitions", definitions_root.current(),
            pinned=settings.definitions_pin, fetch=self.client.download_definitions)
        self._busy: set[str] = set()
        self._last_post: dict[str, float] = {}
        self._login: dict[str, s.LoginState] = {}
        self.readiness: Readiness
        self._checking = False
        self._slots_changed = asyncio.Event()
        self._background: set[asyncio.Task[Any]] = set()
        self.device_id = ""
        self.heartbeat_s = settings.heartbeat_s or 30.0
        self._canarying: set[str] = set()  # accounts whose profile a canary holds
        self.canaries = Canaries(self, CanarySchedule(
            settings.canary_every, jitter_s=settings.canary_jitter_s,
            margin_s=settings.canary_margin_s), self.accounts)
        for key in sorted(set(settings.canary_every) - set(self.canaries.accounts)):
            log.warning("canary_every names %s, which is not an account of this device", key)

    # ---- wiring ------------------------------------------------------------------------

    def platform(self, name: str) -> Platform:
        return self.definitions.current().platform(name)

    def engine_options(self, platform: str) -> EngineOptions:
        return EngineOptions.from_settings(self.settings, platform)

    def _parts(self) -> JobParts:
        extra: dict[str, Any] = {} if self._engine is None else {"engine": self._engine}
        return JobParts(client=self.client, outbox=self.outbox, profiles=self.profiles,
                        platform=self.platform, options=self.engine_options,
                        definitions=self.definitions.current,
                        abort=self.aborting, work_dir=self.work_dir,
                        keepalive_s=self.settings.keepalive_s, faults=self.faults,
                        on_phase=lambda phase: self.status.update(phase=phase), **extra)

    def login_changed(self, account: Account, logged_in: bool) -> None:
        previous = self._login.get(account.key)
        self._login[account.key] = s.LoginState(platform=account.platform, account=account.name,
                                                logged_in=logged_in,
                                                checked_at=datetime.now(timezone.utc))
        if previous is None or previous.logged_in != logged_in:
            self._spawn(self._report_login(account, logged_in), "login report")

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

    def _spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> None:
        """A one-off background task whose failure is logged, not lost."""
        task = asyncio.ensure_future(coro)
        self._background.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed: %r", what, t.exception(), exc_info=t.exception())

        task.add_done_callback(done)

    # ---- lifetime ----------------------------------------------------------------------

    async def run(self) -> int:
        """The whole lifetime; 0 after an orderly stop, non-zero when a side task died."""
        code = 0
        try:
            await self._register()
            async with self._open_profiles(self.settings) as profiles:
                self.profiles = profiles
                self.readiness = Readiness(profiles, self._parts, self._slots_changed.set)
                code = await self._supervised()
        finally:
            for task in list(self._background):
                task.cancel()
            await self.client.aclose()
            await self.sender_client.aclose()
            self.outbox.close()
        if code == 0:
            log.info("stopped")
        else:
            log.error("stopped after a failure (exit %d)", code)
        return code

    async def _supervised(self) -> int:
        never = asyncio.Event()  # the sender stops by cancellation, after the last flush
        async with Supervisor(on_failure=self._side_task_failed) as sup:
            sup.spawn("outbox sender", self.outbox.run_sender(self.sender_client, never))
            sup.spawn("heartbeat", self._heartbeats())
            sup.spawn("status line", self.status.run(self.stopping), may_end=True)
            # Also with every canary switched off: results a restart found spooled still go.
            if self.canaries.accounts or self.canaries.spool.pending():
                sup.spawn("canaries", self.canaries.run())
            try:
                await sup.run(self._main())
            except SideTaskFailed:
                return EXIT_SIDE_TASK_FAILED
            finally:
                # Results written during the run should leave before we do, if the server
                # lets them; whatever does not stays in the outbox for the next start.
                if sup.failure is None:
                    await self.outbox.flush(None, timeout=10.0)
        return 0

    def _side_task_failed(self, failure: SideTaskFailed) -> None:
        log.critical("the daemon cannot go on without its %s: stopping (jobs stop at their "
                     "next safe point and are handed back)", failure.name)
        self.stopping.set()
        self.aborting.set()
        self._slots_changed.set()

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
            try:
                request = s.RegisterRequest(
                    name=self.settings.device_name,
                    platforms=sorted({a.platform for a in self.accounts}),
                    accounts=[s.Target(platform=a.platform, account=a.name)
                              for a in self.accounts],
                    version=__version__)
            except pydantic.ValidationError as exc:
                raise ConfigError("this device cannot register: " + "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                    for e in exc.errors())) from exc
            async with ServerClient(self.server_url, transport=WatchedTransport(
                    self.reachability, self.transport)) as anon:
                reply = await anon.register(self.enroll_token, request)
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
                    current_job_id=self.board.current(),
                    login_status=list(self._login.values()),
                    definitions_hash=self.definitions.current().digest))
            except ServerRejected as exc:
                log.error("heartbeat refused: %s", exc)
            except ServerUnavailable as exc:
                log.warning("heartbeat failed: %s", exc)
            else:
                self.board.cancel(reply.cancel_job_ids)
                if self.definitions.wants(reply.definitions):
                    assert reply.definitions is not None
                    self._spawn(self.definitions.follow(reply.definitions), "definitions update")
                if reply.check_login and not self._checking:
                    self._checking = True
                    self._spawn(self.check_logins(), "login check")
            await asyncio.sleep(self.heartbeat_s * random.uniform(0.8, 1.2))

    async def check_logins(self) -> dict[str, bool]:
        """Run each free profile's login check and report it (NEEDS_LOGIN jobs requeue)."""
        from runner.device.login import check_profile

        log.info("checking the login of every free profile")
        results: dict[str, bool] = {}
        try:
            for account in self.accounts:
                lock = self.profiles.lock(account)
                if lock.locked():
                    continue  # busy publishing: its login is evidently fine
                async with lock:
                    try:
                        page = await self.profiles.page(account)
                    except BrowserError as exc:  # e.g. open in `publish-runner login` now
                        log.warning("cannot check %s: %s", account.key, exc)
                        continue
                    ok = await check_profile(self.platform(account.platform), page, account,
                                             self.engine_options(account.platform),
                                             self.work_dir)
                results[account.key] = ok
                log.info("login check: %s is %s", account.key,
                         "logged in" if ok else "logged out")
                self._login.pop(account.key, None)  # report even when unchanged
                self.login_changed(account, ok)
                self._slots_changed.set()
        finally:
            self._checking = False
        return results

    # ---- claiming ----------------------------------------------------------------------

    def _free_accounts(self) -> list[Account]:
        now = time.monotonic()
        running: dict[str, int] = {}
        for key in self._busy:
            running[key.split("/", 1)[0]] = running.get(key.split("/", 1)[0], 0) + 1
        free = []
        for a in self.accounts:
            if a.key in self._busy or a.key in self._canarying or self.readiness.held(a.key):
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

    def _next_wake(self) -> float:
        now = time.monotonic()
        ends = [t + self.settings.min_gap_s - now for t in self._last_post.values()]
        ends += self.readiness.waits()
        return max(0.1, min([e for e in ends if e > 0], default=5.0))

    async def _main(self) -> None:
        tasks: set[asyncio.Task[None]] = set()
        try:
            await self._claim_loop(tasks)
        finally:
            if tasks:
                log.info("waiting for %d running job(s) to finish", len(tasks))
                await asyncio.wait(tasks)  # each job task logs its own failure
            await self.readiness.close()

    async def _claim_loop(self, tasks: set[asyncio.Task[None]]) -> None:
        backoff = 1.0
        for intent in self.outbox.open_intents():
            account = self._account(intent.platform, intent.account)
            if account is None:
                log.error("job %s may have been published from %s/%s, which has no profile "
                          "here any more: look at that account before retrying it",
                          intent.job_id, intent.platform, intent.account)
                continue
            self.readiness.hold_for_intent(account, intent)
        log.info("claiming jobs for %s", ", ".join(a.key for a in self.accounts))
        while not self.stopping.is_set():
            self._slots_changed.clear()  # what changes from here on re-runs this round
            self.readiness.mend({a.key: a for a in self.accounts}, self._busy)
            free = self._free_accounts()
            if not free or len(self._busy) >= self.settings.max_parallel:
                self.status.update(state="busy" if self._busy else "waiting (account gap)")
                await first_of(self._slots_changed, self.stopping, timeout=self._next_wake())
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
            await first_of(claim_task, self.stopping)
            if not claim_task.done():
                claim_task.cancel()  # a job claimed in this instant goes back by recovery
                with contextlib.suppress(BaseException):
                    await claim_task
                continue
            try:
                claimed = claim_task.result()
            except ServerUnavailable as exc:
                log.warning("cannot claim: %s; trying again in %.0fs", exc, backoff)
                await first_of(self.stopping, timeout=backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            except ServerRejected as exc:
                log.error("claim refused: %s", exc)
                await first_of(self.stopping, timeout=30.0)
                continue
            backoff = 1.0
            if claimed is None:
                log.debug("nothing came due")
                continue
            account = self._account(claimed.job.platform, claimed.job.account)
            if account is None:
                log.error("claimed job %s for %s/%s, which has no profile here",
                          claimed.job.id, claimed.job.platform, claimed.job.account)
                continue
            self._busy.add(account.key)
            task = asyncio.ensure_future(self._job(claimed, account))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    def _account(self, platform: str, name: str) -> Account | None:
        return next((a for a in self.accounts if a.platform == platform and a.name == name),
                    None)

    async def _job(self, claimed: s.ClaimResponse, account: Account) -> None:
        self.status.update(state=f"job {claimed.job.id}", platform=account.key, phase="start")
        control = self.board.track(claimed.job.id)
        try:
            async with self.profiles.lock(account):
                outcome = await JobRunner(self._parts(), claimed, account, control).run()
            await self._after(claimed.job.id, account, outcome)
        except Exception:
            log.exception("job %s crashed the runner's job task", claimed.job.id)
        finally:
            self.board.untrack(claimed.job.id)
            self._busy.discard(account.key)
            self._last_post[account.key] = time.monotonic()
            self._slots_changed.set()
            self.status.update(state="idle", phase="")

    async def _after(self, job_id: str, account: Account, outcome: JobOutcome) -> None:
        """What one job's end means for its account."""
        if outcome.status is not None:
            self.status.update(last=f"{job_id} {outcome.status.value}")
        if outcome.profile_failed:
            self.readiness.back_off(account, "its browser profile could not open")
        if outcome.status is Status.NEEDS_LOGIN:
            self.login_changed(account, False)
            await self.profiles.release(account)  # so `publish-runner login` can open it
            self.notify(f"{account.key} needs login",
                        f"Log in with: publish-runner login {account.platform} "
                        f"--account {account.name}")
        elif outcome.status is Status.SUCCEEDED:
            self.login_changed(account, True)
        if outcome.result is not None and outcome.result.error_code == codes.SELECTOR_NOT_FOUND:
            self.canaries.trigger(account, f"job {job_id} failed on a selector")

    # ---- canaries (runner.device.canaries runs them; these are its questions) ------------

    def canary_blocker(self, account: Account) -> str | None:
        """Why the account's profile cannot take a canary now (None: it can)."""
        if account.key in self._busy or self.profiles.lock(account).locked():
            return "its profile is in use"
        if self.readiness.held(account.key):
            return "it is held until its profile is ready"
        state = self._login.get(account.key)
        if state is not None and not state.logged_in:
            return "it is logged out"
        if len(self._busy) + len(self._canarying) >= self.settings.max_parallel:
            return "as many profiles as allowed are working"
        return None

    def canary_holds(self, account: Account, held: bool) -> None:
        if held:
            self._canarying.add(account.key)
            self.status.update(state=f"canary {account.key}")
        else:
            self._canarying.discard(account.key)
            self._slots_changed.set()
            self.status.update(state="idle")

    def definitions_in_use(self, platform: str) -> tuple[Path, int | None]:
        """The root a run of `platform` loads its definitions from, and the server's
        version of them (None: a local root)."""
        used = self.definitions.current()
        return used.path, used.version
