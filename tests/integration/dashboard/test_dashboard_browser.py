"""The dashboard in a real Chromium: sign-in form, live status without a reload, proofs as
images, both languages (screenshots kept), a phone's width, and no console errors."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.integration.dashboard.dashboard_helpers import (  # noqa: F401 (fixtures)
    APP,
    OPERATOR,
    Dash,
    dash_factory_fixture,
    dash_fixture,
    png,
)

pytestmark = pytest.mark.browser


def artifacts() -> Path:
    """Where screenshots are kept after the test (see docs/dashboard.md, Tests)."""
    folder = Path(os.environ.get("PUBLISH_RUNNER_ARTIFACTS")
                  or Path(tempfile.gettempdir()) / "publish-runner-artifacts") / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class Console:
    """Every console error and uncaught page error, so a test can insist on none."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


async def signed_in_page(browser: Any, dash: Dash, viewport: dict[str, int],
                         start: str = f"{APP}/jobs") -> tuple[Any, Any, Console]:
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    console = Console(page)
    await page.goto(dash.url + start)
    assert page.url.startswith(f"{dash.url}{APP}/login?next=")  # refused without a session
    await page.fill("#token", OPERATOR)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(dash.url + start)
    return context, page, console


@pytest.mark.asyncio
async def test_job_status_and_proofs_update_live_without_a_reload(browser: Any,
                                                                 dash: Dash) -> None:
    device = dash.device()
    (job,) = dash.post(confirm="manual")["jobs"]

    context, page, console = await signed_in_page(browser, dash, DESKTOP,
                                                  f"{APP}/jobs/{job['id']}")
    badge = f'h1 [data-job-id="{job["id"]}"]'
    assert await page.get_attribute(badge, "data-job-status") == "QUEUED"
    await page.evaluate("window.__sameDocument = true")
    lease, run_id = device.run(job["id"])
    proof = device.proof(job["id"], lease, run_id, "before_confirm", png("navy"))
    device.ok(f"/api/publishing/jobs/{job['id']}/awaiting-confirm",
              json={"leaseToken": lease, "runId": run_id, "proofAssetId": proof})
    await page.wait_for_selector('#confirm-box img#before-confirm-proof')
    assert await page.evaluate(
        "document.querySelector('#before-confirm-proof').naturalWidth") == 64
    await page.click("#approve-job")
    await page.wait_for_selector("text=Confirmed: the device publishes now.")
    await page.evaluate("window.__sameDocument = true")
    after = device.proof(job["id"], lease, run_id, "after_publish", png("green"))
    device.complete(job["id"], lease, run_id, "SUCCEEDED", proofAssetIds=[after])
    await page.wait_for_selector(f'{badge}[data-job-status="SUCCEEDED"]')
    await page.wait_for_selector('img[data-proof-kind="after_publish"]')
    assert await page.evaluate("window.__sameDocument") is True  # no reload happened
    widths = await page.eval_on_selector_all(
        "img.proof", "imgs => imgs.map(i => i.complete && i.naturalWidth)")
    assert widths == [64, 64]
    assert console.errors == []
    await context.close()



@pytest.mark.asyncio
async def test_both_languages_render_on_a_phone(browser: Any, dash: Dash,
                                                tmp_path: Path) -> None:
    device = dash.device(name="هاتف الاستوديو")
    device.login(False)
    (failed,) = dash.post()["jobs"]
    lease, run_id = device.run(failed["id"])
    device.complete(failed["id"], lease, run_id, "NEEDS_LOGIN", errorMessage="login page")
    dash.post(platform="x", account="second", schedule=True)

    context, page, console = await signed_in_page(browser, dash, PHONE)
    for lang, words in (("en", "Needs login"), ("ar", "يحتاج تسجيل دخول")):
        await page.goto(f"{dash.url}{APP}/lang/{lang}?next={APP}/jobs")
        assert await page.get_attribute("html", "lang") == lang
        assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        assert words in await page.inner_text("table.jobs")
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0  # the page itself never scrolls sideways; tables do
        await page.screenshot(path=str(tmp_path / f"jobs-phone-{lang}.png"), full_page=True)
        for name in ("posts", "devices", "audit", f"jobs/{failed['id']}"):
            await page.goto(f"{dash.url}{APP}/{name}")
            assert await page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth") <= 0, name
        await page.goto(f"{dash.url}{APP}/devices")
        assert words in await page.inner_text(".device")
        await page.screenshot(path=str(tmp_path / f"devices-phone-{lang}.png"),
                              full_page=True)
    assert console.errors == []
    await context.close()

    for lang in ("en", "ar"):
        assert (tmp_path / f"jobs-phone-{lang}.png").stat().st_size > 0
    kept = artifacts()
    for shot in tmp_path.glob("*-phone-*.png"):
        shutil.copy(shot, kept / f"browser-{shot.name}")
