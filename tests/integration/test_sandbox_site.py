"""The sandbox social site, against a real server: its HTTP/JSON behaviour with httpx and its
composer with a real Chromium. These pin the DOM contract the selector files rely on."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Page, expect

from sandbox import (
    CHALLENGE,
    COOKIE_BANNER,
    REDESIGN_BROKEN,
    REDESIGN_FALLBACK,
    REJECT,
    SESSION_EXPIRED,
    SESSION_MAX_AGE_S,
    SLOW,
    SandboxServer,
    SandboxState,
    create_app,
)
from tests.sandbox_fixtures import browse, chromium_available, image_payload, png_bytes

ARABIC_EMOJI_TEXT = "مرحبا بالعالم 👋🏽 — تجربة النشر ✅\nسطر ثانٍ: «اختبار» 🇸🇦"
REJECT_EN = "Your post could not be sent: it looks like spam."
REJECT_AR = "تعذّر إرسال منشورك: يبدو أنه رسالة مزعجة."

needs_chromium = pytest.mark.skipif(not chromium_available(), reason="no Chromium at /usr/bin")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer() as sb:
        yield sb


@pytest.fixture
def sb(server: SandboxServer) -> Iterator[SandboxServer]:
    """The module's server with a clean state for each test."""
    server.state.reset()
    yield server
    server.state.reset()


def client(sb: SandboxServer, account: str | None = None) -> httpx.Client:
    """An httpx client on the sandbox, logged in as `account` if given."""
    http = httpx.Client(base_url=sb.url, follow_redirects=False, timeout=10)
    if account is not None:
        cookie = sb.state.login_cookie(account)
        http.cookies.set(cookie["name"], cookie["value"], domain=cookie["domain"], path="/")
    return http


# Server, login, pages ---------------------------------------------------------------------


def test_server_binds_a_free_loopback_port_and_stops_cleanly() -> None:
    with SandboxServer() as first, SandboxServer() as second:
        assert first.url.startswith("http://127.0.0.1:")
        assert first.port != second.port
        assert httpx.get(first.url + "/login").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(first.url + "/login", timeout=2)


def test_root_and_compose_need_login(sb: SandboxServer) -> None:
    with client(sb) as http:
        assert http.get("/").headers["location"] == "/compose"
        response = http.get("/compose")
        assert response.status_code == 302
        assert response.headers["location"] == "/login?next=/compose"


def test_login_form_sets_httponly_session_and_redirects_to_next(sb: SandboxServer) -> None:
    with client(sb) as http:
        page = http.get("/login?next=/u/main")
        assert 'data-testid="login-form"' in page.text
        bad = http.post("/login?next=/u/main", data={"username": "main", "password": "nope"})
        assert bad.status_code == 401
        assert "sandbox_session" not in bad.headers.get("set-cookie", "")
        good = http.post("/login?next=/u/main", data={"username": "main", "password": "main"})
        assert good.status_code in (302, 303)
        assert good.headers["location"] == "/u/main"
        set_cookie = good.headers["set-cookie"].lower()
        assert set_cookie.startswith("sandbox_session=")
        assert "httponly" in set_cookie
        assert f"max-age={SESSION_MAX_AGE_S}" in set_cookie  # survives the browser closing
        assert http.get("/compose").status_code == 200


def test_login_does_not_redirect_off_site(sb: SandboxServer) -> None:
    with client(sb) as http:
        response = http.post(
            "/login?next=//evil.example/", data={"username": "main", "password": "main"}
        )
        assert response.headers["location"] == "/compose"


def test_pages_follow_the_account_locale_or_lang_parameter(sb: SandboxServer) -> None:
    with client(sb, "arabic") as http:
        page = http.get("/compose").text
        assert page.startswith("<!DOCTYPE html>")
        assert '<html lang="ar" dir="rtl">' in page
        assert 'aria-label="نص المنشور"' in page
        assert '<nav aria-label="رئيسي">' in page
        assert '<html lang="en" dir="ltr">' in http.get("/compose?lang=en").text
    with client(sb) as http:
        assert '<html lang="ar" dir="rtl">' in http.get("/login?lang=ar").text


