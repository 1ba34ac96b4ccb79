"""Finding a Chromium-family browser.

Order of discovery, unless a setting names one: Playwright's own Chromium, an installed
Chrome or Edge (Playwright channels), then the system Chromium.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from common.errors import BrowserError

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


__all__ = ["CHANNEL_PATHS", "SYSTEM_CHROMIUM", "BrowserChoice", "discover"]
