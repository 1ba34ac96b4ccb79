"""Sanitising captured pages: each rule, same-length same-script scrambling, idempotence."""

from __future__ import annotations

import unicodedata
from typing import Any

import lxml.html  # type: ignore[import-untyped]
import pytest

from runner.capture.sanitize import (
    PLACEHOLDER_IMAGE,
    clean_url,
    css_to_xpath,
    sanitize,
    scramble,
)
from runner.capture.scan import scan

PRIVATE = ['[data-testid="post-text"]', ".whoami", "main > h1"]


def clean(body: str, head: str = "", **kw: Any) -> str:
    html = f"<!DOCTYPE html><html lang='en'><head>{head}</head><body>{body}</body></html>"
    options: dict[str, Any] = {"platform": "x", "state": "compose", "locale": "en",
                               "source_url": "https://x.com/compose/post",
                               "captured_at": "2026-05-01", "private_css": PRIVATE}
    options.update(kw)
    return sanitize(html, **options)


def doc(html: str) -> Any:
    return lxml.html.document_fromstring(html)


def kind(ch: str) -> str:
    """What must survive scrambling: digit, or script and case of a letter; else the char."""
    if ch.isdigit():
        return "digit"
    if ch.isalpha():
        case = "upper" if ch.isupper() else "lower" if ch.islower() else ""
        return f"{unicodedata.name(ch).split()[0]}-{case}"
    return ch


# ---- removal rules ------------------------------------------------------------------------


def test_scripts_noscript_and_handlers_are_removed_shadow_templates_kept() -> None:
    out = clean(
        "<div onclick='steal()' onmouseover=\"x()\" data-testid='box'>Hi</div>"
        "<script>window.__INITIAL_STATE__ = {token: 1}</script>"
        "<script type='application/ld+json'>{}</script><noscript>Enable JS</noscript>"
        "<div id='host'><template shadowrootmode='open'><button aria-label='Post'>Post</button>"
        "<script>inner()</script></template></div>",
        head="<script src='/app.js' defer></script>",
    )
    d = doc(out)
    assert not d.xpath("//script") and not d.xpath("//noscript")
    assert "onclick" not in out and "onmouseover" not in out and "__INITIAL_STATE__" not in out
    (template,) = d.xpath("//div[@id='host']/template")
    assert template.get("shadowrootmode") == "open"
    assert template.xpath("button[@aria-label='Post']")
    assert d.xpath("//div[@data-testid='box']")[0].text == "Hi"


def test_tokens_csrf_metas_nonces_and_integrity_are_removed() -> None:
    out = clean(
        "<form><input type='hidden' name='authenticity_token' value='aB3dE5fG7hI9jK1lM3nO5'>"
        "<input type='hidden' name='fb_dtsg' value='NAcM1234'>"
        "<input type='hidden' name='step' value='2'></form>"
        "<div data-session='9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'"
        " data-testid='x'>ok</div>",
        head="<meta name='csrf-token' content='3q2+7w=='><meta name='viewport' content='w'>"
             "<meta http-equiv='Content-Security-Policy' content=\"script-src 'nonce-abc'\">"
             "<style nonce='abc123'>a{}</style>"
             "<link rel='stylesheet' href='/a.css' integrity='sha384-xyz' crossorigin>"
             "<link rel='preload' href='/b.js'>",
    )
    d = doc(out)
    assert not d.xpath("//meta[@name='csrf-token']") and d.xpath("//meta[@name='viewport']")
    assert not d.xpath("//meta[@http-equiv]")
    assert [i.get("name") for i in d.xpath("//input")] == ["step"]
    assert "nonce" not in out and "integrity" not in out and "preload" not in out
    assert d.xpath("//div[@data-testid='x']")[0].get("data-session") is None
    assert d.xpath("//link[@rel='stylesheet']")  # kept: replay aborts it, nothing leaks


def test_javascript_urls_srcdoc_and_tracking_parameters_go() -> None:
    out = clean(
        "<a href='javascript:void(0)' data-testid='menu'>Menu</a>"
        "<a href='https://x.com/home?utm_source=a&amp;utm_medium=b&amp;lang=ar&amp;fbclid=F'>H</a>"
        "<a href='/status/1?s=20&amp;t=AbC&amp;ref_src=twsrc'>S</a>"
        "<img src='https://cdn.example/p.jpg?oh=00_AbCdEf&amp;oe=65&amp;w=400' alt='p'>"
        "<iframe srcdoc='<b>hi</b>' src='https://t.co/embed?igshid=1'></iframe>"
        "<form action='javascript:go()'></form>",
    )
    d = doc(out)
    assert d.xpath("//a[@data-testid='menu']")[0].get("href") == "#"  # still a link
    assert "javascript:" not in out and "srcdoc" not in out
    hrefs = [a.get("href") for a in d.xpath("//a")][1:]
    assert hrefs == ["https://x.com/home?lang=ar", "/status/1"]
    assert d.xpath("//img")[0].get("src") == "https://cdn.example/p.jpg?w=400"
    assert d.xpath("//iframe")[0].get("src") == "https://t.co/embed"