def test_pages_make_no_external_requests(sb: SandboxServer) -> None:
    with client(sb, "main") as http:
        for path in ("/compose", "/login", "/challenge", "/u/main"):
            html = http.get(path).text
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), path


def test_profile_lists_posts_newest_first_and_escapes_text(sb: SandboxServer) -> None:
    sb.state.add_post("main", "first", [], "test")
    second = sb.state.add_post("main", "<b>second</b> & more", [], "test")
    with client(sb) as http:
        html = http.get("/u/main").text
        assert html.index("&lt;b&gt;second&lt;/b&gt; &amp; more") < html.index("first")
        assert f'data-testid="post" data-post-id="{second.id}"' in html
        assert f'<a data-testid="post-link" href="/p/{second.id}"><time datetime=' in html
        single = http.get(f"/p/{second.id}").text
        assert single.count('data-testid="post"') == 1
        assert http.get("/p/999999").status_code == 404
        assert http.get("/u/nobody").status_code == 404


# JSON API ---------------------------------------------------------------------------------


def test_posts_api_validates_and_records_exactly(sb: SandboxServer) -> None:
    with client(sb, "main") as http:
        http.headers["User-Agent"] = "sandbox-test/1"
        assert http.post("/api/posts", json={"text": "   \n"}).status_code == 422
        too_long = http.post("/api/posts", json={"text": "👋" * 281})
        assert too_long.status_code == 422
        assert "280" in too_long.json()["error"]
        assert http.post("/api/posts", json={"text": 5}).status_code == 400
        ok = http.post("/api/posts", json={"text": "👋" * 280})
        assert ok.status_code == 201
        assert ok.json()["url"] == f"/p/{ok.json()['id']}"
        arabic = http.post("/api/posts", json={"text": ARABIC_EMOJI_TEXT, "media": []})
        assert arabic.status_code == 201
    posts = sb.state.posts("main")
    assert [p.text for p in posts] == ["👋" * 280, ARABIC_EMOJI_TEXT]
    assert posts[1].user_agent == "sandbox-test/1"
    with client(sb) as anonymous:
        response = anonymous.post("/api/posts", json={"text": "hi"})
        assert response.status_code == 401
        assert response.json()["error"]


def test_media_upload_checks_magic_bytes_and_size(sb: SandboxServer) -> None:
    png = png_bytes()
    with client(sb, "main") as http:
        uploaded = http.post("/api/media", files={"file": ("dot.png", png, "image/jpeg")})
        assert uploaded.status_code == 201
        media = uploaded.json()
        served = http.get(media["url"])
        assert served.content == png
        assert served.headers["content-type"] == "image/png"
        fake = http.post("/api/media", files={"file": ("x.png", b"not an image", "image/png")})
        assert fake.status_code == 415
        big = b"GIF89a" + b"\0" * (5 * 1024 * 1024)
        assert http.post("/api/media", files={"file": ("big.gif", big)}).status_code == 413
        post = http.post("/api/posts", json={"text": "with photo", "media": [media["id"]]})
        assert post.status_code == 201
        bad = http.post("/api/posts", json={"text": "x", "media": ["nope"]})
        assert bad.status_code == 422
    (recorded,) = sb.state.posts()
    assert recorded.media[0].sha256 == hashlib.sha256(png).hexdigest()
    assert recorded.media[0].content_type == "image/png"
    assert recorded.media[0].size == len(png)


# Control API ------------------------------------------------------------------------------


