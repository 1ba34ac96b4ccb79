"""Login state of a profile: checking it, and letting an operator log in by hand.

While the operator logs in, their tab is theirs: nothing navigates it, nothing takes the
focus from it. The playbook's login check runs in a second tab opened *in the background*
(a Chromium target created with `background: true`, so the operator's tab stays in front),
and only when something suggests the login may have changed: the context's cookies changed,
or the operator's page finished a navigation (a slow periodic check covers logins that leave
no cookie). Each check is a navigation of that background tab only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from runner.engine import Engine, Status
from runner.engine.engine import EngineOptions, Post

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

    from runner.device.settings import Account
    from runner.engine.definitions import Platform

__all__ = ["background_page", "check_profile", "login_url", "wait_for_login"]

log = logging.getLogger(__name__)

COOKIE_POLL_S = 0.5  # reading the cookie jar touches no page
FALLBACK_CHECK_S = 30.0  # a login check even when nothing visible changed


async def check_profile(platform: Platform, page: Page, account: Account,
                        options: EngineOptions, work: Path) -> bool:
    """Run the playbook's `open` and `login_check` phases: True when no login wall shows."""
    options = replace(options, stop_after="login_check", trace=False)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        result = await Engine(platform, options).run(page, Post("", (), account.name), Path(tmp))
    if result.status is Status.FAILED:
        log.warning("login check of %s failed: %s", account.key, result.error_message)
    return result.status is Status.SUCCEEDED


def login_url(platform: Platform, options: EngineOptions) -> str:
    header = platform.playbook.header
    base = (options.base_url or header.base_url).rstrip("/")
    return (header.login_url or "{{ base_url }}").replace("{{ base_url }}", base)


@contextlib.asynccontextmanager
async def background_page(context: BrowserContext, front: Page) -> AsyncIterator[Page]:
    """A tab of `context` that never comes to the front: created as a background target
    through the DevTools protocol (a plain `new_page()` is activated and takes the focus)."""
    cdp = await context.new_cdp_session(front)
    try:
        async with context.expect_page() as opened:
            await cdp.send("Target.createTarget", {"url": "about:blank", "background": True})
        page = await opened.value
    finally:
        await cdp.detach()
    try:
        yield page
    finally:
        with contextlib.suppress(Exception):  # the operator may have closed it
            await page.close()


def _jar(cookies: Sequence[Mapping[str, object]]) -> frozenset[tuple[object, ...]]:
    return frozenset((c.get("name"), c.get("value"), c.get("domain"), c.get("path"))
                     for c in cookies)


async def wait_for_login(platform: Platform, context: BrowserContext, account: Account,
                         options: EngineOptions, work: Path, *, timeout: float = 900.0,
                         poll: float = FALLBACK_CHECK_S) -> bool:
    """Open the login page for the operator, keep it in front and untouched, and check in a
    background tab whenever the login may have changed, until it passes or `timeout`."""
    blank = [p for p in context.pages if p.url in ("about:blank", "")]
    page = blank[0] if blank else await context.new_page()  # an attached browser's tabs stay
    await page.goto(login_url(platform, options))
    await page.bring_to_front()
    navigated = asyncio.Event()

    def on_load(_: object) -> None:
        navigated.set()

    page.on("load", on_load)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        async with background_page(context, page) as checker:
            seen: frozenset[tuple[object, ...]] | None = None
            last_check = float("-inf")
            while loop.time() < deadline:
                if page.is_closed():
                    log.warning("the login tab was closed; checking the login once more")
                    return await check_profile(platform, checker, account, options, work)
                jar = _jar(await context.cookies())
                due = (jar != seen or navigated.is_set()
                       or loop.time() - last_check >= poll)
                if due:
                    seen, last_check = jar, loop.time()
                    navigated.clear()
                    if await check_profile(platform, checker, account, options, work):
                        log.info("%s is logged in", account.key)
                        return True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(navigated.wait(), COOKIE_POLL_S)
    finally:
        page.remove_listener("load", on_load)
    return False
