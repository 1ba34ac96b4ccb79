"""Running a canary: a dry run of a platform's playbook on a live, logged-in account.

`canary_on_page` does the work on an open page: the phases up to `confirm` in canary mode
with a canary text (and a small image where the playbook uploads one), a diagnosis of a
selector that did not resolve (near matches, checked on the page), the playbook's
`discard`, the recent-posts check, and the report. With `capture_dir` every page it reached
is saved as a sanitised fixture and a `scenarios.yaml` beside them names them.
`run_canary` opens the account's profile (or, for the sandbox without a base URL, starts one
and logs the account in) and calls it.
"""

from __future__ import annotations

import contextlib
import struct
import tempfile
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.canary.references import find_reference, reference_pages
from runner.canary.report import CanaryReport, build_report
from runner.engine.hooks import EngineHooks

if TYPE_CHECKING:
    from playwright.async_api import Page

    from runner.engine.definitions import Platform
    from runner.engine.diagnose import Suggestion
    from runner.engine.result import RunResult

__all__ = ["canary_image", "canary_on_page", "canary_text", "diagnose_on_page", "run_canary",
           "takes_image", "write_scenarios"]


def canary_text(now: datetime | None = None) -> str:
    """A text no person would post, unique per run (the recent-posts check looks for it)."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%f")
    return f"publish-runner canary {stamp} (never published)"


def canary_image(folder: Path) -> Path:
    """A small valid PNG (64×64, one colour), built by hand."""
    width = height = 64

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\x00" + bytes((40, 140, 200)) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
           + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "canary.png"
    path.write_bytes(png)
    return path


def takes_image(platform: Platform, image: Path) -> bool:
    """True when the playbook uploads media and does not refuse an image post (a `fail`
    step whose `when` holds for it, as a video-only platform has)."""
    from runner.engine.post import Post
    from runner.engine.templates import truthy

    phases = platform.playbook.phases
    if not any(s.kind == "upload" for p in phases.values() for s in p):
        return False
    values = {"post": Post(text="x", media=(image,)).values(), "vars": {}}
    for steps in phases.values():
        for step in steps:
            if step.kind == "fail" and (step.when is None or truthy(step.when, values)):
                return False
    return True


async def _capture(page: Page, platform: Platform, state: str, folder: Path,
                   base_url: str | None, captured: dict[str, str]) -> None:
    from runner.capture.capture import capture_page

    path = await capture_page(page, platform, state, base_url=base_url,
                              out=folder / f"{state}.html")
    captured[state] = path.name


class _CaptureHooks(EngineHooks):
    """After each phase that changes the page, save the page as a fixture."""

    def __init__(self, platform: Platform, folder: Path, base_url: str | None) -> None:
        self.platform = platform
        self.folder = folder
        self.base_url = base_url
        self.captured: dict[str, str] = {}  # phase → file name
        self.page: Page | None = None

    async def after_phase(self, phase: str) -> None:
        if self.page is not None and phase in ("open", "compose", "attach", "confirm"):
            with contextlib.suppress(Exception):  # a page mid-navigation: keep going
                await _capture(self.page, self.platform, f"canary-{phase}", self.folder,
                               self.base_url, self.captured)


def write_scenarios(platform: Platform, folder: Path, captured: dict[str, str], *,
                    account: str, locale: str, text: str, fallbacks: list[str]) -> Path:
    """scenarios.yaml entries for the captured pages (appended to the file if it exists)."""
    import yaml

    if "open" not in captured:
        raise ValueError("nothing was captured")
    base = platform.playbook.header.base_url.rstrip("/")
    name = f"canary-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}"
    after = {phase: captured[phase] for phase in ("compose", "attach", "confirm")
             if phase in captured}
    entry = {
        "description": "pages a canary reached on a live account (review before committing); "
                       "replay runs open … confirm on them, add a posted page under "
                       "after.publish to replay the whole post",
        "account": account, "locale": locale, "post": {"text": text},
        "pages": {f"{base}/**": captured["open"]},
        "after": after,
        "expect": {"fallbacks": fallbacks},
    }
    path = folder / "scenarios.yaml"
    data: dict[str, Any] = {"platform": platform.name, "scenarios": {}}
    if path.is_file():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or data
    data.setdefault("scenarios", {})[name] = entry
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def canary_on_page(page: Page, platform: Platform, *, account: str,
                         base_url: str | None = None, locale: str = "auto",
                         capture_dir: Path | None = None, root: Path | None = None,
                         out_dir: Path | None = None, suggest_limit: int = 5,
                         trace: bool = False, image: bool = True) -> CanaryReport:
    """Run one canary on an open, logged-in page and report."""
    from runner.engine import Engine, Post
    from runner.engine.definitions import project_root
    from runner.engine.options import EngineOptions

    root = root or project_root()
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        work = out_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="canary-")))
        text = canary_text()
        png = canary_image(work / "media")
        media = (png,) if image and takes_image(platform, png) else ()
        hooks: EngineHooks = EngineHooks()
        capturer = None
        if capture_dir is not None:
            capture_dir.mkdir(parents=True, exist_ok=True)
            capturer = _CaptureHooks(platform, capture_dir, base_url)
            capturer.page = page
            hooks = capturer
        options = EngineOptions(base_url=base_url, locale=locale, trace=trace, human=False)
        engine = Engine(platform, options, hooks)
        cause: list[str] = []
        found: list[Suggestion] = []

        async def diagnose(result: RunResult) -> None:
            if result.failed_selector is None:
                return
            cause[:] = [result.failed_selector]
            found[:] = await diagnose_on_page(page, platform, result.failed_selector, root,
                                              locale=locale, limit=suggest_limit, cause=cause)

        outcome = await engine.canary(page, Post(text=text, media=media, account=account),
                                      work / "run", before_discard=diagnose)
        if outcome.result.failed_phase == "discard" and not found:
            await diagnose(outcome.result)
    report = build_report(platform, account, outcome,
                          root_cause=cause[0] if cause else None, suggestions=found)
    report.text = text
    report.duration_s = time.perf_counter() - started
    if capturer is not None and capture_dir is not None and capturer.captured:
        report.captured = [str(capture_dir / f) for f in capturer.captured.values()]
        report.scenarios_file = str(write_scenarios(
            platform, capture_dir, {k.removeprefix("canary-"): v
                                    for k, v in capturer.captured.items()},
            account=account, locale=locale if locale != "auto" else "auto", text=text,
            fallbacks=[f.selector for f in report.findings if f.status == "fallback"]))
    return report


async def diagnose_on_page(page: Page, platform: Platform, selector: str, root: Path, *,
                           locale: str = "auto", limit: int = 5,
                           cause: list[str] | None = None) -> list[Suggestion]:
    """Suggestions for the selector that failed (or the outermost broken scope of it) on
    the page as it is; `cause` gets that selector's name."""
    from runner.engine.diagnose import root_cause, suggest
    from runner.engine.locate import SelectorResolver

    target = await root_cause(SelectorResolver(platform, page, locale), selector)
    if cause is not None:
        cause[:] = [target]
    lang = await page.evaluate("() => (document.documentElement.lang || '').split('-')[0]")
    reference, _ = await find_reference(page.context, platform, target,
                                        reference_pages(platform.name, root, str(lang)), locale)
    if reference is None:
        return []
    return await suggest(platform, page, target, reference, locale=locale, limit=limit)


async def run_canary(platform_name: str, *, account: str, profile: Path | None = None,
                     base_url: str | None = None, locale: str = "auto",
                     capture_dir: Path | None = None, headless: bool | None = None,
                     browser: str | None = None, root: Path | None = None,
                     image: bool = True) -> CanaryReport:
    """Open the account's profile and run a canary there. For the sandbox without a base
    URL, a sandbox is started and the account logged in (a demo needs no setup)."""
    from runner.browser import discover, open_page, resolve_headless, start_playwright
    from runner.engine import load_platform

    platform = load_platform(platform_name, root)
    with contextlib.ExitStack() as stack:
        cookies = None
        if platform_name == "sandbox" and base_url is None and profile is None:
            from sandbox import SandboxServer

            server = stack.enter_context(SandboxServer())
            base_url = server.url
            cookies = [server.state.login_cookie(account)]
        async with start_playwright() as pw, open_page(
                pw, discover(browser), profile=profile, headless=resolve_headless(headless),
                cookies=cookies) as page:
            return await canary_on_page(page, platform, account=account, base_url=base_url,
                                        locale=locale, capture_dir=capture_dir, root=root,
                                        image=image)
    raise AssertionError("unreachable")  # pragma: no cover