def test_control_api_round_trip(sb: SandboxServer) -> None:
    with client(sb) as http:
        created = http.post("/_control/accounts", json={"name": "lina", "password": "pw",
                                                          "locale": "ar"})
        assert created.status_code == 201
        cookie = http.post("/_control/sessions", json={"account": "lina"}).json()["cookie"]
        assert set(cookie) == {"name", "value", "domain", "path", "expires", "httpOnly",
                               "sameSite"}
        assert cookie["expires"] > time.time() + SESSION_MAX_AGE_S - 60  # as the form sets it
        assert cookie["domain"] == "127.0.0.1"
        faults = http.put("/_control/accounts/lina/faults",
                          json={"faults": ["reject", "slow"], "slow_ms": 10})
        assert faults.json()["faults"] == ["reject", "slow"]
        bad = http.put("/_control/accounts/lina/faults", json={"faults": ["nope"]})
        assert bad.status_code == 400
        assert http.put("/_control/accounts/ghost/faults", json={"faults": []}).status_code == 404
        state = http.get("/_control/state").json()
        assert {a["name"] for a in state["accounts"]} >= {"main", "arabic", "lina"}
    sb.state.add_post("main", "one", [], "t")
    sb.state.add_post("lina", "two", [], "t")
    with client(sb) as http:
        assert [p["text"] for p in http.get("/_control/posts?account=lina").json()] == ["two"]
        assert len(http.get("/_control/posts").json()) == 2
        assert http.delete("/_control/posts").json() == {"deleted": 2}
        assert http.get("/_control/posts").json() == []


def test_control_api_is_loopback_only() -> None:
    app = create_app(SandboxState())
    transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 4000))
    remote = httpx.AsyncClient(transport=transport, base_url="http://sandbox")

    async def probe() -> tuple[int, int]:
        async with remote:
            control = await remote.get("/_control/state")
            login = await remote.get("/login")
            return control.status_code, login.status_code

    assert asyncio.run(probe()) == (404, 200)


# Faults over HTTP -------------------------------------------------------------------------


def test_session_expired_invalidates_the_session(sb: SandboxServer) -> None:
    with client(sb, "main") as http:
        response = http.get("/compose?fault=session_expired")
        assert response.headers["location"] == "/login?next=/compose"
        assert http.get("/compose").status_code == 302  # the session is gone for good
    sb.state.set_faults("main", SESSION_EXPIRED)
    with client(sb, "main") as http:
        assert http.get("/compose").headers["location"] == "/login?next=/compose"
        assert http.post("/api/posts", json={"text": "x"}).status_code == 401


def test_challenge_redirects_compose(sb: SandboxServer) -> None:
    with client(sb, "main") as http:
        assert http.get("/compose?fault=challenge").headers["location"] == "/challenge"
        page = http.get("/challenge").text
        assert '<main data-testid="challenge"' in page
        assert "<h1>Confirm it&#x27;s you</h1>" in page or "<h1>Confirm it's you</h1>" in page
    sb.state.set_faults("arabic", CHALLENGE)
    with client(sb, "arabic") as http:
        assert http.get("/compose").headers["location"] == "/challenge"
        assert "لاحظنا نشاطًا غير معتاد على حسابك." in http.get("/challenge").text


def test_reject_fault_answers_422_in_the_account_language(sb: SandboxServer) -> None:
    with client(sb, "main") as http:
        response = http.post("/api/posts?fault=reject", json={"text": "hi"})
        assert (response.status_code, response.json()) == (422, {"error": REJECT_EN})
    sb.state.set_faults("arabic", REJECT)
    with client(sb, "arabic") as http:
        assert http.post("/api/posts", json={"text": "hi"}).json() == {"error": REJECT_AR}
    assert sb.state.posts() == []


def test_unknown_fault_names_are_refused(sb: SandboxServer) -> None:
    with client(sb, "main") as http:
        assert http.get("/compose?fault=slwo").status_code == 400


def test_compose_forwards_request_faults_to_the_api(sb: SandboxServer) -> None:
    with client(sb, "main") as http:
        html = http.get("/compose?fault=reject&fault=slow&slow_ms=5").text
        assert '"apiQuery": "fault=reject&fault=slow&slow_ms=5"' in html


# Composer in Chromium ---------------------------------------------------------------------


