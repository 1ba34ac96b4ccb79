"""Browser discovery and launch flags, in a real Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from common.errors import BrowserError
from runner.browser import discover, launch_args


def test_discovery_finds_a_browser_and_honours_a_path() -> None:
    found = discover(None)
    assert found.kind in ("playwright", "channel", "path")
    system = shutil.which("chromium") or found.executable_path
    if system:
        chosen = discover(system)
        assert chosen.kind == "path" and Path(chosen.executable_path or "").exists()


def test_unknown_browser_setting_is_a_clear_error() -> None:
    with pytest.raises(BrowserError, match="neither a known channel nor a file"):
        discover("/nowhere/chrome")


def test_closed_network_flags() -> None:
    args = launch_args(headless=True)
    for flag in ("--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-blink-features=AutomationControlled"):
        assert flag in args


@pytest.mark.browser
@pytest.mark.asyncio
async def test_the_page_sees_no_automation_flag(browser: Any) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.set_content("<p>hello</p>")
    flag = await page.evaluate("navigator.webdriver")
    await context.close()
    assert flag is False
