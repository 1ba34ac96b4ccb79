"""Login state of a profile: checking it, and letting an operator log in by hand."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from runner.engine import Engine, Status
from runner.engine.engine import EngineOptions, Post

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

    from runner.device.settings import Account
    from runner.engine.definitions import Platform

log = logging.getLogger(__name__)


async def check_profile(platform: Platform, page: Page, account: Account,
                        options: EngineOptions, work: Path) -> bool:
    """Run the playbook's `open` and `login_check` phases: True when no login wall shows."""
    options = replace(options, stop_after="login_check", trace=False)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        result = await Engine(platform, options).run(page, Post("", (), account.name), Path(tmp))
    if result.status is Status.FAILED:
        log.warning("login check of %s failed: %s", account.key, result.error_message)
    return result.status is Status.SUCCEEDED


async def wait_for_login(platform: Platform, context: BrowserContext, account: Account,
                         options: EngineOptions, work: Path, *, timeout: float = 900.0,
                         poll: float = 5.0) -> bool:
    """Open the login page for the operator and check, in a second tab, until it passes."""
    header = platform.playbook.header
    base = (options.base_url or header.base_url).rstrip("/")
    login_url = (header.login_url or "{{ base_url }}").replace("{{ base_url }}", base)
    page = context.pages[0] if context.pages else await context.new_page()
    await page.goto(login_url)
    checker = await context.new_page()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while loop.time() < deadline:
            if await check_profile(platform, checker, account, options, work):
                return True
            await asyncio.sleep(poll)
    finally:
        await checker.close()
    return False