@needs_chromium
@pytest.mark.browser
def test_typing_enables_post_and_limits_apply(sb: SandboxServer) -> None:
    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        editor = page.get_by_role("textbox", name="Post text")
        post = page.get_by_role("button", name="Post", exact=True)
        counter = page.get_by_test_id("char-count")
        await expect(editor).to_have_attribute("data-placeholder", "What's happening?")
        await expect(post).to_be_disabled()
        await expect(counter).to_have_text("0/280")
        # A script writing the DOM does not fire `input`: the model (and Post) stays empty.
        await page.evaluate("document.querySelector('[data-testid=composer-text]').textContent='x'")
        await expect(post).to_be_disabled()
        await editor.fill("")
        await editor.click()
        await page.keyboard.insert_text("   ")
        await expect(post).to_be_disabled()
        await page.keyboard.insert_text("hi 👋🏽")
        await expect(counter).to_have_text("8/280")  # "   hi " + 2 code points
        await expect(post).to_be_enabled()
        await editor.fill("a" * 281)
        await expect(counter).to_have_text("281/280")
        await expect(post).to_be_disabled()
        await editor.fill("typed below")
        await editor.fill("")
        await page.keyboard.type("keyboard.type works")
        await expect(counter).to_have_text("19/280")
        await expect(post).to_be_enabled()

    browse(sb, scenario)


@needs_chromium
@pytest.mark.browser
def test_posting_arabic_and_emoji_shows_toast_and_records_exact_text(sb: SandboxServer) -> None:
    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        assert await page.get_attribute("html", "dir") == "rtl"
        editor = page.get_by_role("textbox", name="نص المنشور")
        await editor.click()
        await page.keyboard.insert_text(ARABIC_EMOJI_TEXT)
        await page.get_by_role("button", name="نشر", exact=True).click()
        toast = page.get_by_role("status")
        await expect(toast).to_contain_text("تم إرسال منشورك.")
        await expect(page.get_by_test_id("toast")).to_be_visible()
        await expect(editor).to_have_text("")
        (post,) = sb.state.posts("arabic")
        await expect(page.get_by_test_id("toast-link")).to_have_attribute("href", post.url)
        await page.get_by_role("link", name="عرض").click()
        await expect(page.get_by_test_id("post-text")).to_have_text(ARABIC_EMOJI_TEXT)

    browse(sb, scenario, account="arabic")
    (post,) = sb.state.posts("arabic")
    assert post.text == ARABIC_EMOJI_TEXT
    assert "Chrome" in post.user_agent


@needs_chromium
@pytest.mark.browser
def test_paste_goes_through_the_model(sb: SandboxServer) -> None:
    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        await page.get_by_test_id("composer-text").click()
        await page.evaluate(
            """text => {
                const data = new DataTransfer();
                data.setData('text/plain', text);
                data.setData('text/html', '<b>ignored markup</b>');
                document.querySelector('[data-testid=composer-text]').dispatchEvent(
                    new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                 cancelable: true}));
            }""",
            "pasted 😀",
        )
        await expect(page.get_by_test_id("char-count")).to_have_text("8/280")
        await page.get_by_test_id("post-button").click()
        await expect(page.get_by_test_id("toast")).to_be_visible()

    browse(sb, scenario)
    assert [p.text for p in sb.state.posts()] == ["pasted 😀"]


