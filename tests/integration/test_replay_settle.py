"""A scripted fixture page that has settled ends the engine's waits at once, with the outcome
their timeouts would have had (runner.replay.settle, runner.engine.locate.Patience).

Real Chromium, pages served by routing as replay serves them, the probe installed as replay
installs it. Each run is made twice, with the probe and without (a live run's waits), and
both must conclude the same; only the time differs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from runner.browser import VIEWPORT
from runner.engine import Engine, EngineOptions, Post, Status
from runner.engine.definitions import load_files
from runner.replay.settle import SETTLE_JS, page_settled

pytestmark = pytest.mark.browser

BASE = "https://features.test"
HEAD = '<!doctype html><meta charset="utf-8"><title>t</title>'
PAGES = {
    # The composer shows 400 ms after load (a timer): a wait must not give up before.
    "/late": HEAD + """<main id="m"></main><script>
setTimeout(() => { document.getElementById('m').innerHTML =
  '<div role="textbox" contenteditable="true" aria-label="Compose"></div>'; }, 400);
</script>""",
    # Answers a click at once, as the shipped scripted fixtures do; nothing else pending.
    "/menu": HEAD + """<button id="b">Create</button><div id="d" hidden><p>Dialog</p></div>
<script>document.getElementById('b').addEventListener('click',
  () => { document.getElementById('d').hidden = false; });</script>""",
    # A clock: an interval never ends, so the page never counts as settled.
    "/clock": HEAD + """<p id="c"></p><script>
setInterval(() => { document.getElementById('c').textContent = Date.now(); }, 50);
</script>""",
    # An animation-frame loop and an image that loads (it is aborted, then fails).
    "/frames": HEAD + """<p id="f"></p><script>
let n = 0; const tick = () => { if (++n < 20) requestAnimationFrame(tick); };
requestAnimationFrame(tick);
const img = new Image(); img.src = '/pic.png'; document.body.appendChild(img);
</script>""",
}
SELECTORS = """platform: features
version: 1
selectors:
  composer: {candidates: [{role: textbox, name: Compose}]}
  create: {candidates: [{css: '#b'}]}
  dialog: {candidates: [{css: '#d p'}]}
  missing: {candidates: [{css: '#nothing'}, {role: button, name: Nothing}]}
  banner: {candidates: [{css: '.cookie-banner'}]}
"""


async def _context(browser: Any, *, probe: bool) -> Any:
    context = await browser.new_context(viewport=VIEWPORT, service_workers="block")
    if probe:
        await context.add_init_script(SETTLE_JS)

    async def serve(route: Any) -> None:
        path = "/" + route.request.url.split("/", 3)[3].split("?")[0]
        if route.request.resource_type != "document" or path not in PAGES:
            await route.abort()
        else:
            await route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                body=PAGES[path])

    await context.route("**/*", serve)
    return context


async def _run(browser: Any, tmp_path: Path, phases: str, *, probe: bool) -> Any:
    (tmp_path / "playbooks").mkdir(exist_ok=True)
    (tmp_path / "selectors").mkdir(exist_ok=True)
    (tmp_path / "selectors" / "features.yaml").write_text(SELECTORS, encoding="utf-8")
    book = tmp_path / "playbooks" / "features.yaml"
    book.write_text(f"platform: features\nbase_url: {BASE}\nhuman: false\nphases:\n{phases}",
                    encoding="utf-8")
    options = EngineOptions(trace=False, proof_format="none",
                            settled=page_settled if probe else None)
    context = await _context(browser, probe=probe)
    try:
        engine = Engine(load_files(book, root=tmp_path), options)
        return await engine.run(await context.new_page(), Post("hi"), tmp_path / "out")
    finally:
        await context.close()


def _verdict(result: Any) -> tuple[Any, ...]:
    return (result.status, result.error_code, result.error_message,
            [(s.step, s.status) for s in result.steps])


def _seconds(result: Any, step: str) -> float:
    return float(next(s.duration_ms for s in result.steps if s.step == step)) / 1000


@pytest.mark.asyncio
async def test_an_absent_element_on_a_settled_page_ends_the_wait_at_once(
        browser: Any, tmp_path: Path) -> None:
    phases = """
  open:
    - goto: '{{ base_url }}/menu'
    - click: create
    - wait_for: dialog
  compose:
    - click: {selector: missing, optional: true, timeout: 2s}
    - dismiss: {selector: banner, within: 2s}
    - wait_for: {selector: dialog, state: hidden, timeout: 2s}
"""
    live = await _run(browser, tmp_path, phases, probe=False)
    settled = await _run(browser, tmp_path, phases, probe=True)
    assert _verdict(settled) == _verdict(live)
    assert live.status is Status.FAILED and live.error_code == "SELECTOR_NOT_FOUND"
    assert "still shown" in (live.error_message or "")
    for step in ("click missing", "dismiss banner"):
        assert _seconds(live, step) >= 1.9  # the live wait waited its timeout out
        assert _seconds(settled, step) < 1.0  # the settled page answered at once


@pytest.mark.asyncio
async def test_a_timer_still_pending_keeps_the_wait_going(browser: Any, tmp_path: Path) -> None:
    phases = """
  open:
    - goto: '{{ base_url }}/late'
    - wait_for: {selector: composer, timeout: 5s}
"""
    live = await _run(browser, tmp_path, phases, probe=False)
    settled = await _run(browser, tmp_path, phases, probe=True)
    assert settled.status is Status.SUCCEEDED, settled.error_message
    assert _verdict(settled) == _verdict(live)
    assert _seconds(settled, "wait_for composer") >= 0.3  # it waited for the timer


@pytest.mark.asyncio
async def test_what_the_probe_cannot_follow_never_counts_as_settled(browser: Any) -> None:
    context = await _context(browser, probe=True)
    try:
        page = await context.new_page()
        await page.goto(f"{BASE}/clock")
        started = time.monotonic()
        while time.monotonic() - started < 0.5:
            assert not await page_settled(page)  # an interval: never
        await page.goto(f"{BASE}/frames")
        assert not await page_settled(page)  # frames still requested, the image loading
        deadline = time.monotonic() + 5
        while not await page_settled(page):
            assert time.monotonic() < deadline, "the frame loop and the image never ended"
        await page.goto(f"{BASE}/menu")
        assert await page_settled(page)
        await page.evaluate("() => setTimeout(() => {}, 300)")
        assert not await page_settled(page)  # a timer set by the page, until it runs
    finally:
        await context.close()


@pytest.mark.asyncio
async def test_a_page_without_the_probe_is_never_settled(browser: Any) -> None:
    context = await _context(browser, probe=False)
    try:
        page = await context.new_page()
        await page.goto(f"{BASE}/menu")
        assert not await page_settled(page)
    finally:
        await context.close()
