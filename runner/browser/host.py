"""Starting Playwright: the one place that calls `async_playwright()`.

    async with start_playwright() as pw:
        browser = await launch(pw, discover(None))

`BrowserHost` also has explicit `start()`/`stop()` for a driver that outlives one `with`
block (a test session's shared browser).
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from common.errors import BrowserError

if TYPE_CHECKING:
    from playwright.async_api import Playwright


class BrowserHost:
    """Playwright's driver process, started once and stopped once."""

    def __init__(self) -> None:
        self.playwright: Playwright | None = None

    async def start(self) -> Playwright:
        from playwright.async_api import async_playwright

        if self.playwright is None:
            try:
                self.playwright = await async_playwright().start()
            except Exception as exc:  # the driver did not start: a broken install
                raise BrowserError(f"could not start Playwright's driver: {exc}") from exc
        return self.playwright

    async def stop(self) -> None:
        if self.playwright is not None:
            playwright, self.playwright = self.playwright, None
            await playwright.stop()

    async def __aenter__(self) -> Playwright:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()


def start_playwright() -> BrowserHost:
    """`async with start_playwright() as pw:` — Playwright for the block's duration."""
    return BrowserHost()


__all__ = ["BrowserHost", "start_playwright"]
