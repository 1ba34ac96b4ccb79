"""The launch flags (issue 15): no `--no-sandbox` infobar where it can be avoided, no
Translate bubble on an Arabic profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runner.browser import flags
from runner.browser.discovery import BrowserChoice


def test_not_root_keeps_the_sandbox_and_adds_no_infobar_flags() -> None:
    args = flags.launch_args(headless=False, root=False)
    assert "--no-sandbox" not in args
    assert "--test-type" not in args


def test_root_headed_disables_the_sandbox_and_hides_its_infobar() -> None:
    args = flags.launch_args(headless=False, root=True)
    assert "--no-sandbox" in args
    assert "--test-type" in args  # what keeps "unsupported command-line flag" off the window
    assert "--disable-gpu" not in args


def test_root_headless_needs_no_infobar_flag() -> None:
    args = flags.launch_args(headless=True, root=True)
    assert "--no-sandbox" in args and "--disable-gpu" in args
    assert "--test-type" not in args


def test_playwright_is_asked_for_the_sandbox_unless_root(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    choice = BrowserChoice(kind="path", executable_path="/usr/bin/chromium")
    monkeypatch.setattr(flags, "is_root", lambda: False)
    options = flags.launch_options(choice, headless=False)
    assert options["chromium_sandbox"] is True and "--no-sandbox" not in options["args"]
    monkeypatch.setattr(flags, "is_root", lambda: True)
    options = flags.launch_options(choice, headless=False)
    assert options["chromium_sandbox"] is False and "--no-sandbox" in options["args"]


def test_quiet_profile_turns_translate_off_and_keeps_the_rest(tmp_path: Path) -> None:
    prefs = tmp_path / "Default" / "Preferences"
    prefs.parent.mkdir(parents=True)
    prefs.write_text(json.dumps({"intl": {"accept_languages": "ar,en"},
                                 "translate": {"enabled": True, "other": 1}}))
    flags.quiet_profile(tmp_path)
    got = json.loads(prefs.read_text())
    assert got["translate"] == {"enabled": False, "other": 1}
    assert got["intl"] == {"accept_languages": "ar,en"}


def test_quiet_profile_on_a_new_profile(tmp_path: Path) -> None:
    flags.quiet_profile(tmp_path / "new")
    got = json.loads((tmp_path / "new" / "Default" / "Preferences").read_text())
    assert got["translate"]["enabled"] is False


def test_quiet_profile_leaves_an_unreadable_file(tmp_path: Path) -> None:
    prefs = tmp_path / "Default" / "Preferences"
    prefs.parent.mkdir(parents=True)
    prefs.write_text("{not json")
    flags.quiet_profile(tmp_path)
    assert prefs.read_text() == "{not json"


def test_a_machine_without_a_sandbox_gets_the_launch_without_it() -> None:
    choice = BrowserChoice(kind="path", executable_path="/usr/bin/chromium")
    options = {**flags.launch_options(choice, headless=False), "chromium_sandbox": True}
    options["args"] = [a for a in options["args"] if a not in ("--no-sandbox", "--test-type")]
    refused = RuntimeError("No usable sandbox! If you are running on Ubuntu 23.10+ ...")
    assert flags.sandbox_refused(options, refused)
    assert not flags.sandbox_refused(options, RuntimeError("executable doesn't exist"))
    assert not flags.sandbox_refused({**options, "chromium_sandbox": False}, refused)
    fallback = flags.without_sandbox(options)
    assert fallback["chromium_sandbox"] is False
    assert fallback["args"].count("--no-sandbox") == 1 and "--test-type" in fallback["args"]
    headless = flags.without_sandbox({**options, "headless": True})
    assert "--test-type" not in headless["args"]
