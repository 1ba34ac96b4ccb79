"""The selector-health page in a real Chromium, desktop and phone width, English and Arabic
(screenshots kept as test artifacts): per platform the current verdict, the last healthy
run, and the broken selectors with their file:line and proof image."""

from __future__ import annotations

import hashlib
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.integration.dashboard.dashboard_helpers import (  # noqa: F401 (fixtures)
    APP,
    UNISOLATED_JS,
    Dash,
    Device,
    dash_factory_fixture,
    dash_fixture,
    png,
)
from tests.integration.dashboard.test_dashboard_browser import (
    DESKTOP,
    PHONE,
    artifacts,
    signed_in_page,
)

WHERE = "selectors/x.yaml:42"


def report(device: Device, verdict: str, *, platform: str = "x", account: str = "main",
           proof: bytes | None = None, version: int | None = None) -> None:
    proofs = []
    if proof is not None:
        up = device.http.post(f"/api/devices/{device.id}/canary-proofs",
                              data={"sha256": hashlib.sha256(proof).hexdigest()},
                              files={"file": ("p.png", proof, "image/png")})
        assert up.status_code == 201, up.text
        proofs = [{"kind": "on_failure", "assetId": up.json()["assetId"]}]
    findings: list[dict[str, Any]] = [{"selector": "composer", "where": "selectors/x.yaml:10",
                                       "phase": "compose", "status": "ok", "candidate": 1,
                                       "candidates": 2}]
    body: dict[str, Any] = {
        "id": f"can_{secrets.token_hex(8)}", "platform": platform, "account": account,
        "verdict": verdict, "startedAt": datetime.now(timezone.utc).isoformat(),
        "definitionsHash": "sha256:" + "0" * 64, "proofs": proofs, "findings": findings,
        "definitionsVersion": version,
        "message": "لم يُعثر على زر النشر" if verdict == "broken" else "all first candidates"}
    if verdict == "broken":
        findings.append({"selector": "postButton", "where": WHERE, "phase": "confirm",
                         "status": "broken", "candidates": 3})
        body |= {"brokenSelector": "postButton", "brokenWhere": WHERE, "brokenPhase": "confirm"}
    if verdict == "degraded":
        findings[0] |= {"status": "fallback", "candidate": 2}
    r = device.http.post(f"/api/devices/{device.id}/canary-results", json=body)
    assert r.status_code == 201, r.text


def test_the_page_needs_a_session_and_says_when_nothing_reported(dash: Dash) -> None:
    anon = dash.client()
    r = anon.get(f"{APP}/health")
    assert r.status_code == 303 and "/login" in r.headers["location"]
    web = dash.sign_in()
    page = web.get(f"{APP}/health")
    assert page.status_code == 200 and 'id="no-canaries"' in page.text
    assert f'href="{APP}/health" id="nav-health"' in page.text
    ar = web.get(f"{APP}/health", headers={"Accept-Language": "ar"})
    assert "سلامة المحددات" in ar.text and 'dir="rtl"' in ar.text


def test_the_page_names_the_definitions_version_or_says_local(dash: Dash) -> None:
    device = Device(dash.url, name="studio-mac")
    report(device, "healthy", version=12)
    report(device, "healthy", account="second")
    page = dash.sign_in().get(f"{APP}/health")
    assert page.status_code == 200
    main, second = (page.text.split(f'data-account="x/{a}"')[1].split("</dl>")[0]
                    for a in ("main", "second"))
    assert '<bdi dir="ltr">v12</bdi>' in main and "local" not in main
    assert "local" in second and "<bdi dir=\"ltr\">v" not in second


@pytest.mark.browser
@pytest.mark.asyncio
async def test_health_page_in_both_languages_at_desktop_and_phone_width(
        browser: Any, dash: Dash, tmp_path: Path) -> None:
    device = Device(dash.url, name="studio-mac")
    report(device, "healthy")
    shot_bytes = png("crimson", (320, 200))
    report(device, "broken", proof=shot_bytes)
    report(device, "degraded", platform="threads")

    shots = []
    for size_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page, console = await signed_in_page(browser, dash, viewport,
                                                      start=f"{APP}/health")
        for lang, words in (("en", ("Broken", "Degraded", "Last healthy")),
                            ("ar", ("معطّل", "متراجع", "آخر فحص سليم"))):
            await page.goto(f"{dash.url}{APP}/lang/{lang}?next={APP}/health")
            assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
            order = await page.eval_on_selector_all(
                "section.health", "els => els.map(e => e.dataset.platform)")
            assert order == ["x", "threads"]  # the one that needs a fix first
            x = page.locator('section[data-platform="x"]')
            assert await x.get_attribute("data-verdict") == "broken"
            text = await page.inner_text("main")
            for word in words:
                assert word in text, (lang, word)
            assert "UTC" in await x.locator(".platform-last-healthy").inner_text()
            never = "never" if lang == "en" else "أبداً"
            assert never in await page.locator(
                'section[data-platform="threads"] .platform-last-healthy').inner_text()
            account = x.locator('[data-account="x/main"]')
            assert "—" not in await account.locator(".last-healthy").inner_text()
            selector = account.locator('[data-selector="postButton"]')
            assert await selector.locator(".selector-where").inner_text() == WHERE
            assert await selector.locator(".selector-where").get_attribute("dir") == "ltr"
            assert await selector.locator(".selector-name").get_attribute("dir") == "ltr"
            # The Arabic message stays whole inside its own isolate on either page.
            assert await account.locator(".health-message bdi").get_attribute("dir") == "auto"
            await page.wait_for_function(
                "document.querySelector('img.broken-proof').naturalWidth === 320")
            # the proof shown is the one the device uploaded (an asset is named by its hash)
            assert await selector.locator("img.broken-proof").get_attribute("src") == (
                f"{APP}/assets/{hashlib.sha256(shot_bytes).hexdigest()}")
            threads = page.locator('section[data-platform="threads"]')
            assert await threads.get_attribute("data-verdict") == "degraded"
            assert await threads.locator(".fallbacks").inner_text() == "composer"
            assert await page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth") <= 0
            if lang == "ar":  # every Latin-only text isolated (<bdi> or dir)
                assert await page.evaluate(UNISOLATED_JS) == []
            shot = tmp_path / f"health-{size_name}-{lang}.png"
            await page.screenshot(path=str(shot), full_page=True)
            shots.append(shot)
        await page.click("#nav-health")
        await page.wait_for_url(f"{dash.url}{APP}/health")
        assert console.errors == []
        await context.close()

    assert all(s.stat().st_size > 0 for s in shots) and len(shots) == 4
    kept = artifacts()
    for shot in shots:
        shutil.copy(shot, kept / f"browser-{shot.name}")


def test_scheduling_from_the_dashboard_shows_the_broken_canary_warning(dash: Dash) -> None:
    device = Device(dash.url)
    report(device, "broken")
    web = dash.sign_in()
    post = dash.post(schedule=False)
    r = web.post(f"{APP}/posts/{post['id']}/schedule",
                 data={"csrf": dash.csrf(web), "scheduled_at": ""})
    assert r.status_code == 303, r.text
    page = web.get(f"{APP}/posts/{post['id']}").text
    assert "x: the latest canary (x/main" in page and WHERE in page
    assert '<div class="warn">' in page
