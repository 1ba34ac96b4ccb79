"""Launch flags and window facts: what every browser we start is told."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

    from runner.browser.discovery import BrowserChoice

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

# A viewport that keeps proofs legible and looks like a laptop window.
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def launch_args(*, headless: bool, extra: tuple[str, ...] = ()) -> list[str]:
    args = [*CLOSED_NETWORK_ARGS, *UNDETECTED_ARGS, *extra]
    if is_root():
        args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root.
    if headless:
        args.append("--disable-gpu")
    return args


def launch_options(choice: BrowserChoice, headless: bool) -> dict[str, Any]:
    """Keyword arguments for Playwright's `launch` and `launch_persistent_context`."""
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


__all__ = ["CLOSED_NETWORK_ARGS", "IGNORED_DEFAULT_ARGS", "UNDETECTED_ARGS", "VIEWPORT",
           "has_display", "is_root", "launch_args", "launch_options", "resolve_headless"]
