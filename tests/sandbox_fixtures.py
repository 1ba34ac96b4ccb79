"""Helpers for tests that drive the sandbox site with a real Chromium.

No pytest plugin is used for asyncio: `browse()` runs one async scenario to completion with
`asyncio.run`, launching and closing its own browser, so each sync test stays independent.
"""

from __future__ import annotations

import asyncio
import shutil
import struct
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import FilePayload, Page

from runner.browser import start_playwright
from sandbox import SandboxServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def png_bytes(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 90)) -> bytes:
    """A small valid PNG, built by hand so tests need no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def image_payload(
    name: str, data: bytes | None = None, mime_type: str = "image/png"
) -> FilePayload:
    """A file for `set_input_files` / `FileChooser.set_files` (default: a small PNG)."""
    return {"name": name, "mimeType": mime_type, "buffer": png_bytes() if data is None else data}


Scenario = Callable[[Page], Awaitable[None]]


def browse(sb: SandboxServer, scenario: Scenario, *, account: str | None = "main") -> None:
    """Run `scenario(page)` in a fresh Chromium context, logged in as `account` (if any).

    Fails if the page raises a script error or requests anything outside the sandbox.
    """

    async def run() -> None:
        async with start_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context()
                if account is not None:
                    cookie = sb.state.login_cookie(account)
                    await context.add_cookies([
                        {"name": cookie["name"], "value": cookie["value"],
                         "domain": cookie["domain"], "path": cookie["path"]}
                    ])
                page = await context.new_page()
                page.set_default_timeout(10_000)
                script_errors: list[str] = []
                foreign: list[str] = []
                page.on("pageerror", lambda error: script_errors.append(str(error)))
                page.on(
                    "request",
                    lambda request: None
                    if request.url.startswith((sb.url, "data:", "blob:"))
                    else foreign.append(request.url),
                )
                await scenario(page)
                assert not script_errors, script_errors
                assert not foreign, f"requests outside the sandbox: {foreign}"
            finally:
                await browser.close()

    asyncio.run(run())