def test_clean_url_leaves_clean_urls_byte_for_byte() -> None:
    url = "https://x.com/search?q=caf%C3%A9+bar&f=live#top"
    assert clean_url(url) == url
    assert clean_url("https://x.com/a?access_token=abc&x=1#id_token=e&k=v") == (
        "https://x.com/a?x=1#k=v"
    )


def test_big_data_images_become_a_placeholder_small_ones_stay() -> None:
    big = "data:image/png;base64," + "QUJD" * 2000
    small = "data:image/svg+xml;base64,PHN2Zy8+"
    out = clean(f"<img src='{big}' alt='a'><img src='{small}' alt='b'>"
                f"<div style='background:url({big})'></div>",
                head=f"<style>.x{{background:url(\"{big}\")}}</style>")
    d = doc(out)
    assert [i.get("src") for i in d.xpath("//img")] == [PLACEHOLDER_IMAGE, small]
    assert "QUJDQUJD" not in out and out.count(PLACEHOLDER_IMAGE) == 3


def test_comments_are_dropped_and_the_header_comes_right_after_the_doctype() -> None:
    out = clean("<!-- user 42: jane@corp.io --><p>x</p>",
                source_url="https://x.com/compose?utm_campaign=z&draft=1&token=abcdef123456")
    lines = out.splitlines()
    assert lines[0] == "<!DOCTYPE html>"
    assert lines[1] == ("<!-- publish-runner fixture: platform=x state=compose locale=en "
                        "captured=2026-05-01 source=https://x.com/compose?draft=1 -->")
    assert out.count("<!--") == 1 and "jane" not in out


def test_locale_defaults_to_the_page_language() -> None:
    html = "<!DOCTYPE html><html lang='ar' dir='rtl'><body>نشر</body></html>"
    out = sanitize(html, platform="x", state="s", source_url="", captured_at="2026-01-01")
    assert "locale=ar " in out.splitlines()[1]


# ---- personal data ------------------------------------------------------------------------


def test_private_text_is_replaced_same_length_same_script() -> None:
    original = "Layla Hassan: مرحبا يا صديقي 👋 see you at 8:30, OK?"
    out = clean(f"<main><h1>Jane Roe</h1><div data-testid='post-text'>{original}</div></main>"
                "<span class='whoami'>Jane Roe</span><p>Jane Roe is UI copy here</p>")
    d = doc(out)
    got = d.xpath("//*[@data-testid='post-text']")[0].text
    assert got != original and len(got) == len(original)
    assert [kind(c) for c in got] == [kind(c) for c in original]
    assert "👋" in got and ": " in got and "8:30" not in got
    assert d.xpath("//main/h1")[0].text != "Jane Roe"
    assert len(d.xpath("//span[@class='whoami']")[0].text) == len("Jane Roe")
    assert d.xpath("//p")[0].text == "Jane Roe is UI copy here"  # not marked private


def test_scrambling_is_deterministic_and_keeps_case_script_and_marks() -> None:
    for text in ("John O'Neil", "عبد الرحمن", "٠١٢٣ 4567", "Ünïcödé", "Привет мир"):
        once = scramble(text)
        assert once == scramble(text) and len(once) == len(text)
        assert [kind(c) for c in once] == [kind(c) for c in text]
        assert scramble(once) == once  # already-scrambled text is a fixed point
    assert all("\u0400" <= c <= "\u04ff" or c == " " for c in scramble("Привет мир"))
    assert all("\u0660" <= c <= "\u0669" for c in scramble("٠١٢٣"))


