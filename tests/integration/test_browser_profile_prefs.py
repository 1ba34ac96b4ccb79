"""A real Chromium opens a profile with Translate off (issue 15: no Translate bubble over an
Arabic page) and keeps it so after it has written its own preferences."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from runner.browser import discover, launch_persistent, start_playwright


def test_a_profile_opened_by_us_has_translate_off(tmp_path: Path) -> None:
    profile = tmp_path / "profile"

    async def go() -> None:
        async with start_playwright() as pw:
            context = await launch_persistent(pw, discover(None), profile, headless=True)
            try:
                page = await context.new_page()
                await page.set_content('<html lang="ar"><p>مرحبا بالعالم</p></html>')
            finally:
                await context.close()

    asyncio.run(go())
    prefs = json.loads((profile / "Default" / "Preferences").read_text(encoding="utf-8"))
    assert prefs["translate"]["enabled"] is False
    assert len(prefs) > 1  # Chromium wrote its own preferences around ours
