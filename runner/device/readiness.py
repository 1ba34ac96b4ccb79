"""Accounts held out of claiming until they are ready again, each on its own.

Two things hold an account: a publish intent left open by a daemon that died (the post may
be live, so it is verified before anything else happens to that account), and a profile
that would not open (another browser holds it, Chromium fails to start: claiming for it
would only hand the job back again, many times a second). A held account is tried again
after a wait that doubles on each failure (5 s, up to 5 min): its profile is opened and its
intents are settled; when that works it is claimed for again. No other account waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from common.errors import BrowserError, DefinitionError
from contract import codes
from runner.device.channel import RunChannel
from runner.device.items import Completion, RunKey
from runner.device.job_runner import JobParts, ProfileSource, complete, verify_first
from runner.device.outbox import Intent
from runner.device.settings import Account
from runner.engine import Post

__all__ = ["FIRST_BACKOFF_S", "MAX_BACKOFF_S", "DaemonProfiles", "Readiness"]

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 5.0
MAX_BACKOFF_S = 300.0


class DaemonProfiles(ProfileSource, Protocol):
    """The warm browser profiles (`runner.device.profiles.Profiles`)."""

    def lock(self, account: Account) -> asyncio.Lock: ...

    async def close(self) -> None: ...


@dataclass
class _Hold:
    intents: list[Intent] = field(default_factory=list)
    not_before: float = 0.0
    delay: float = 0.0
    task: asyncio.Task[None] | None = None


class Readiness:
    """The held accounts of one daemon, and the work that frees them."""

    def __init__(self, profiles: DaemonProfiles, parts: Callable[[], JobParts],
                 on_change: Callable[[], None]) -> None:
        self.profiles = profiles
        self._parts = parts
        self._on_change = on_change
        self._holds: dict[str, _Hold] = {}

    def held(self, key: str) -> bool:
        return key in self._holds

    def hold_for_intent(self, account: Account, intent: Intent) -> None:
        """Settle this intent before the account claims again (at once)."""
        self._holds.setdefault(account.key, _Hold()).intents.append(intent)

    def back_off(self, account: Account, why: str) -> None:
        hold = self._holds.setdefault(account.key, _Hold())
        hold.delay = min(MAX_BACKOFF_S, max(FIRST_BACKOFF_S, hold.delay * 2))
        hold.not_before = time.monotonic() + hold.delay
        log.warning("%s: %s; no job is claimed for it until it opens (next try in %.0fs)",
                    account.key, why, hold.delay)

    def waits(self) -> list[float]:
        """Seconds until each held account is due for another try."""
        now = time.monotonic()
        return [h.not_before - now for h in self._holds.values() if h.task is None]

    def mend(self, accounts: dict[str, Account], busy: set[str]) -> None:
        """Start, for each held account whose wait is over, the work that frees it."""
        now = time.monotonic()
        for key, hold in self._holds.items():
            if hold.task is None and now >= hold.not_before and key not in busy:
                hold.task = asyncio.ensure_future(self._mend(accounts[key], hold))

    async def close(self) -> None:
        """Stop the work in progress; an intent left unsettled is settled at the next start."""
        tasks = [h.task for h in self._holds.values() if h.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _mend(self, account: Account, hold: _Hold) -> None:
        try:
            async with self.profiles.lock(account):
                page = await self.profiles.page(account)
                while hold.intents:
                    await self._settle(hold.intents[0], page)
                    hold.intents.pop(0)
        except BrowserError as exc:
            hold.task = None
            self.back_off(account, f"its profile could not open ({exc})")
        except Exception:
            log.exception("could not make %s ready again", account.key)
            hold.task = None
            self.back_off(account, "it could not be made ready")
        else:
            self._holds.pop(account.key, None)
            log.info("%s is ready: claiming jobs for it again", account.key)
        finally:
            self._on_change()

    async def _settle(self, intent: Intent, page: Any) -> None:
        """A publish that began before a crash: verify it before anything else."""
        log.warning("job %s may have been published before the daemon stopped: checking",
                    intent.job_id)
        parts = self._parts()
        channel = RunChannel(parts.outbox, parts.client,
                             RunKey(intent.job_id, intent.run_id, intent.lease_token))
        try:
            platform = parts.platform(intent.platform)
        except DefinitionError as exc:
            complete(channel, Completion.failed(
                codes.VERIFY_IMPOSSIBLE,
                "the daemon stopped during the publish step and the playbook can no longer "
                f"check the account ({exc}); look at the account before retrying"))
            return
        engine = parts.engine(platform, parts.options(intent.platform), None)
        work = parts.work_dir / f"intent-{intent.job_id}"
        try:
            # The click came after the intent was written: an older post with this text,
            # dated before it or listed at or below the head recorded then, is not this one.
            since = datetime.fromtimestamp(intent.at, timezone.utc) if intent.at else None
            post = Post(intent.text, (), intent.account, not_before=since, head=intent.head)
            settled = await verify_first(engine, channel, page, post, work, platform.name)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if not settled:
            complete(channel, Completion.failed(
                codes.INTERRUPTED_PUBLISH,
                "the daemon stopped during the publish step and the post is not among the "
                "account's recent posts; look at the account before retrying"))
