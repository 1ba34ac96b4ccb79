"""Finding and launching a Chromium-family browser.

Order of discovery, unless a setting names one: Playwright's own Chromium, an installed
Chrome or Edge (Playwright channels), then the system Chromium. Everything else talks to
the browser through Playwright objects returned from here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import BrowserError

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, Playwright, ViewportSize

log = logging.getLogger(__name__)

# A closed network makes Chromium's background services fail noisily; they are not needed.
CLOSED_NETWORK_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
)
# Look like the user's own browser: no "controlled by automated software" flag.
UNDETECTED_ARGS = ("--disable-blink-features=AutomationControlled",)
IGNORED_DEFAULT_ARGS = ["--enable-automation"]

CHANNEL_PATHS: dict[str, list[str]] = {
    "chrome": [
        "/opt/google/chrome/chrome",
        "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe",
    ],
    "msedge": [
        "/opt/microsoft/msedge/msedge",
        "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
        r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
        r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    ],
}
SYSTEM_CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@dataclass(frozen=True)
class BrowserChoice:
    """How to launch: a Playwright channel or an executable path (None: Playwright's own)."""

    kind: str  # "playwright" | "channel" | "path"
    channel: str | None = None
    executable_path: str | None = None

    def describe(self) -> str:
        if self.kind == "channel":
            return f"{self.channel} (Playwright channel)"
        if self.kind == "path":
            return f"{self.executable_path}"
        return "Playwright's bundled Chromium"


def _playwright_chromium() -> str | None:
    """Path of Playwright's own Chromium if it was installed (`playwright install chromium`)."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    bases = [Path(root)] if root and root != "0" else []
    if sys.platform == "darwin":
        bases.append(Path.home() / "Library" / "Caches" / "ms-playwright")
    elif sys.platform == "win32":
        bases.append(Path(os.environ.get("LOCALAPPDATA", "")) / "ms-playwright")
    else:
        bases.append(Path.home() / ".cache" / "ms-playwright")
    names = ("chrome", "chrome.exe", "Chromium", "Google Chrome for Testing")
    for base in bases:
        for build in sorted(base.glob("chromium-*"), reverse=True):
            for exe in build.rglob("*"):
                if exe.name in names and exe.is_file() and os.access(exe, os.X_OK):
                    return str(exe)
    return None


def discover(preference: str | None = None) -> BrowserChoice:
    """Pick a browser. `preference`: None/"auto", "playwright", "chrome", "msedge" or a path."""
    pref = (preference or "auto").strip()
    if pref not in ("auto", "playwright", *CHANNEL_PATHS):
        path = Path(pref).expanduser()
        if path.is_file():
            return BrowserChoice("path", executable_path=str(path))
        found = shutil.which(pref)
        if found:
            return BrowserChoice("path", executable_path=found)
        raise BrowserError(f"browser setting {pref!r} is neither a known channel nor a file")
    if pref in ("auto", "playwright") and _playwright_chromium():
        return BrowserChoice("playwright")
    if pref == "playwright":
        raise BrowserError("Playwright's Chromium is not installed (`playwright install chromium`)")
    for channel, paths in CHANNEL_PATHS.items():
        if pref in ("auto", channel) and any(Path(p).exists() for p in paths):
            return BrowserChoice("channel", channel=channel)
    if pref in CHANNEL_PATHS:
        raise BrowserError(f"{pref} is not installed on this machine")
    for name in SYSTEM_CHROMIUM:
        found = shutil.which(name)
        if found:
            return BrowserChoice("path", executable_path=found)
    raise BrowserError(
        "no Chromium-family browser found: install Chromium or Chrome "
        "(Debian: apt-get install chromium), or set PUBLISH_RUNNER_BROWSER to its path"
    )


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def launch_args(*, headless: bool, extra: tuple[str, ...] = ()) -> list[str]:
    args = [*CLOSED_NETWORK_ARGS, *UNDETECTED_ARGS, *extra]
    if is_root():
        args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root.
    if headless:
        args.append("--disable-gpu")
    return args


def _launch_options(choice: BrowserChoice, headless: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "headless": headless,
        "args": launch_args(headless=headless),
        "ignore_default_args": IGNORED_DEFAULT_ARGS,
    }
    if choice.kind == "channel":
        options["channel"] = choice.channel
    elif choice.kind == "path":
        options["executable_path"] = choice.executable_path
    return options


async def launch(pw: Playwright, choice: BrowserChoice, *, headless: bool = True) -> Browser:
    """Launch a browser for throwaway contexts (sandbox, replay, tests)."""
    try:
        return await pw.chromium.launch(**_launch_options(choice, headless))
    except Exception as exc:  # Playwright raises its own Error for every launch problem.
        raise BrowserError(f"could not start {choice.describe()}: {exc}") from exc


async def launch_persistent(
    pw: Playwright,
    choice: BrowserChoice,
    user_data_dir: Path,
    *,
    headless: bool = False,
    **context_options: Any,
) -> BrowserContext:
    """Open a logged-in profile. A profile cannot be opened by two browsers at once."""
    user_data_dir.mkdir(parents=True, exist_ok=True)
    options = _launch_options(choice, headless)
    options.update(context_options)
    try:
        return await pw.chromium.launch_persistent_context(str(user_data_dir), **options)
    except Exception as exc:
        raise BrowserError(
            f"could not open profile {user_data_dir} in {choice.describe()}: {exc}"
        ) from exc


# A viewport that keeps proofs legible and looks like a laptop window.
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


@contextlib.asynccontextmanager
async def open_page(pw: Playwright, choice: BrowserChoice, *, profile: Path | None,
                    headless: bool, cookies: list[Any] | None = None) -> AsyncIterator[Page]:
    """One page for a one-off run (publish, capture): in a logged-in profile, or in a fresh
    context given `cookies`; everything it opened is closed afterwards."""
    owned: Browser | None = None
    if profile is not None:
        context = await launch_persistent(pw, choice, profile, headless=headless,
                                          viewport=VIEWPORT)
    else:
        owned = await launch(pw, choice, headless=headless)
        context = await owned.new_context(viewport=VIEWPORT)
    try:
        if cookies:
            await context.add_cookies(cookies)
        yield context.pages[0] if context.pages else await context.new_page()
    finally:
        await context.close()
        if owned is not None:
            await owned.close()


def has_display() -> bool:
    """Whether a headed window can open (Linux needs X11 or Wayland)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def resolve_headless(headless: bool | None) -> bool:
    """Headed is the default for operators; without a display we must run headless."""
    if headless is None:
        headless = False
    if not headless and not has_display():
        log.info("no display found: running the browser headless")
        return True
    return headless
