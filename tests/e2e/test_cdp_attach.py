"""`publish-runner run --cdp-url`: the daemon attaches to a Chromium the operator started
with a dedicated profile and a remote-debugging port, publishes on the sandbox in a tab of
its own, and leaves the operator's browser and tabs as they were."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.browser import CLOSED_NETWORK_ARGS, discover, is_root
from tests.e2e.conftest import ROOT, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@dataclass
class OperatorBrowser:
    proc: subprocess.Popen[bytes]
    profile: Path
    port: int

    @property
    def cdp_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tabs(self) -> list[dict[str, Any]]:
        listed = httpx.get(f"{self.cdp_url}/json/list", timeout=5).json()
        return [t for t in listed if t.get("type") == "page"]


def _executable() -> str:
    choice = discover(None)
    found = choice.executable_path or shutil.which("chromium") or shutil.which("chrome")
    if found is None:
        pytest.skip(f"needs a Chromium executable to start by hand ({choice.describe()})")
    return found


@pytest.fixture
def operator_browser(tmp_path: Path) -> Iterator[OperatorBrowser]:
    """Chromium as an operator starts it: its own profile, a debugging port chosen by the
    browser (0), the closed-network flags; headless here only because a test has no screen."""
    profile = tmp_path / "operator-profile"
    args = [_executable(), f"--user-data-dir={profile}", "--remote-debugging-port=0",
            "--headless=new", *CLOSED_NETWORK_ARGS, "about:blank"]
    if is_root():
        args.insert(1, "--no-sandbox")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    active = profile / "DevToolsActivePort"
    try:
        wait_until(lambda: active.exists() and active.read_text().strip(), 30,
                   "DevToolsActivePort")
        port = int(active.read_text().splitlines()[0])
        yield OperatorBrowser(proc, profile, port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def operator_logs_in_and_opens_a_tab(browser: OperatorBrowser, cookie: dict[str, Any],
                                     url: str) -> None:
    """What the operator did by hand: logged in to the sandbox, left a tab open."""
    from runner.browser import start_playwright

    async def go() -> None:
        async with start_playwright() as pw:
            attached = await pw.chromium.connect_over_cdp(browser.cdp_url)
            context = attached.contexts[0]
            await context.add_cookies([cookie])
            page = await context.new_page()
            await page.goto(url)

    asyncio.run(go())


def test_run_attaches_publishes_and_leaves_the_operators_browser_open(
        tmp_path: Path, sandbox: Any, operator_browser: OperatorBrowser) -> None:
    mine = f"{sandbox.url}/u/main"
    operator_logs_in_and_opens_a_tab(operator_browser, sandbox.state.login_cookie("main"),
                                     mine)
    before = {t["id"]: t["url"] for t in operator_browser.tabs()}
    assert mine in before.values()

    home = tmp_path / "home"
    env = {**os.environ, "PUBLISH_RUNNER_HOME": str(home),
           "PUBLISH_RUNNER_CONFIG": str(tmp_path / "none.yaml"),
           "PUBLISH_RUNNER_HEARTBEAT_S": "1", "PUBLISH_RUNNER_KEEPALIVE_S": "1"}
    log_file = tmp_path / "daemon.log"
    with log_file.open("w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "runner", "--log-format", "json", "run",
             "--cdp-url", operator_browser.cdp_url, "--account", "sandbox/main",
             "--base-url", f"sandbox={sandbox.url}", "--min-gap", "0",
             "--device-name", "operator-chrome"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert daemon.stdout is not None
        lines: dict[str, str] = {}
        while len(lines) < 2:  # the embedded server says where it is, and its token
            line = daemon.stdout.readline()
            assert line, f"daemon exited: {log_file.read_text()}"
            key, _, value = line.strip().partition(": ")
            if key in ("embedded server", "operator token"):
                lines[key] = value
        api = httpx.Client(base_url=lines["embedded server"], timeout=30,
                           headers={"Authorization": f"Bearer {lines['operator token']}"})
        post = api.post("/api/posts", json={
            "text": "Published through the operator's own Chrome", "media": [],
            "confirmMode": "auto", "targets": [{"platform": "sandbox", "account": "main"}]})
        assert post.status_code == 201, post.text
        post_id = post.json()["id"]
        for action in ("submit", "approve"):
            assert api.post(f"/api/posts/{post_id}/{action}").is_success
        scheduled = api.post(f"/api/posts/{post_id}/schedule",
                             json={"scheduledAt": "2020-01-01T00:00:00+00:00"}).json()
        job_id = scheduled["jobs"][0]["id"]

        def finished() -> dict[str, Any] | None:
            job: dict[str, Any] = api.get(f"/api/publishing/jobs/{job_id}").json()
            return job if job["status"] in ("SUCCEEDED", "FAILED", "NEEDS_LOGIN") else None

        job = wait_until(finished, 90, "the job to finish")
        assert job["status"] == "SUCCEEDED", log_file.read_text()
        assert [p.text for p in sandbox.state.posts("main")] == [
            "Published through the operator's own Chrome"]
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=60)
    assert code == 0, log_file.read_text()

    # The operator's browser is still running, with the tabs it had.
    assert operator_browser.proc.poll() is None, "the daemon closed the operator's browser"
    after = {t["id"]: t["url"] for t in operator_browser.tabs()}
    assert before.items() <= after.items(), (before, after)
    assert json.dumps(after).count("/compose") == 0, after  # its own tab is closed again
