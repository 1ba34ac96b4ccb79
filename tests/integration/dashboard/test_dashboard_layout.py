"""The dashboard reads right at a desktop's and a phone's width in English and Arabic (issue 15),
in a real Chromium: the step log stays in its box, Latin data in Arabic pages is isolated, the
run arrow points the reading way, no half-translated labels, the devices page keeps badges and
times apart, the confirm gate shows a readable proof beside the post's text, the job page
starts with the post's text and URL, the audit log pages and reads as key/value, and a job
whose account no device is logged in to says so.

Screenshots are kept in `$PUBLISH_RUNNER_ARTIFACTS/dashboard` (default: the system temp
folder's `publish-runner-artifacts/dashboard`), one per page, width and language.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.integration.dashboard.dashboard_helpers import (  # noqa: F401 (fixtures)
    APP,
    OPERATOR,
    UNISOLATED_JS,
    Dash,
    dash_factory_fixture,
    dash_fixture,
)

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LONG = ("selector 'div[data-testid=\"tweetTextarea_0\"]' not found after 15000 ms on "
        "https://x.com/compose/post?draft=very-long-query-string-that-does-not-break")


def artifacts() -> Path:
    root = Path(os.environ.get("PUBLISH_RUNNER_ARTIFACTS")
                or Path(tempfile.gettempdir()) / "publish-runner-artifacts")
    folder = root / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def big_png(color: str) -> bytes:
    """A proof the size the daemon takes (1280x800), with text-like stripes."""
    image = Image.new("RGB", (1280, 800), "white")
    for y in range(40, 760, 40):
        image.paste(Image.new("RGB", (900, 12), color), (60, y))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


# Boxes of the step log's cells that leave the viewport.
LOG_OUTSIDE_JS = """() => [...document.querySelectorAll('table.logs td')]
  .map(td => td.getBoundingClientRect())
  .filter(r => r.width > 0 && (r.left < -0.5 || r.right > window.innerWidth + 0.5))
  .map(r => [Math.round(r.left), Math.round(r.right)])"""

BOX_JS = """sel => { const r = document.querySelector(sel).getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; }"""


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5
            and a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5)


def seed(dash: Dash) -> dict[str, str]:
    """A failed job with a long step log, a job at the confirm gate, a published one, a job
    waiting for a login no device has, and more audit entries than one page holds."""
    device = dash.device(name="هاتف الاستوديو")
    device.login(False)
    (failed,) = dash.post()["jobs"]
    lease, run_id = device.run(failed["id"])
    events = [{"seq": 10 + i, "at": "2026-12-01T10:00:00+00:00", "phase": "compose",
               "step": f"step-{i}", "level": "error" if i == 2 else "info",
               "message": LONG if i % 2 else "كتبت النص في مربع الإنشاء ثم انتظرت الزر"}
              for i in range(4)]
    device.ok(f"/api/publishing/jobs/{failed['id']}/events",
              json={"leaseToken": lease, "runId": run_id, "events": events})
    device.complete(failed["id"], lease, run_id, "NEEDS_LOGIN", errorCode="NEEDS_LOGIN",
                    errorMessage=LONG)
    device.login(True)  # requeued: a later run will publish it
    lease, run_id = device.run(failed["id"])
    device.complete(failed["id"], lease, run_id, "FAILED", errorCode="SELECTOR_NOT_FOUND",
                    errorMessage=LONG)

    text = "Launch day 🚀 يوم الإطلاق — https://example.com/launch #news"
    post = dash.api.post("/api/posts", json={
        "text": text, "confirmMode": "manual",
        "targets": [{"platform": "x", "account": "main"}]}).json()
    for step in ("submit", "approve"):
        dash.api.post(f"/api/posts/{post['id']}/{step}")
    (gate,) = dash.api.post(f"/api/posts/{post['id']}/schedule",
                            json={"scheduledAt": "2026-01-01T00:00:00+00:00"}).json()["jobs"]
    lease, run_id = device.run(gate["id"])
    proof = device.proof(gate["id"], lease, run_id, "before_confirm", big_png("navy"))
    device.ok(f"/api/publishing/jobs/{gate['id']}/awaiting-confirm",
              json={"leaseToken": lease, "runId": run_id, "proofAssetId": proof})

    (orphan,) = dash.post(account="brand")["jobs"]  # no device carries x/brand
    for _ in range(60):
        dash.api.post(f"/api/devices/{device.id}/check-login")
    return {"failed": failed["id"], "gate": gate["id"], "orphan": orphan["id"], "text": text,
            "device": device.id}


async def sign_in(browser: Any, dash: Dash, viewport: dict[str, int]) -> tuple[Any, Any]:
    context = await browser.new_context(viewport=viewport)
    page = await context.new_page()
    await page.goto(f"{dash.url}{APP}/login")
    await page.fill("#token", OPERATOR)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{dash.url}{APP}/jobs")
    return context, page


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.asyncio
async def test_pages_read_right_in_both_languages(browser: Any, dash: Dash,
                                                  size: str) -> None:
    ids = seed(dash)
    shots = artifacts()
    width = SIZES[size]["width"]

    async def check_page(page: Any, lang: str, name: str, path: str) -> None:
        await page.goto(f"{dash.url}{APP}/{path}")
        assert await page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth") <= 0, (name, lang)
        if lang == "ar":
            assert await page.evaluate(UNISOLATED_JS) == [], (name, size)
        await page.screenshot(path=str(shots / f"{name}-{size}-{lang}.png"), full_page=True)

    context, page = await sign_in(browser, dash, SIZES[size])
    for lang in ("en", "ar"):
        await page.goto(f"{dash.url}{APP}/lang/{lang}?next={APP}/jobs")
        assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")

        # The failed job: the step log wraps inside the viewport, the arrow reads right.
        await check_page(page, lang, "job-failed", f"jobs/{ids['failed']}")
        await page.wait_for_selector("table.logs td.log-msg")
        assert await page.evaluate(LOG_OUTSIDE_JS) == []
        arrows = await page.locator(".run h3 .arrow").all_inner_texts()
        assert arrows and set(arrows) == {"←" if lang == "ar" else "→"}
        box = await page.evaluate(BOX_JS, "main")
        assert box["right"] <= width + 0.5 and box["left"] >= -0.5
        # The post's text comes first on the job page, above the runs.
        first = await page.evaluate(BOX_JS, "#job-post-text")
        runs = await page.evaluate(BOX_JS, ".run")
        assert first["bottom"] <= runs["top"]

        # The confirm gate: a proof at least half the card wide (or the whole phone
        # width), a link to the full image, the post's text beside (desktop) or under it.
        await check_page(page, lang, "job-confirm", f"jobs/{ids['gate']}")
        card = await page.evaluate(BOX_JS, "#confirm-box")
        proof = await page.evaluate(BOX_JS, "#before-confirm-proof")
        text = await page.evaluate(BOX_JS, "#confirm-post-text")
        assert proof["width"] >= card["width"] * (0.5 if size == "desktop" else 0.8)
        href = await page.get_attribute("#before-confirm-link", "href")
        assert href and href.startswith(f"{APP}/assets/")
        assert ids["text"] in await page.inner_text("#confirm-post-text")
        assert not overlaps(proof, text)
        if size == "desktop":
            assert text["top"] < proof["bottom"]  # beside, not under
            if lang == "ar":
                assert text["right"] <= proof["left"] + 0.5  # text on the left in rtl
            else:
                assert proof["right"] <= text["left"] + 0.5
        async with page.context.expect_page() as opened:
            await page.click("#before-confirm-proof")
        full = await opened.value
        await full.wait_for_load_state()
        assert full.url.endswith(href)
        await full.close()

        # No half-translated confirm decision; Arabic uses its own words for it.
        await page.goto(f"{dash.url}{APP}/jobs/{ids['gate']}")
        facts = await page.inner_text(".facts")
        assert "(approved)" not in facts and "(rejected)" not in facts

        # Jobs and posts pages say when no device can log in to the account.
        await check_page(page, lang, "jobs", "jobs")
        notice = page.locator(f'[data-job-row="{ids["orphan"]}"] [data-login-notice]')
        assert await notice.get_attribute("data-login-notice") == "login_none"
        await check_page(page, lang, "posts", "posts")
        assert await page.locator('[data-login-notice="login_none"]').count() >= 1

        # Devices: the name and its badge, and each login's parts, never overlap.
        await check_page(page, lang, "devices", "devices")
        card_sel = f"#device-{ids['device']}"
        assert not overlaps(await page.evaluate(BOX_JS, f"{card_sel} .device-name"),
                            await page.evaluate(BOX_JS, f"{card_sel} .badge"))
        login = f'{card_sel} [data-login="x/main"]'
        parts = [await page.evaluate(BOX_JS, f"{login} {p}")
                 for p in (".login-account", ".login-state", ".login-when")]
        assert not any(overlaps(a, b) for i, a in enumerate(parts) for b in parts[i + 1:])
        assert ("مسجّل الدخول" if lang == "ar" else "logged in") in await page.inner_text(
            f"{login} .login-state")

        # The audit log: 50 a page, older pages, key/value details without JSON escapes.
        await check_page(page, lang, "audit", "audit")
        assert await page.locator("table.audit tbody tr").count() == 50
        await page.click("#page-older")
        await page.wait_for_selector("#page-number:text('2')")
        assert await page.locator("table.audit tbody tr").count() >= 1
        await check_page(page, lang, "audit-job", f"audit?job={ids['failed']}")
        jobs = await page.locator("table.audit tbody tr td:nth-child(3)").all_inner_texts()
        assert jobs and set(jobs) == {ids["failed"]}
        assert await page.locator("dl.kv dt").count() > 0
        details = await page.locator("table.audit").inner_text()
        assert '\\"' not in details and "{" not in details
        await page.goto(f"{dash.url}{APP}/audit?action=JOB_REQUEUED_AFTER_LOGIN")
        assert await page.locator("table.audit tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.action)") == ["JOB_REQUEUED_AFTER_LOGIN"]
    await context.close()

    for name in ("job-failed", "job-confirm", "jobs", "posts", "devices", "audit", "audit-job"):
        for lang in ("en", "ar"):
            assert (shots / f"{name}-{size}-{lang}.png").stat().st_size > 0
