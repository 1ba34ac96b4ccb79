"""The operator dashboard with the real server and daemon processes: everything an operator
does from /app/publishing, clicked in a real Chromium, with the daemon publishing to the
sandbox behind it."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import OPERATOR, ServerProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

APP = "/app/publishing"
LIVE = 90_000  # ms the page may take to show a job's next status (the daemon publishes)


class Console:
    """Console errors and uncaught page errors; a test ends by insisting there were none."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


async def sign_in(browser: Any, server: ServerProcess) -> tuple[Any, Any, Console]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        accept_downloads=True)
    page = await context.new_page()
    console = Console(page)
    await page.goto(server.url + APP)
    assert f"{APP}/login" in page.url  # no session: the sign-in page
    await page.fill("#token", OPERATOR)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server.url}{APP}/jobs")
    return context, page, console


async def wait_status(page: Any, job_id: str, status: str) -> None:
    """The job page's badge changes by itself (polling), so no reload here."""
    await page.wait_for_selector(f'h1 [data-job-id="{job_id}"][data-job-status="{status}"]',
                                 timeout=LIVE)


async def image_widths(page: Any, selector: str) -> list[int]:
    widths: list[int] = await page.eval_on_selector_all(
        selector, "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    return widths


@pytest.mark.asyncio
async def test_create_schedule_publish_with_proofs_bundle_device_check_and_languages(
        server_factory: Callable[..., ServerProcess], daemon_factory: Any, sandbox: Any,
        browser: Any, image_file: Callable[..., Path], tmp_path: Path) -> None:
    server = server_factory()
    await asyncio.to_thread(daemon_factory, server)  # it seeds a profile with asyncio.run
    photo = image_file("photo.png", "orange")
    (device,) = server.api("GET", "/api/devices")
    checked = {x["checkedAt"] for x in device["loginStatus"]}

    context, page, console = await sign_in(browser, server)
    # Create a post with media ...
    await page.click("#nav-posts")
    await page.fill("#text", "From the dashboard 👋 من لوحة التحكم")
    await page.check('input[name=target][value="sandbox/main"]')
    await page.set_input_files("#media", str(photo))
    await page.click("#create-post")
    await page.wait_for_selector("text=Post created. Schedule it below.")
    # ... schedule it now, and follow its job to SUCCEEDED without reloading.
    await page.click("#schedule")
    await page.wait_for_selector("text=Scheduled.")
    await page.click("table.jobs a.job-link")
    job_id = page.url.rsplit("/", 1)[1]
    await page.evaluate("window.__sameDocument = true")
    await wait_status(page, job_id, "SUCCEEDED")
    assert await page.evaluate("window.__sameDocument") is True
    await page.wait_for_selector('img[data-proof-kind="after_publish"]')
    kinds = await page.eval_on_selector_all(
        "img.proof", "imgs => imgs.map(i => i.dataset.proofKind)")
    assert set(kinds) == {"before_confirm", "after_publish"}
    await page.wait_for_function(
        "[...document.querySelectorAll('img.proof')].every(i => i.complete)")
    assert all(w > 0 for w in await image_widths(page, "img.proof"))
    assert (await page.get_attribute("#post-url", "href") or "").startswith(
        sandbox.url + "/p/")
    await page.screenshot(path=str(tmp_path / "job-en.png"), full_page=True)
    # The escalation bundle for that job.
    async with page.expect_download() as info:
        await page.click("#bundle")
    download = await info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(str(saved))
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as z:
        summary = json.loads(z.read("summary.json"))
        assert summary["jobId"] == job_id and summary["status"] == "SUCCEEDED"
        assert summary["deviceIds"] == [device["id"]] and summary["postId"]
        proofs = [n for n in z.namelist() if "/proof-" in n]
        assert {n.split("/proof-")[1].split("-")[0] for n in proofs} == {
            "before_confirm", "after_publish"}
        (log,) = [n for n in z.namelist() if n.endswith("logs.txt")]
        assert " publish/" in z.read(log).decode()
    # The device: online, logged in; "check status" makes it check its logins again.
    await page.click("#nav-devices")
    card = f'#device-{device["id"]}'
    assert await page.get_attribute(card, "data-device-status") == "ONLINE"
    assert "logged in" in await page.inner_text(f'{card} [data-login="sandbox/main"]')
    await page.click(f"{card} button.check-login")
    await page.wait_for_selector("text=The device checks its logins at its next heartbeat.")
    wait_until(lambda: {x["checkedAt"] for x in server.api("GET", "/api/devices")[0][
        "loginStatus"]} - checked, 30, "the device to report its logins again")
    # Arabic, right to left, with the labels the extension uses.
    await page.click("#lang-ar")
    await page.wait_for_selector('html[lang="ar"][dir="rtl"]')
    assert "🔄 فحص الحالة" in await page.inner_text(card)
    await page.goto(f"{server.url}{APP}/jobs/{job_id}")
    assert "تم النشر" in await page.inner_text("h1")
    await page.screenshot(path=str(tmp_path / "job-ar.png"), full_page=True)
    await page.goto(f"{server.url}{APP}/lang/en?next={APP}/jobs")
    assert await page.get_attribute("html", "dir") == "ltr"
    # Signing out: the pages refuse again.
    await page.click("header form button")
    await page.wait_for_url(f"{server.url}{APP}/login")
    await page.goto(f"{server.url}{APP}/jobs/{job_id}")
    assert f"{APP}/login?next=" in page.url
    assert console.errors == []
    await context.close()

    assert len(sandbox.state.posts("main")) == 1
    kept = Path(os.environ.get("PUBLISH_RUNNER_ARTIFACTS")
                or Path(tempfile.gettempdir()) / "publish-runner-artifacts") / "dashboard"
    kept.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "ar"):  # kept after the test (docs/dashboard.md, Tests)
        shutil.copy(tmp_path / f"job-{lang}.png", kept / f"e2e-job-desktop-{lang}.png")


