"""Launch flags and window facts: what every browser we start is told."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
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


# Profile preferences every profile we open gets: no Translate bubble over an Arabic (or any
# foreign-language) page, which would cover the composer in the operator's window and proofs.
PROFILE_PREFERENCES: dict[str, Any] = {"translate": {"enabled": False}}


def launch_args(*, headless: bool, extra: tuple[str, ...] = (), root: bool | None = None
                ) -> list[str]:
    """Our flags. `--no-sandbox` only as root (Chromium refuses its sandbox there); headed,
    `--test-type` then keeps the "unsupported command-line flag" infobar off the window."""
    args = [*CLOSED_NETWORK_ARGS, *UNDETECTED_ARGS, *extra]
    if is_root() if root is None else root:
        args.append("--no-sandbox")
        if not headless:
            args.append("--test-type")
    if headless:
        args.append("--disable-gpu")
    return args


def launch_options(choice: BrowserChoice, headless: bool) -> dict[str, Any]:
    """Keyword arguments for Playwright's `launch` and `launch_persistent_context`."""
    root = is_root()
    options: dict[str, Any] = {
        "headless": headless,
        "args": launch_args(headless=headless, root=root),
        "ignore_default_args": IGNORED_DEFAULT_ARGS,
        # Playwright adds `--no-sandbox` unless told the sandbox is wanted; it is, except as
        # root (where `launch_args` adds the flag itself).
        "chromium_sandbox": not root,
    }
    if choice.kind == "channel":
        options["channel"] = choice.channel
    elif choice.kind == "path":
        options["executable_path"] = choice.executable_path
    return options


def sandbox_refused(options: dict[str, Any], error: BaseException) -> bool:
    """Whether a launch that asked for Chromium's sandbox failed because the machine cannot
    give it one (Ubuntu 23.10+ restricts the user namespaces it needs for browsers it does
    not know, such as Playwright's own Chromium): then it is started without, as Playwright
    does by default."""
    return bool(options.get("chromium_sandbox")) and "sandbox" in str(error).lower()


def without_sandbox(options: dict[str, Any]) -> dict[str, Any]:
    """The same launch without the sandbox (and, headed, without its infobar)."""
    args = [a for a in options.get("args", []) if a not in ("--no-sandbox", "--test-type")]
    args.append("--no-sandbox")
    if not options.get("headless"):
        args.append("--test-type")
    return {**options, "chromium_sandbox": False, "args": args}


def quiet_profile(user_data_dir: Path) -> None:
    """Merge `PROFILE_PREFERENCES` into a profile's preferences before it opens (a profile the
    operator already uses keeps everything else). An unreadable file is left alone."""
    path = user_data_dir / "Default" / "Preferences"
    try:
        prefs = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        log.warning("cannot read %s: translation prompts stay as they are", path)
        return
    if not isinstance(prefs, dict):
        return
    changed = False
    for section, values in PROFILE_PREFERENCES.items():
        current = prefs.setdefault(section, {})
        if not isinstance(current, dict):
            continue
        for key, value in values.items():
            if current.get(key) != value:
                current[key] = value
                changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(prefs), encoding="utf-8")


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


__all__ = ["CLOSED_NETWORK_ARGS", "IGNORED_DEFAULT_ARGS", "PROFILE_PREFERENCES",
           "UNDETECTED_ARGS", "VIEWPORT", "has_display", "is_root", "launch_args",
           "launch_options", "quiet_profile", "resolve_headless", "sandbox_refused",
           "without_sandbox"]
