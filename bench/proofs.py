"""Proof encoding: time and size of our encoding against Playwright's raw PNG.

Takes real screenshots of the sandbox composer (Arabic, emoji, an image preview) at
1280×800, then encodes each N times. Baseline, measured in the same run: Pillow's
optimised PNG of the same screenshot (what a naive implementation would upload).

    .venv/bin/python bench/proofs.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import time

from _common import emit, median
from PIL import Image

from runner.engine.proofs import encode


async def screenshots() -> list[bytes]:
    from runner.browser import VIEWPORT, discover, launch, start_playwright
    from sandbox import SandboxServer

    shots = []
    with SandboxServer() as sb:
        async with start_playwright() as pw:
            browser = await launch(pw, discover(None))
            for account, text in (("main", "Hello 👋 مرحبا " * 6), ("arabic", "نص عربي ✨ " * 8)):
                context = await browser.new_context(viewport=VIEWPORT)
                await context.add_cookies([sb.state.login_cookie(account)])  # type: ignore[list-item]
                page = await context.new_page()
                await page.goto(sb.url + "/compose")
                shots.append(await page.screenshot(type="png"))
                await page.locator('[data-testid="composer-text"]').focus()
                await page.keyboard.insert_text(text)
                shots.append(await page.screenshot(type="png"))
                await context.close()
            await browser.close()
    return shots


def baseline(png: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    shots = asyncio.run(screenshots())
    ours_ms, ours_kb, base_ms, base_kb, raw_kb = [], [], [], [], []
    for png in shots:
        raw_kb.append(len(png) / 1024)
        for _ in range(args.repeat):
            t = time.perf_counter()
            data, _, _ = encode(png, "webp")
            ours_ms.append((time.perf_counter() - t) * 1000)
            ours_kb.append(len(data) / 1024)
            t = time.perf_counter()
            base = baseline(png)
            base_ms.append((time.perf_counter() - t) * 1000)
            base_kb.append(len(base) / 1024)
    emit({
        "screenshots": len(shots),
        "encode_ms_p50": round(median(ours_ms), 1),
        "proof_kb_p50": round(median(ours_kb), 1),
        "baseline_png_encode_ms_p50": round(median(base_ms), 1),
        "baseline_png_kb_p50": round(median(base_kb), 1),
        "playwright_raw_png_kb_p50": round(median(raw_kb), 1),
        "size_ratio": round(median(base_kb) / median(ours_kb), 2),
        "speed_ratio": round(median(base_ms) / median(ours_ms), 2),
    }, args.json)


if __name__ == "__main__":
    main()
