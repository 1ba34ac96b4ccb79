"""Capture a platform's live page as a sanitised fixture, or import a failed run's HTML.

A fixture is one UI state of a platform (`fixtures/<platform>/<state>.html`) that replay
serves at the page's original URL. Capture brings the live page to that state — by running
the playbook up to a phase, or by letting the operator click there in a headed window — then
snapshots the DOM (runner.capture.snapshot) and sanitises it (runner.capture.sanitize).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import ConfigError, DefinitionError
from runner.capture.sanitize import sanitize
from runner.capture.snapshot import snapshot_dom

if TYPE_CHECKING:
    from playwright.async_api import Page

    from runner.browser import SetCookie
    from runner.engine.definitions import Platform

log = logging.getLogger(__name__)

DEFAULT_TEXT = "Fixture capture 👋 مرحبا"
_STATE_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")


def fixtures_root(root: Path | None = None) -> Path:
    """Where new fixtures go: never into the installed package's own copy."""
    from runner.definitions_root import current

    if root is None and current().installed_copy:
        raise ConfigError("the packaged definitions are read-only: give --out FILE, or run "
                          "in a folder holding playbooks/ and selectors/ (or --definitions DIR)")
    return (root or current().path) / "fixtures"


def fixture_path(platform: str, state: str, root: Path | None = None) -> Path:
    """Where a state's fixture lives; the state name is a file name, never a path."""
    if not _STATE_NAME.match(state) or state.endswith(".html"):
        raise ConfigError(f"state {state!r} must be a plain name like `compose` or `posted`")
    return fixtures_root(root) / platform / f"{state}.html"


def canonical_source(url: str, platform: Platform, base_url: str | None = None) -> str:
    """The page's URL as the fixture header records it: a run against another address of
    the platform (`--base-url`, an auto-started sandbox on a random port) is written at the
    playbook's own base URL, so headers carry no random ports and replay's globs match."""
    from urllib.parse import urlsplit

    home = platform.playbook.header.base_url.rstrip("/")
    if base_url and url.startswith(base_url.rstrip("/")):
        return home + url[len(base_url.rstrip("/")):]
    here, there = urlsplit(url), urlsplit(home)
    loopback = ("127.0.0.1", "localhost", "::1")
    if here.hostname in loopback and there.hostname in loopback and here.port != there.port:
        return home + url[len(f"{here.scheme}://{here.netloc}"):]
    return url


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _check_phase(until_phase: str | None) -> None:
    from runner.engine.playbook import PHASES

    if until_phase is not None and until_phase not in PHASES:
        raise ConfigError(f"unknown phase {until_phase!r}; phases: {', '.join(PHASES)}")


async def _wait_for_operator(state: str) -> None:
    """Let the operator bring the page to the state by hand (headed, on a terminal)."""
    prompt = (f"Bring the browser window to the '{state}' state, then press Enter here "
              "to capture it… ")
    await asyncio.to_thread(input, prompt)


async def capture_page(
    page: Page,
    platform: Platform,
    state: str,
    *,
    url: str | None = None,
    until_phase: str | None = None,
    text: str = DEFAULT_TEXT,
    media: Sequence[Path] = (),
    account: str = "main",
    base_url: str | None = None,
    locale: str = "auto",
    wait_for_operator: bool = False,
    out: Path | None = None,
    root: Path | None = None,
) -> Path:
    """Bring an open page to `state`, snapshot, sanitise and write it. Returns the file.

    With `until_phase` the playbook runs up to that phase; with `url` the page goes there;
    with neither, the page is captured where it is.
    """
    from runner.engine import Engine, Status
    from runner.engine.engine import EngineOptions, Post

    _check_phase(until_phase)
    target = out or fixture_path(platform.name, state, root)
    if until_phase is not None:
        if url is not None:
            raise ConfigError("give either a URL or a phase to run the playbook to, not both")
        options = EngineOptions(stop_after=until_phase, base_url=base_url, trace=False,
                                locale=locale)
        post = Post(text=text, media=tuple(m.resolve() for m in media), account=account)
        with tempfile.TemporaryDirectory(prefix="capture-") as tmp:
            result = await Engine(platform, options).run(page, post, Path(tmp))
        if result.status is not Status.SUCCEEDED:
            # Capturing a failed state (an error toast, a login wall) is legitimate.
            log.warning("the playbook stopped before %s (%s: %s); capturing the page as it is",
                        until_phase, result.status.value, result.error_message)
    elif url is not None:
        await page.goto(url, wait_until="load")
    if wait_for_operator:
        await _wait_for_operator(state)
    await page.wait_for_load_state("load")
    html = await snapshot_dom(page)
    clean = sanitize(
        html,
        platform=platform.name,
        state=state,
        locale=None,  # the page's own <html lang>: what the UI language really was
        source_url=canonical_source(page.url, platform, base_url),
        captured_at=datetime.now(timezone.utc),
        private_css=platform.selectors.private_content,
    )
    log.info("captured %s/%s from %s into %s", platform.name, state, page.url, target)
    return _write(target, clean)