@needs_chromium
@pytest.mark.browser
def test_upload_shows_preview_and_post_carries_media(sb: SandboxServer) -> None:
    png = png_bytes(8, 8)

    async def scenario(page: Page) -> None:
        # slow makes the upload take a while, so the in-progress state can be observed.
        await page.goto(sb.url + "/compose?fault=slow&slow_ms=1500")
        await page.get_by_role("textbox", name="Post text").click()
        await page.keyboard.insert_text("with a photo")
        async with page.expect_file_chooser() as chooser_info:
            await page.get_by_role("button", name="Add photos").click()
        chooser = await chooser_info.value
        await chooser.set_files([image_payload("red.png", png)])
        item = page.get_by_test_id("media-item")
        await expect(item).to_have_attribute("data-state", "uploading")
        await expect(item.locator("progress")).to_be_attached()
        await expect(page.get_by_test_id("post-button")).to_be_disabled()
        await expect(item).to_have_attribute("data-state", "ready")
        await expect(item.get_by_role("img", name="red.png")).to_be_visible()
        await expect(item.locator("progress")).to_have_count(0)
        await page.get_by_test_id("post-button").click()
        await expect(page.get_by_test_id("toast")).to_be_visible()
        await expect(page.get_by_test_id("media-preview").locator("figure")).to_have_count(0)

    browse(sb, scenario)
    (post,) = sb.state.posts()
    assert post.text == "with a photo"
    assert [(m.filename, m.sha256) for m in post.media] == [
        ("red.png", hashlib.sha256(png).hexdigest())
    ]


@needs_chromium
@pytest.mark.browser
def test_set_input_files_on_media_input_uploads(sb: SandboxServer) -> None:
    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        await page.get_by_test_id("media-input").set_input_files(
            [image_payload("a.png"), image_payload("b.png")]
        )
        await expect(page.locator("[data-testid=media-item][data-state=ready]")).to_have_count(2)
        bogus = image_payload("fake.png", b"nope")
        await page.get_by_test_id("media-input").set_input_files([bogus])
        await expect(page.get_by_test_id("error-toast")).to_contain_text("PNG, JPEG, WebP")
        await expect(page.get_by_test_id("media-item")).to_have_count(2)

    browse(sb, scenario)


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize(("account", "fault_query", "message"), [
    ("main", "?fault=reject", REJECT_EN),
    ("arabic", "", REJECT_AR),
])
def test_reject_shows_error_toast_and_reenables_post(
    sb: SandboxServer, account: str, fault_query: str, message: str
) -> None:
    if not fault_query:
        sb.state.set_faults(account, REJECT)

    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose" + fault_query)
        await page.get_by_role("textbox").click()
        await page.keyboard.insert_text("buy now")
        await page.get_by_test_id("post-button").click()
        await expect(page.get_by_role("alert")).to_have_text(message)
        await expect(page.get_by_test_id("error-toast")).to_be_visible()
        await expect(page.get_by_test_id("post-button")).to_be_enabled()
        await expect(page.get_by_test_id("toast")).to_have_count(0)

    browse(sb, scenario, account=account)
    assert sb.state.posts() == []


@needs_chromium
@pytest.mark.browser
def test_session_expired_and_challenge_in_the_browser(sb: SandboxServer) -> None:
    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose?fault=challenge")
        assert page.url == sb.url + "/challenge"
        await expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
        await page.goto(sb.url + "/compose?fault=session_expired")
        assert page.url == sb.url + "/login?next=/compose"
        form = page.get_by_role("form", name="Log in")
        await form.get_by_label("Username").fill("main")
        await form.get_by_label("Password").fill("main")
        await form.get_by_role("button", name="Log in").click()
        await expect(page.get_by_test_id("composer")).to_be_visible()
        assert page.url == sb.url + "/compose"

    browse(sb, scenario)


