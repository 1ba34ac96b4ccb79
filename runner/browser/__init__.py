"""The browser seam: Playwright's start, browser discovery, launch flags and profiles.

Nothing else in publish-runner starts Playwright (`host.py` does) or picks launch options; it
asks here and talks to the Playwright objects it gets back.

- `start_playwright()` / `BrowserHost` — the driver (`host.py`)
- `discover(preference)` → `BrowserChoice` (`discovery.py`)
- `launch_args`, `VIEWPORT`, `resolve_headless` (`flags.py`)
- `launch`, `launch_persistent`, `open_page`, `seed_cookies` (`launch.py`)
"""

from runner.browser.discovery import CHANNEL_PATHS, SYSTEM_CHROMIUM, BrowserChoice, discover
from runner.browser.flags import (
    CLOSED_NETWORK_ARGS,
    IGNORED_DEFAULT_ARGS,
    UNDETECTED_ARGS,
    VIEWPORT,
    has_display,
    is_root,
    launch_args,
    launch_options,
    resolve_headless,
)
from runner.browser.host import BrowserHost, start_playwright
from runner.browser.launch import SetCookie, launch, launch_persistent, open_page, seed_cookies

__all__ = [
    "CHANNEL_PATHS",
    "CLOSED_NETWORK_ARGS",
    "IGNORED_DEFAULT_ARGS",
    "SYSTEM_CHROMIUM",
    "UNDETECTED_ARGS",
    "VIEWPORT",
    "BrowserChoice",
    "BrowserHost",
    "SetCookie",
    "discover",
    "has_display",
    "is_root",
    "launch",
    "launch_args",
    "launch_options",
    "launch_persistent",
    "open_page",
    "resolve_headless",
    "seed_cookies",
    "start_playwright",
]
