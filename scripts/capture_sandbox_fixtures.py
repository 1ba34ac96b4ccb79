"""Recapture every sandbox fixture from the live sandbox with `runner.capture`.

The sandbox's fixtures are made the way a developer makes a real platform's: the playbook
runs up to a phase on the live site, then the DOM is captured and sanitised. Run it after
changing the sandbox's pages: `.venv/bin/python scripts/capture_sandbox_fixtures.py`.
"""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "fixtures" / "sandbox"
TEXT = {"main": "Hello from the fixtures 👋", "arabic": "مرحبا من الملفات الثابتة ✨"}

# state name → (faults, phase to run the playbook to, logged in)
STATES: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "compose": ((), "open", True),
    "compose-text": ((), "compose", True),
    "compose-media": ((), "attach", True),
    "posted": ((), "verify", True),
    "rejected": (("reject",), "verify", True),
    "login": ((), "open", False),
    "challenge": (("challenge",), "open", True),
    "fallback-compose": (("redesign_fallback",), "open", True),
    "fallback-text": (("redesign_fallback",), "compose", True),
    "fallback-posted": (("redesign_fallback",), "verify", True),
    "broken-compose": (("redesign_broken",), "open", True),
}


def photo() -> Path:
    path = OUT / "photo.png"
    if not path.exists():
        buf = io.BytesIO()
        Image.new("RGB", (400, 250), (200, 90, 40)).save(buf, "PNG")
        path.write_bytes(buf.getvalue())
    return path


async def main() -> None:
    from playwright.async_api import async_playwright

    from runner.browser import VIEWPORT, discover, launch
    from runner.capture.capture import capture_page
    from runner.engine import load_platform
    from sandbox import SandboxServer

    platform = load_platform("sandbox")
    OUT.mkdir(parents=True, exist_ok=True)
    with SandboxServer() as sb:
        async with async_playwright() as pw:
            browser = await launch(pw, discover(None))
            for account, suffix in (("main", ""), ("arabic", "-ar")):
                for state, (faults, phase, logged_in) in STATES.items():
                    sb.state.set_faults(account, *faults)
                    context = await browser.new_context(viewport=VIEWPORT)
                    if logged_in:
                        await context.add_cookies([sb.state.login_cookie(account)])  # type: ignore[list-item]
                    page = await context.new_page()
                    target = OUT / f"{state}{suffix}.html"
                    if logged_in:
                        await capture_page(
                            page, platform, state, until_phase=phase, text=TEXT[account],
                            media=(photo(),) if state == "compose-media" else (),
                            account=account, base_url=sb.url, out=target,
                        )
                    else:  # a logged-out page cannot know the account's language: ask for it
                        lang = "ar" if suffix else "en"
                        await capture_page(page, platform, state, out=target,
                                           url=f"{sb.url}/login?next=/compose&lang={lang}")
                    # Fixtures are replayed at the playbook's own base URL.
                    html = target.read_text(encoding="utf-8").replace(
                        sb.url, platform.playbook.header.base_url)
                    target.write_text(html, encoding="utf-8")
                    await context.close()
                    sb.state.set_faults(account)
                    print(f"captured {target.relative_to(ROOT)}")
            await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
