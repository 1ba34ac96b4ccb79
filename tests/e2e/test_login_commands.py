"""`publish-runner login` and `check-login` as an operator runs them, against the sandbox.

The login test is driven the way a person does it: a headed Chromium on a real X display
(Xvfb), keystrokes sent to its window by xdotool (the X server delivers them to whatever has
the focus, so a check that stole the focus or reloaded the tab would lose them), then the
logged-in profile is used by a fresh browser and by the daemon.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, DaemonProcess, ServerProcess, seed_profile, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

needs_x = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="needs Xvfb and xdotool (Debian: apt-get install xvfb xdotool)")


def cli_env(home: Path, display: str | None) -> dict[str, str]:
    env = {**os.environ, "PUBLISH_RUNNER_HOME": str(home),
           "PUBLISH_RUNNER_CONFIG": str(home / "none.yaml")}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    if display is not None:
        env["DISPLAY"] = display
    return env


def cli(home: Path, *args: str, display: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runner", "--log-level", "WARNING", *args],
                          cwd=ROOT, env=cli_env(home, display), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[str]:
    """A virtual X display of our own; its number is chosen by Xvfb (`-displayfd`)."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Person:
    """Keyboard input on one X display, as a person at that screen types it."""

    def __init__(self, display: str) -> None:
        self.env = {**os.environ, "DISPLAY": display}

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True,
                              text=True, timeout=30, check=False)
        return done.stdout.strip()

    def window_titled(self, text: str, timeout: float = 60) -> str:
        def find() -> str:
            found = self.xdotool("search", "--onlyvisible", "--name", text)
            return found.splitlines()[0] if found else ""
        return str(wait_until(find, timeout, f"a window titled {text!r}", every=0.3))

    def title(self, window: str) -> str:
        return self.xdotool("getwindowname", window)

    def type(self, window: str, text: str, delay_ms: int = 60) -> None:
        self.xdotool("windowfocus", "--sync", window)
        self.xdotool("type", "--delay", str(delay_ms), text)

    def key(self, window: str, *keys: str) -> None:
        self.xdotool("windowfocus", "--sync", window)
        self.xdotool("key", "--delay", "60", *keys)


@needs_x
def test_an_operator_types_a_login_and_the_daemon_publishes_for_it(
        tmp_path: Path, xvfb: str, sandbox: Any,
        server_factory: Callable[..., ServerProcess],
        daemon_factory: Callable[..., DaemonProcess]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    login = subprocess.Popen(
        [sys.executable, "-m", "runner", "--log-level", "INFO", "login", "sandbox",
         "--account", "main", "--base-url", sandbox.url, "--timeout", "120"],
        cwd=ROOT, env=cli_env(home, xvfb), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    person = Person(xvfb)

    def still_waiting() -> None:
        if login.poll() is not None:
            out, err = login.communicate()
            raise AssertionError(f"login ended early ({login.returncode}): {out}{err}")

    try:
        window = person.window_titled("Log in")
        time.sleep(3.0)  # the page is loaded and the background check has looked once
        # A typo first: the form comes back (a navigation of the operator's tab, after which
        # a login check runs in the background) and the person simply types again.
        person.type(window, "main")
        person.key(window, "Tab")
        person.type(window, "wrong")
        person.key(window, "Return")
        wait_until(lambda: "Log in" in person.title(window), 30, "the form to come back")
        time.sleep(1.5)  # the background check after that navigation has run
        still_waiting()
        # Then slowly, as people do (about 7 s): a check that reloaded a tab in front, or
        # took the focus, meanwhile would wipe or swallow what is typed.
        person.key(window, "ctrl+a")  # the username field has the focus again (autofocus)
        person.type(window, "main", delay_ms=500)
        time.sleep(1.5)
        person.key(window, "Tab")
        person.type(window, "main", delay_ms=500)
        time.sleep(1.5)
        still_waiting()
        person.key(window, "Return")
        out, err = login.communicate(timeout=60)
    finally:
        if login.poll() is None:
            login.kill()
            login.communicate()
    assert login.returncode == 0, err
    assert out.strip().splitlines()[-1] == "logged in", out + err

    # The login outlives the browser: a fresh headless browser on the profile is logged in.
    checked = cli(home, "check-login", "--account", "sandbox/main", "--base-url",
                  f"sandbox={sandbox.url}", "--headless")
    assert checked.stdout.split() == ["sandbox/main", "logged", "in"], checked.stderr

    # And the daemon publishes with it.
    server = server_factory()
    daemon = daemon_factory(server, logged_in=False)
    assert daemon.profile == home / "profiles" / "sandbox" / "main"
    post = server.publish("Typed in by a person, published by the daemon")
    job = server.wait_job(post["jobs"][0]["id"], "SUCCEEDED", "FAILED", "NEEDS_LOGIN")
    assert job["status"] == "SUCCEEDED", daemon.all_logs()
    assert [p.text for p in sandbox.state.posts("main")] == [
        "Typed in by a person, published by the daemon"]


@needs_x
def test_login_waits_until_the_login_check_passes(tmp_path: Path, sandbox: Any, xvfb: str) -> None:
    profile = tmp_path / "profiles" / "sandbox" / "main"
    timed_out = cli(tmp_path, "login", "sandbox", "--account", "main",
                    "--base-url", sandbox.url, "--timeout", "3", display=xvfb)
    assert timed_out.returncode == 1, timed_out.stderr
    assert "not logged in" in timed_out.stdout
    seed_profile(profile, sandbox.state.login_cookie("main"))  # logged in elsewhere
    done = cli(tmp_path, "login", "sandbox", "--account", "main", "--base-url", sandbox.url,
               display=xvfb)
    assert done.returncode == 0, done.stderr
    assert "logged in" in done.stdout


def test_login_without_a_display_says_so_at_once(tmp_path: Path, sandbox: Any) -> None:
    started = time.monotonic()
    result = cli(tmp_path, "login", "sandbox", "--base-url", sandbox.url, display=None)
    assert result.returncode == 2
    assert "needs a display" in result.stderr and "--cdp-url" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 30  # no 15-minute wait


def test_check_login_reports_every_profile(tmp_path: Path, sandbox: Any) -> None:
    seed_profile(tmp_path / "profiles" / "sandbox" / "main",
                 sandbox.state.login_cookie("main"))
    result = cli(tmp_path, "check-login", "--account", "sandbox/main",
                 "--account", "sandbox/arabic", "--base-url", f"sandbox={sandbox.url}",
                 "--headless")
    assert result.returncode == 1  # one profile needs a login
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines == {"sandbox/main": "logged in", "sandbox/arabic": "NEEDS LOGIN"}