def test_emails_phones_and_handles_are_replaced_even_in_labels() -> None:
    out = clean(
        "<button aria-label='Reply to @jane_roe' title='Mail jane.roe@gmail.com'>Reply</button>"
        "<p>Call +1 (415) 555-0132 or +966 50 123 4567, write to ops@company.co.uk</p>"
        "<a href='mailto:jane.roe@gmail.com'>mail</a><a href='/jane_roe'>profile</a>"
        "<input type='email' value='jane.roe@gmail.com' placeholder='Email'>"
        "<input type='password' value='hunter2'>"
    )
    d = doc(out)
    label = d.xpath("//button")[0].get("aria-label")
    assert label.startswith("Reply to @") and "jane_roe" not in label
    assert len(label) == len("Reply to @jane_roe")
    for gone in ("jane", "gmail", "company", "415", "555", "966", "hunter2"):
        assert gone not in out, gone
    text = d.xpath("//p")[0].text
    assert "+0 (000) 000-0000" in text and "+000 00 000 0000" in text
    assert text.endswith(".test") and len(text) == len(
        "Call +1 (415) 555-0132 or +966 50 123 4567, write to ops@company.co.uk")
    assert d.xpath("//a")[1].get("href") != "/jane_roe"  # the handle's profile URL follows
    assert d.xpath("//input")[0].get("placeholder") == "Email"
    assert scan(out) == []


def test_ui_labels_placeholders_roles_and_test_ids_stay() -> None:
    body = ("<section role='region' aria-label='Compose post' data-testid='composer'>"
            "<div role='textbox' aria-label='نص المنشور' data-placeholder='What’s happening?'"
            " contenteditable='true' data-testid='tweetTextarea_0'></div>"
            "<textarea placeholder='Add a comment…' title='Comment'></textarea>"
            "<button data-testid='tweetButton' aria-label='Post' disabled>Post</button>"
            "<button aria-label='Add photos or video'>+</button></section>")
    d = doc(clean(body))
    assert d.xpath("//section[@role='region'][@aria-label='Compose post'][@data-testid]")
    assert d.xpath("//div[@aria-label='نص المنشور'][@data-placeholder='What’s happening?']")
    assert d.xpath("//textarea[@placeholder='Add a comment…'][@title='Comment']")
    assert d.xpath("//button[@data-testid='tweetButton'][@disabled]")[0].text == "Post"
    assert d.xpath("//button[@aria-label='Add photos or video']")


def test_failure_snapshot_comment_is_not_kept() -> None:
    html = ("<!-- publish-runner failure snapshot: platform=x phase=compose url=https://x.com/"
            "home?token=abc -->\n<!DOCTYPE html><html><body>x</body></html>")
    out = sanitize(html, platform="x", state="s", source_url="https://x.com/home")
    assert "failure snapshot" not in out and out.startswith("<!DOCTYPE html>\n<!-- publish")


# ---- idempotence --------------------------------------------------------------------------


def test_sanitising_twice_is_sanitising_once() -> None:
    body = ("<header><span class='whoami'>@jane_roe</span></header><main><h1>jane_roe</h1>"
            "<article><a class='author' href='/u/jane_roe?s=20'>@jane_roe</a>"
            "<div data-testid='post-text'>Ring +44 20 7946 0958 or x.y@gmail.com, Layla "
            "مرحبا eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefgh</div></article>"
            "<p>token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig12345 @bob a@b.io</p>"
            "</main>")
    kw: dict[str, Any] = {"source_url": "https://x.com/jane_roe?utm_source=x"}
    once = clean(body, **kw)
    assert clean_twice(once, **kw) == once
    assert "jane_roe" not in once and "eyJhbGciOi" not in once
    assert scan(once) == []


def clean_twice(html: str, **kw: Any) -> str:
    return sanitize(html, platform="x", state="compose", locale="en",
                    captured_at="2026-05-01", private_css=PRIVATE, **kw)


# ---- the private_content CSS subset -------------------------------------------------------


@pytest.mark.parametrize(("css", "matches"), [
    ('[data-testid="post-text"]', ["a"]),
    ("div.post > span", ["c"]),
    ("article [data-testid^='User']", ["d"]),
    (".whoami, #name", ["b", "e"]),
])
def test_css_subset_selects_user_content(css: str, matches: list[str]) -> None:
    d = doc("<html><body><div data-testid='post-text' id='a'></div><b class='x whoami' id='b'>"
            "</b><div class='post'><span id='c'></span></div><article><i><u data-testid="
            "'User-Name' id='d'></u></i></article><p id='e'></p></body></html>")
    d.xpath("//p")[0].set("id", "name")
    found = [el.get("id") for el in d.xpath(css_to_xpath(css))]
    assert sorted(found) == sorted(m if m != "e" else "name" for m in matches)


def test_unsupported_css_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported CSS"):
        css_to_xpath("div:nth-child(2)")
