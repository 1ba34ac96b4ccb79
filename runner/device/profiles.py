"""Browser profiles: one persistent, logged-in context per account, kept warm.

A profile cannot be opened by two browsers at once. Chromium marks an open profile with a
`SingletonLock` link naming `host-pid`; a browser that crashed leaves it behind. We clear it
only when no live process holds it, and refuse with a clear message otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import BrowserError
from runner.browser import VIEWPORT, BrowserChoice, launch_persistent
from runner.device.settings import Account

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright

log = logging.getLogger(__name__)

LOCK_FILES = ("SingletonLock", "SingletonSocket", "SingletonCookie")


def lock_holder(profile: Path) -> int | None:
    """The pid of a live process holding the profile on this host, else None."""
    lock = profile / "SingletonLock"
    try:
        target = os.readlink(lock)
    except OSError:
        return None
    host, _, pid_text = target.rpartition("-")
    if host and host != socket.gethostname():
        return -1  # held from another machine (a shared folder): never ours to clear
    try:
        pid = int(pid_text)
    except ValueError:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def clear_stale_lock(profile: Path) -> None:
    holder = lock_holder(profile)
    if holder is not None:
        who = "another machine" if holder == -1 else f"process {holder}"
        raise BrowserError(f"profile {profile} is open in {who}; close that browser first")
    for name in LOCK_FILES:
        path = profile / name
        if path.is_symlink() or path.exists():
            log.info("clearing a stale browser lock in %s", profile)
            with contextlib.suppress(OSError):
                path.unlink()


class Profiles:
    """Warm contexts by account key; relaunched when the browser died."""

    def __init__(self, pw: Playwright, choice: BrowserChoice, *, headless: bool,
                 cdp_url: str | None = None) -> None:
        self.pw = pw
        self.choice = choice
        self.headless = headless
        self.cdp_url = cdp_url
        self._contexts: dict[str, BrowserContext] = {}
        self._cdp: Browser | None = None
        # Attached to the operator's browser (--cdp-url): their tabs and their profile stay
        # theirs; we work in tabs we opened and close only those.
        self._own_pages: dict[str, Page] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, account: Account) -> asyncio.Lock:
        """One job per profile at a time."""
        return self._locks.setdefault(account.key, asyncio.Lock())

    async def context(self, account: Account) -> BrowserContext:
        ctx = self._contexts.get(account.key)
        if ctx is not None and _alive(ctx):
            return ctx
        if ctx is not None:
            log.warning("the browser of %s went away; starting it again", account.key)
        ctx = await self._open(account)

        def forget(_: BrowserContext) -> None:
            self._contexts.pop(account.key, None)

        ctx.on("close", forget)
        self._contexts[account.key] = ctx
        return ctx

    async def page(self, account: Account) -> Page:
        ctx = await self.context(account)
        if self.cdp_url:
            own = self._own_pages.get(account.key)
            if own is None or own.is_closed():
                own = self._own_pages[account.key] = await ctx.new_page()
            return own
        pages = [p for p in ctx.pages if not p.is_closed()]
        return pages[0] if pages else await ctx.new_page()

    async def _close_own_pages(self, key: str | None = None) -> None:
        for name in [k for k in self._own_pages if key is None or k == key]:
            with contextlib.suppress(Exception):
                await self._own_pages.pop(name).close()

    async def _open(self, account: Account) -> BrowserContext:
        if self.cdp_url:
            if self._cdp is None or not self._cdp.is_connected():
                try:
                    self._cdp = await self.pw.chromium.connect_over_cdp(self.cdp_url)
                except Exception as exc:
                    raise BrowserError(f"cannot attach to {self.cdp_url}: {exc}") from exc
            if not self._cdp.contexts:
                raise BrowserError(f"the browser at {self.cdp_url} has no profile open")
            return self._cdp.contexts[0]
        clear_stale_lock(account.profile)
        return await launch_persistent(
            self.pw, self.choice, account.profile, headless=self.headless,
            viewport=VIEWPORT, no_viewport=False,
        )

    async def release(self, account: Account) -> None:
        """Close one profile so another program (`publish-runner login`) may open it."""
        ctx = self._contexts.pop(account.key, None)
        if self.cdp_url:
            await self._close_own_pages(account.key)
        elif ctx is not None:
            with contextlib.suppress(Exception):
                await ctx.close()

    async def close(self) -> None:
        if self.cdp_url:  # the operator's context: leave it open, only disconnect below
            await self._close_own_pages()
            self._contexts.clear()
        for ctx in list(self._contexts.values()):
            with contextlib.suppress(Exception):
                await ctx.close()
        self._contexts.clear()
        if self._cdp is not None:
            with contextlib.suppress(Exception):
                await self._cdp.close()


async def seed_cookies(profile: Path, cookies: list[dict[str, Any]],
                       browser: str | None = None, *, days: float = 1.0) -> None:
    """Put login cookies in a profile, as an operator's manual login does once. Session
    cookies die with the browser, so each gets an expiry."""
    from runner.browser import seed_cookies as seed

    expires = time.time() + days * 86400
    await seed(profile, [{**c, "expires": expires} for c in cookies], browser)


def _alive(ctx: BrowserContext) -> bool:
    try:
        browser = ctx.browser
        if browser is not None and not browser.is_connected():
            return False
        _ = ctx.pages
    except Exception:
        return False
    return True
