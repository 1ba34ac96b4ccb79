"""Overlays a playbook declares (cookie banners, prompts): dismissed whenever they appear.

Playwright's locator handlers run before each action when the overlay is visible, so the
playbook does not have to guess when a banner shows up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from runner.engine.locate import SelectorResolver
    from runner.engine.playbook import Overlay

log = logging.getLogger(__name__)


async def install_overlays(page: Page, resolver: SelectorResolver,
                           overlays: list[Overlay]) -> list[Locator]:
    """Register a handler per overlay; returns the locators, to remove them after the run."""
    installed = []
    for overlay in overlays:
        loc = resolver.union(overlay.selector)
        target = overlay.dismiss or overlay.selector

        async def dismiss(_: Locator, target: str = target) -> None:
            found = await resolver.try_once(target)
            if found:
                log.info("dismissed overlay with %s", target)
                await found.locator.click(timeout=2000)

        await page.add_locator_handler(loc, dismiss)
        installed.append(loc)
    return installed


__all__ = ["install_overlays"]