@pytest.mark.asyncio
async def test_cancel_retry_and_confirm_from_the_dashboard(
        server_factory: Callable[..., ServerProcess], daemon_factory: Any, sandbox: Any,
        browser: Any) -> None:
    server = server_factory()
    await asyncio.to_thread(daemon_factory, server)  # it seeds a profile with asyncio.run
    later = datetime.now(timezone.utc) + timedelta(hours=1)

    context, page, console = await sign_in(browser, server)
    # Cancel a job scheduled for later.
    (waiting,) = server.publish("for later", at=later)["jobs"]
    await page.goto(f"{server.url}{APP}/jobs/{waiting['id']}")
    await page.click("#cancel-job")
    await wait_status(page, waiting["id"], "CANCELLED")
    assert server.job(waiting["id"])["status"] == "CANCELLED"
    # A job that failed on a changed page: retry it once the page is fixed.
    sandbox.state.set_faults("main", "redesign_broken")
    (broken,) = server.publish("after a fix")["jobs"]
    await page.goto(f"{server.url}{APP}/jobs/{broken['id']}")
    await wait_status(page, broken["id"], "FAILED")
    assert "Composer textarea not found" in await page.inner_text("#job-error")
    await page.wait_for_selector('img[data-proof-kind="on_failure"]')
    sandbox.state.set_faults("main")
    await page.click("#retry-job")
    await wait_status(page, broken["id"], "SUCCEEDED")
    # A manual confirm: the before-confirm proof is shown next to the buttons.
    (manual,) = server.publish("only after I look", confirm="manual")["jobs"]
    await page.goto(f"{server.url}{APP}/jobs/{manual['id']}")
    await page.wait_for_selector("#confirm-box #before-confirm-proof", timeout=LIVE)
    await page.wait_for_function(
        "document.querySelector('#before-confirm-proof').naturalWidth > 0")
    assert sandbox.state.posts("main") and len(sandbox.state.posts("main")) == 1
    await page.click("#approve-job")
    await wait_status(page, manual["id"], "SUCCEEDED")
    # The jobs page lists all three, the failed-then-retried one no longer failed.
    await page.click("#nav-jobs")
    for job, status in ((waiting, "CANCELLED"), (broken, "SUCCEEDED"),
                        (manual, "SUCCEEDED")):
        assert await page.get_attribute(
            f'tr[data-job-row="{job["id"]}"] [data-job-status]', "data-job-status") == status
    assert console.errors == []
    await context.close()

    assert sorted(p.text for p in sandbox.state.posts("main")) == [
        "after a fix", "only after I look"]