@needs_chromium
@pytest.mark.browser
def test_redesign_fallback_keeps_roles_but_changes_test_ids(sb: SandboxServer) -> None:
    sb.state.set_faults("main", REDESIGN_FALLBACK)

    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        for old in ("composer", "composer-text", "post-button", "media-input", "add-media"):
            await expect(page.get_by_test_id(old)).to_have_count(0)
        await expect(page.locator(".composer-shell > [data-testid=composer-v2]")).to_be_visible()
        region = page.get_by_role("region", name="Compose post")
        await region.get_by_role("textbox", name="Post text").click()
        await page.keyboard.insert_text("fallback works")
        await expect(page.get_by_test_id("editor-v2")).to_have_text("fallback works")
        await page.get_by_role("button", name="Post", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("Your post was sent.")
        await expect(page.get_by_test_id("notice-v2")).to_be_visible()
        await expect(page.get_by_test_id("notice-link-v2")).to_have_text("View")

    browse(sb, scenario)
    assert [p.text for p in sb.state.posts()] == ["fallback works"]


@needs_chromium
@pytest.mark.browser
def test_redesign_broken_matches_nothing_in_the_contract(sb: SandboxServer) -> None:
    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose?fault=redesign_broken")
        await expect(page.locator("[data-testid]")).to_have_count(0)
        await expect(page.get_by_role("textbox", name="Post text")).to_have_count(0)
        await expect(page.get_by_role("button", name="Post", exact=True)).to_have_count(0)
        await expect(page.get_by_role("region", name="Compose post")).to_have_count(0)
        await expect(page.get_by_role("button", name="Add photos")).to_have_count(0)
        await expect(page.locator("[contenteditable]")).to_have_count(0)
        await expect(page.locator("input[type=file]")).to_have_count(0)
        # The site itself still works, just differently.
        await page.get_by_role("textbox", name="Write something").fill("new look")
        await page.get_by_role("button", name="Share").click()
        await expect(page.get_by_text("Shared with your followers.")).to_be_visible()

    browse(sb, scenario)
    assert [p.text for p in sb.state.posts()] == ["new look"]


@needs_chromium
@pytest.mark.browser
def test_slow_fault_delays_the_toast_but_the_post_lands(sb: SandboxServer) -> None:
    sb.state.set_faults("main", SLOW, slow_ms=700)

    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        await page.get_by_test_id("composer-text").click()
        await page.keyboard.insert_text("patience")
        post = page.get_by_test_id("post-button")
        await post.click()
        await expect(post).to_be_disabled()  # while the slow request is in flight
        await expect(page.get_by_test_id("toast")).to_be_visible()

    browse(sb, scenario)
    assert [p.text for p in sb.state.posts()] == ["patience"]


@needs_chromium
@pytest.mark.browser
def test_cookie_banner_intercepts_clicks_until_accepted(sb: SandboxServer) -> None:
    sb.state.set_faults("main", COOKIE_BANNER)

    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        banner = page.get_by_role("dialog", name="Cookies")
        await expect(banner).to_be_visible()
        on_top = await page.evaluate(
            """() => {
                const box = document.querySelector('[data-testid=post-button]')
                    .getBoundingClientRect();
                const hit = document.elementFromPoint(box.x + box.width / 2,
                                                      box.y + box.height / 2);
                return hit.closest('[data-testid=cookie-banner]') !== null;
            }"""
        )
        assert on_top, "the banner must cover the composer"
        await page.get_by_test_id("cookie-accept").click()
        await expect(banner).to_have_count(0)
        await page.reload()
        await expect(page.get_by_test_id("composer")).to_be_visible()
        await expect(page.get_by_test_id("cookie-banner")).to_have_count(0)

    browse(sb, scenario)


@needs_chromium
@pytest.mark.browser
def test_profile_shows_posts_from_the_browser(sb: SandboxServer) -> None:
    sb.state.add_post("main", "older", [], "t")
    sb.state.add_post("main", "newer\nsecond line", [], "t")

    async def scenario(page: Page) -> None:
        await page.goto(sb.url + "/compose")
        nav = page.get_by_role("navigation", name="Primary")
        await nav.get_by_role("link", name="Profile").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("main")
        texts = page.get_by_test_id("post").get_by_test_id("post-text")
        await expect(texts).to_have_text(["newer\nsecond line", "older"])

    browse(sb, scenario)


def test_state_reset_clears_posts_and_faults() -> None:
    state = SandboxState()
    state.set_faults("main", REJECT, REDESIGN_BROKEN, slow_ms=10)
    state.add_post("main", "x", [], "t")
    state.reset()
    account = state.account("main")
    assert account is not None and account.faults == frozenset()
    assert state.posts() == []