async def capture(
    platform: str,
    state: str,
    *,
    url: str | None = None,
    profile: Path | None = None,
    headless: bool | None = False,
    until_phase: str | None = None,
    wait_for_operator: bool = True,
    out: Path | None = None,
    account: str | None = "main",
    base_url: str | None = None,
    cookies: list[SetCookie] | None = None,
    text: str = DEFAULT_TEXT,
    media: Sequence[Path] = (),
    browser: str | None = None,
    locale: str = "auto",
    root: Path | None = None,
) -> Path:
    """Open the live page (a logged-in profile, or a fresh context with `cookies`) and capture.

    The operator is asked to press Enter only when nothing else decides the state: no
    `until_phase`, a headed window and a terminal. For the sandbox platform without a URL, a
    sandbox is started for the capture and `account` logged in (None: logged out).
    """
    from runner.browser import discover, open_page, resolve_headless, start_playwright
    from runner.engine import load_platform

    _check_phase(until_phase)
    plat = load_platform(platform, root)
    target = out or fixture_path(platform, state, root)
    headless = resolve_headless(headless)
    ask = wait_for_operator and until_phase is None and not headless and sys.stdin.isatty()
    with contextlib.ExitStack() as stack:
        if platform == "sandbox" and base_url is None and url is None:
            from sandbox import SandboxServer

            server = stack.enter_context(SandboxServer())
            base_url = server.url
            if cookies is None and account is not None:
                cookies = [server.state.login_cookie(account)]  # type: ignore[list-item]
        async with start_playwright() as pw, open_page(
                pw, discover(browser), profile=profile, headless=headless,
                cookies=cookies) as page:
            if until_phase is None:
                url = url or base_url or plat.playbook.header.base_url
            return await capture_page(
                page, plat, state, url=url, until_phase=until_phase, text=text,
                media=media, account=account or "main", base_url=base_url,
                locale=locale, wait_for_operator=ask, out=target, root=root,
            )
    raise AssertionError("unreachable")  # pragma: no cover  (mypy: the with always returns)


def failure_metadata(html: str) -> dict[str, str]:
    """platform/phase/url from the comment the engine writes on top of `failure.html`."""
    from runner.engine.evidence import parse_failure_header

    return parse_failure_header(html)


async def import_fixture(
    file: Path, platform: str, state: str, out: Path | None = None, root: Path | None = None
) -> Path:
    """A failed real run's `failure.html` as a sanitised fixture (no browser needed).

    That HTML comes from `page.content()`: no shadow roots, no inlined CSS, no form state,
    but it is the DOM the selectors actually failed on, which is what a fixture is for.
    """
    from runner.engine import load_platform

    target = out or fixture_path(platform, state, root)
    html = Path(file).read_text(encoding="utf-8", errors="replace")
    meta = failure_metadata(html)
    if not meta:
        log.warning("%s has no publish-runner failure header; the source URL is unknown", file)
    elif meta.get("platform") not in (None, platform):
        log.warning("%s was kept from a %s run, imported as %s", file, meta["platform"], platform)
    source = meta.get("url", "")
    try:
        definitions = load_platform(platform, root)
        private = definitions.selectors.private_content
        source = canonical_source(source, definitions) if source else source
    except DefinitionError as exc:
        log.warning("no usable selector file for %s (%s): only generic scrubbing", platform,
                    str(exc).splitlines()[0])
        private = []
    captured = datetime.fromtimestamp(Path(file).stat().st_mtime, timezone.utc)
    clean = sanitize(html, platform=platform, state=state, source_url=source,
                     captured_at=captured, private_css=private)
    log.info("imported %s as %s/%s into %s", file, platform, state, target)
    return _write(target, clean)
