"""Capture against the live sandbox in real headless Chromium: snapshot, sanitise, replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lxml.html  # type: ignore[import-untyped]
import pytest
import yaml

from runner.capture import capture, capture_page, import_fixture, scan
from runner.engine import load_platform

pytestmark = pytest.mark.browser

POST_TEXT = "Dinner with Layla at 8 مع ليلى"


@pytest.fixture(scope="module")
def platform() -> Any:
    return load_platform("sandbox")


@pytest.fixture
def grab(open_page: Any, sandbox: Any, platform: Any, tmp_path: Path) -> Any:
    """Async factory: capture one state of the live sandbox with the shared browser."""

    async def run(state: str, *, account: str | None = "main", **options: Any) -> str:
        page = await open_page(account)
        out = tmp_path / f"{state}.html"
        path = await capture_page(page, platform, state, base_url=sandbox.url, out=out,
                                  **options)
        assert path == out
        return out.read_text(encoding="utf-8")

    return run


def tree(html: str) -> Any:
    return lxml.html.document_fromstring(html)


@pytest.mark.asyncio
async def test_compose_state_keeps_what_selectors_test_and_loses_scripts(grab: Any,
                                                                         sandbox: Any) -> None:
    html = await grab("compose", until_phase="open")
    doc = tree(html)
    assert html.startswith("<!DOCTYPE html>\n<!-- publish-runner fixture: platform=sandbox "
                           "state=compose locale=en captured=")
    # at the playbook's address, not the test sandbox's random port
    assert "source=http://127.0.0.1:8765/compose " in html
    assert sandbox.url.rsplit(":", 1)[1] not in html.split("-->", 1)[0]
    assert not doc.xpath("//script") and "composer.js" not in html
    assert not doc.xpath("//link[@rel='stylesheet']")
    assert "--accent" in "".join(doc.xpath("//style/text()"))  # site.css inlined
    for testid in ("composer", "composer-text", "media-input", "post-button", "add-media"):
        assert len(doc.xpath(f"//*[@data-testid='{testid}']")) == 1, testid
    assert doc.xpath("//*[@aria-label='Post text'][@role='textbox']")
    assert doc.xpath("//*[@aria-label='Compose post'][@role='region']")
    assert doc.xpath("//*[@aria-label='Add photos']")
    assert doc.xpath("//*[@data-placeholder=\"What's happening?\"]")
    assert "@main" not in html and "/u/main" not in html  # the signed-in handle
    assert scan(html) == []


@pytest.mark.asyncio
async def test_login_state_is_captured_logged_out(grab: Any) -> None:
    html = await grab("login", account=None, until_phase="open")
    doc = tree(html)
    assert "state=login" in html.splitlines()[1]
    assert "/login" in html.splitlines()[1]
    (form,) = doc.xpath("//*[@data-testid='login-form']")
    assert form.get("aria-label") == "Log in"
    assert doc.xpath("//input[@name='username'][@autocomplete='username']")
    assert not doc.xpath("//input[@type='password'][@value]")
    assert not doc.xpath("//script")
    assert scan(html) == []


@pytest.mark.asyncio
async def test_profile_post_texts_are_scrambled_same_length(grab: Any, sandbox: Any) -> None:
    texts = ["Call me on +44 20 7946 0958 or jane.roe@gmail.com", "مرحبا يا ليلى، نلتقي غدا"]
    for text in texts:
        sandbox.state.add_post("main", text, [], "test")
    html = await grab("profile", url=f"{sandbox.url}/u/main?utm_source=newsletter&s=20")
    doc = tree(html)
    got = [el.text_content() for el in doc.xpath("//*[@data-testid='post-text']")]
    assert len(got) == 2
    for original, scrambled in zip(reversed(texts), got, strict=True):  # newest first
        assert scrambled != original
        assert len(scrambled) == len(original)
        for a, b in zip(original, scrambled, strict=True):
            same_kind = (a.isdigit() == b.isdigit() and a.isupper() == b.isupper()
                         and ("\u0600" <= a <= "\u06ff") == ("\u0600" <= b <= "\u06ff"))
            assert same_kind, (a, b)
    assert "jane.roe" not in html and "7946" not in html and "Layla" not in html
    assert "utm_source" not in html.splitlines()[1] and "s=20" not in html.splitlines()[1]
    assert "/u/main" not in html and "<h1>main</h1>" not in html
    assert doc.xpath("//*[@data-testid='post']") and doc.xpath("//*[@data-testid='post-link']")
    assert scan(html) == []


@pytest.mark.asyncio
async def test_form_state_and_shadow_roots_are_kept(open_page: Any, sandbox: Any,
                                                    platform: Any, tmp_path: Path) -> None:
    page = await open_page("main")
    await page.goto(f"{sandbox.url}/compose")
    await page.evaluate("""() => {
        const host = document.createElement('div');
        host.id = 'shadow-host';
        const root = host.attachShadow({mode: 'open'});
        root.innerHTML = '<button aria-label="Schedule post">Schedule</button>';
        const sheet = new CSSStyleSheet();
        sheet.replaceSync('button { color: rgb(1, 2, 3); }');
        root.adoptedStyleSheets = [sheet];
        const input = document.createElement('input');
        input.id = 'typed';
        const box = document.createElement('input');
        box.type = 'checkbox'; box.id = 'ticked';
        document.body.append(host, input, box);
        input.value = 'typed after load';
        box.checked = true;
    }""")
    out = await capture_page(page, platform, "shadow", out=tmp_path / "s.html")
    html = out.read_text(encoding="utf-8")
    doc = tree(html)
    (template,) = doc.xpath("//*[@id='shadow-host']/template")
    assert template.get("shadowrootmode") == "open"
    assert template.xpath(".//button[@aria-label='Schedule post']")
    assert "rgb(1, 2, 3)" in html  # the adopted sheet, inlined in the shadow root
    assert doc.xpath("//input[@id='typed']")[0].get("value") == "typed after load"
    assert doc.xpath("//input[@id='ticked']")[0].get("checked") is not None


@pytest.mark.asyncio
async def test_capture_launches_its_own_browser(sandbox: Any, tmp_path: Path) -> None:
    path = await capture(
        "sandbox", "compose", headless=True, until_phase="open", base_url=sandbox.url,
        cookies=[sandbox.state.login_cookie("main")], out=tmp_path / "c.html",
    )
    assert tree(path.read_text(encoding="utf-8")).xpath("//*[@data-testid='composer-text']")


@pytest.mark.asyncio
async def test_failure_html_imports_as_a_sanitised_fixture(tmp_path: Path) -> None:
    failure = tmp_path / "failure.html"
    failure.write_text(
        "<!-- publish-runner failure snapshot: platform=sandbox phase=compose "
        "url=https://sandbox.test/compose?fbclid=abc&token=s3cr3tvalue123 -->\n"
        "<!DOCTYPE html><html lang='ar'><head><script>window.__STATE__={}</script></head>"
        "<body><div data-testid='post-text'>john.doe@gmail.com</div></body></html>",
        encoding="utf-8",
    )
    out = await import_fixture(failure, "sandbox", "broken", out=tmp_path / "broken.html")
    html = out.read_text(encoding="utf-8")
    header = html.splitlines()[1]
    assert "state=broken" in header and "locale=ar" in header
    assert "source=https://sandbox.test/compose " in header
    assert "<script" not in html and "john.doe" not in html and scan(html) == []


@pytest.mark.asyncio
async def test_captured_sandbox_dom_sanitised_then_replays_green(
    browser: Any, grab: Any, sandbox: Any, tmp_path: Path
) -> None:
    from runner.replay import load_scenarios, run_replay

    await grab("compose", until_phase="compose")  # text typed: the Post button is enabled
    await grab("posted", until_phase="publish")  # the success toast with its link
    await grab("login", account=None, until_phase="open")
    for name in ("compose", "posted", "login"):
        assert scan((tmp_path / f"{name}.html").read_text(encoding="utf-8")) == []
    base = sandbox.url
    spec = {
        "platform": "sandbox",
        "scenarios": {
            "publish-text": {
                "post": {"text": "Hello 👋 مرحبا"},
                "base_url": base,
                "pages": {f"{base}/login**": "login.html", f"{base}/**": "compose.html"},
                "after": {"publish": "posted.html"},
                "expect": {"status": "SUCCEEDED", "error": None,
                           "proofs": ["before_confirm", "after_publish"], "fallbacks": []},
            },
            "logged-out": {
                "post": {"text": "Hello"},
                "base_url": base,
                "pages": {f"{base}/compose*": {"redirect": f"{base}/login?next=/compose"},
                          f"{base}/login**": "login.html"},
                "expect": {"status": "NEEDS_LOGIN"},
            },
        },
    }
    folder = tmp_path
    (folder / "scenarios.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True),
                                           encoding="utf-8")
    scenarios = load_scenarios(folder / "scenarios.yaml")
    report = await run_replay(scenarios, browser=browser)
    failures = {r.scenario.name: r.mismatches for r in report.results if not r.passed}
    assert report.passed, failures
    statuses = {r.scenario.name: r.actual_status for r in report.results}
    assert statuses == {"publish-text": "SUCCEEDED", "logged-out": "NEEDS_LOGIN"}
