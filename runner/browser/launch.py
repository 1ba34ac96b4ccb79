"""Launching: throwaway browsers, logged-in profiles, one-off pages.

Everything else talks to the browser through the Playwright objects returned here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

from common.errors import BrowserError
from runner.browser.discovery import BrowserChoice, discover
from runner.browser.flags import (
    VIEWPORT,
    launch_options,
    quiet_profile,
    sandbox_refused,
    without_sandbox,
)
from runner.browser.host import start_playwright

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright

log = logging.getLogger(__name__)


class SetCookie(TypedDict, total=False):
    """A cookie to set (`BrowserContext.add_cookies`); Playwright's own type is private."""

    name: str
    value: str
    url: str | None
    domain: str | None
    path: str | None
    expires: float | None
    httpOnly: bool | None
    secure: bool | None
    sameSite: Literal["Lax", "None", "Strict"] | None
    partitionKey: str | None


async def launch(pw: Playwright, choice: BrowserChoice, *, headless: bool = True) -> Browser:
    """Launch a browser for throwaway contexts (sandbox, replay, tests)."""
    options = launch_options(choice, headless)
    try:
        try:
            return await pw.chromium.launch(**options)
        except Exception as exc:
            if not sandbox_refused(options, exc):
                raise
            log.warning("this machine gives Chromium no sandbox: starting it without")
            return await pw.chromium.launch(**without_sandbox(options))
    except Exception as exc:  # Playwright raises its own Error for every launch problem.
        raise BrowserError(f"could not start {choice.describe()}: {exc}") from exc


async def launch_persistent(
    pw: Playwright,
    choice: BrowserChoice,
    user_data_dir: Path,
    *,
    headless: bool = False,
    **context_options: Any,
) -> BrowserContext:
    """Open a logged-in profile. A profile cannot be opened by two browsers at once."""
    user_data_dir.mkdir(parents=True, exist_ok=True)
    quiet_profile(user_data_dir)
    options = launch_options(choice, headless)
    options.update(context_options)
    try:
        try:
            return await pw.chromium.launch_persistent_context(str(user_data_dir), **options)
        except Exception as exc:
            if not sandbox_refused(options, exc):
                raise
            log.warning("this machine gives Chromium no sandbox: starting it without")
            return await pw.chromium.launch_persistent_context(
                str(user_data_dir), **without_sandbox(options))
    except Exception as exc:
        raise BrowserError(
            f"could not open profile {user_data_dir} in {choice.describe()}: {exc}"
        ) from exc


@contextlib.asynccontextmanager
async def open_page(pw: Playwright, choice: BrowserChoice, *, profile: Path | None,
                    headless: bool,
                    cookies: Sequence[SetCookie | Mapping[str, Any]] | None = None,
                    ) -> AsyncIterator[Page]:
    """One page for a one-off run (publish, capture): in a logged-in profile, or in a fresh
    context given `cookies`; everything it opened is closed afterwards."""
    owned: Browser | None = None
    if profile is not None:
        context = await launch_persistent(pw, choice, profile, headless=headless,
                                          viewport=VIEWPORT)
    else:
        owned = await launch(pw, choice, headless=headless)
        context = await owned.new_context(viewport=VIEWPORT)
    try:
        if cookies:
            await context.add_cookies([cast("SetCookie", dict(c)) for c in cookies])
        yield context.pages[0] if context.pages else await context.new_page()
    finally:
        await context.close()
        if owned is not None:
            await owned.close()


async def seed_cookies(profile: Path, cookies: Sequence[SetCookie | Mapping[str, Any]],
                       browser: str | None = None) -> None:
    """Put cookies in a profile on disk, as an operator's manual login does once."""
    async with start_playwright() as pw:
        context = await launch_persistent(pw, discover(browser), profile, headless=True)
        try:
            await context.add_cookies([cast("SetCookie", dict(c)) for c in cookies])
        finally:
            await context.close()


__all__ = ["SetCookie", "launch", "launch_persistent", "open_page", "seed_cookies"]
