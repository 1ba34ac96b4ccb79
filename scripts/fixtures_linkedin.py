"""Build the LinkedIn (linkedin.com) replay fixtures: reconstructions of the share box.

Nobody has captured these pages from a live account yet, so they are rebuilt from public
facts (FACTS below; sources in docs/platforms-facebook-linkedin-tiktok.md). The composer
lives in the open shadow root of `div#interop-outlet[data-testid=interop-shadowdom]`, written
here as declarative shadow DOM (`<template shadowrootmode="open">`), which Chromium attaches
with JavaScript off and Playwright locators pierce. The editor is Quill (`div.ql-editor`).

Run `.venv/bin/python scripts/fixtures_linkedin.py`; it rewrites fixtures/linkedin/.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from _fixturekit import tiny_png

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "linkedin"
DATE = "2026-11-28"
RLM = "\u200f"
LI = "https://www.linkedin.com"
ACTIVITY = "urn:li:activity:7300000000000000001"

FACTS = (
    "composer opened by /feed/?shareActive=true (LinkedIn share links) or the feed's "
    "button.share-box-feed-entry__trigger 'Start a post' (MultiPost linkedin.ts, inventory); "
    "the composer renders inside the open shadow root of div#interop-outlet"
    "[data-testid=interop-shadowdom] (public LinkedIn automation code, webbrain PR #461); "
    "editor div.ql-editor[contenteditable=true][role=textbox][aria-multiline=true]"
    "[aria-label='Text editor for creating content'][data-placeholder='What do you want to "
    "talk about?'] inside .share-creation-state__text-editor (public code); Post = "
    "button.share-actions__primary-action, disabled while empty (MultiPost); hidden "
    "input[type=file] in the dialog (public code: setInputFiles on it, no click on 'Add "
    "media'); success toast 'Post successful. View post' with a /feed/update/urn:li:activity "
    "link (inventory); login: form.login__form, input#username (inventory); checkpoint: "
    "/checkpoint/challenge/ 'Let's do a quick security check' / 'Start puzzle', restriction "
    "'Your account has been temporarily restricted' (public code); Arabic 'ابدأ منشورا' from "
    "public code, other Arabic labels are translations not checked against the live site"
)


@dataclass(frozen=True)
class L:
    code: str
    dir: str
    name: str
    start: str
    dialog_title: str
    dismiss: str
    audience: str
    placeholder: str
    editor: str
    add_media: str
    post: str
    posted: str
    view: str
    remove: str
    sign_in: str
    email: str
    password: str
    security: str
    security_body: str
    puzzle: str
    feed: str


EN = L(
    code="en", dir="ltr", name="Alex Example", start="Start a post",
    dialog_title="Create a post", dismiss="Dismiss", audience="Post to Anyone",
    placeholder="What do you want to talk about?", editor="Text editor for creating content",
    add_media="Add media", post="Post", posted="Post successful.", view="View post",
    remove="Remove", sign_in="Sign in", email="Email or phone", password="Password",
    security="Let's do a quick security check",
    security_body="We need to make sure you're not a robot before you continue.",
    puzzle="Start puzzle", feed="Main Feed",
)
AR = L(
    code="ar", dir="rtl", name="سارة مثال", start="ابدأ منشورًا",
    dialog_title="إنشاء منشور", dismiss="تجاهل", audience="النشر لأي شخص",
    placeholder="عمّ تريد التحدث؟", editor="محرر نصوص لإنشاء المحتوى",
    add_media="إضافة وسائط", post=f"{RLM}نشر{RLM}", posted="تم النشر بنجاح.",
    view=f"{RLM}عرض المنشور{RLM}", remove="إزالة", sign_in="تسجيل الدخول",
    email="البريد الإلكتروني أو الهاتف", password="كلمة المرور",
    security="لنقم بإجراء فحص أمني سريع",
    security_body="نحتاج إلى التأكد من أنك لست روبوتًا قبل المتابعة.",
    puzzle="بدء اللغز", feed="الموجز الرئيسي",
)

TEXT = {"en": "Hello 👋 مرحبا — from the fixtures", "ar": "مرحبا 👋 من الملفات الثابتة"}

CSS = """
body{margin:0;background:#f4f2ee;font-family:-apple-system,system-ui,"Segoe UI",Roboto,
"Noto Sans Arabic","DejaVu Sans",sans-serif;color:rgba(0,0,0,.9)}
.global-nav{background:#fff;height:52px;display:flex;align-items:center;padding:0 24px;
border-bottom:1px solid #e8e8e8}
.global-nav__logo{color:#0a66c2;font-weight:700;font-size:26px}
.scaffold{max-width:555px;margin:24px auto;display:flex;flex-direction:column;gap:8px}
.artdeco-card{background:#fff;border-radius:8px;box-shadow:0 0 0 1px rgba(0,0,0,.08);
padding:12px 16px}
.share-box-feed-entry__trigger{width:100%;text-align:start;border:1px solid #8c8c8c;
border-radius:35px;padding:10px 16px;background:#fff;font:inherit;color:#666}
.update-components-text{white-space:pre-wrap}
.meta{color:#666;font-size:12px}
.artdeco-toasts{position:fixed;bottom:24px;inset-inline-start:24px;z-index:20}
.artdeco-toast-item{background:#fff;border-radius:8px;padding:12px 16px;
box-shadow:0 4px 12px rgba(0,0,0,.3);border-inline-start:6px solid #057642}
.login__form{max-width:352px;margin:80px auto;background:#fff;padding:24px;border-radius:8px;
box-shadow:0 4px 12px rgba(0,0,0,.15)}
.login__form input{display:block;width:100%;box-sizing:border-box;padding:12px;margin:8px 0;
font-size:16px}
.btn__primary{width:100%;background:#0a66c2;color:#fff;border:0;border-radius:24px;
padding:12px;font-size:16px;font-weight:600}
.cp{max-width:500px;margin:80px auto;background:#fff;padding:24px;border-radius:8px}
"""

SHADOW_CSS = """
.artdeco-modal-overlay{position:fixed;inset:0;background:rgba(0,0,0,.6);display:grid;
place-items:start center;padding-top:48px;z-index:10}
.artdeco-modal{width:744px;max-width:95vw;background:#fff;border-radius:8px;
font-family:-apple-system,system-ui,"Segoe UI",Roboto,"Noto Sans Arabic","DejaVu Sans",
sans-serif}
.artdeco-modal__header{display:flex;justify-content:space-between;align-items:center;
padding:16px 24px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.share-creation-state__text-editor{padding:0 24px;min-height:200px}
.ql-editor,.editor-text{min-height:180px;outline:none;font-size:18px;white-space:pre-wrap}
.ql-editor.ql-blank::before,.editor-text.blank::before{content:attr(data-placeholder);
color:#666;position:absolute;pointer-events:none}
.ql-editor p,.editor-text p{margin:0}
.media-preview{margin:8px 24px;position:relative}
.media-preview img{width:100%;max-height:220px;min-height:80px;object-fit:cover;
background:#e8e8e8;display:block;border-radius:4px}
.share-box_actions{display:flex;justify-content:space-between;align-items:center;
padding:12px 24px;border-top:1px solid #e8e8e8}
.share-actions__primary-action,.primary-action{background:#0a66c2;color:#fff;border:0;
border-radius:16px;padding:6px 16px;font-weight:600;font-size:16px}
button:disabled{background:#e8e8e8;color:rgba(0,0,0,.3)}
.hidden-input{display:none}
"""


def page(loc: L, state: str, url: str, body: str, title: str) -> str:
    header = (f"<!-- publish-runner fixture: platform=linkedin state={state} locale={loc.code} "
              f"captured=never reconstructed={DATE} source={url} -- RECONSTRUCTION from public "
              f"facts, not a capture (scripts/fixtures_linkedin.py). State: {state}, UI "
              f"language: {loc.code}. Facts: {escape(FACTS, quote=False)} -->")
    return (f"<!DOCTYPE html>\n{header}\n"
            f'<html lang="{loc.code}" dir="{loc.dir}"><head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
            f'<body class="render-mode-BIGPIPE">\n{body}\n</body></html>\n')


def nav() -> str:
    return ('<header class="global-nav" id="global-nav"><span class="global-nav__logo" '
            'aria-hidden="true">in</span></header>')


def share_box(loc: L) -> str:
    return (f'<div class="share-box-feed-entry__closed-share-box artdeco-card">'
            f'<div class="share-box-feed-entry__top-bar">'
            f'<button class="share-box-feed-entry__trigger" type="button">'
            f'<span><strong>{loc.start}</strong></span></button></div></div>')


def activity(loc: L, urn: str, author: str, text: str, when: str) -> str:
    return (f'<div class="artdeco-card feed-shared-update-v2" data-urn="{urn}" '
            f'role="article"><div class="update-components-actor"><span '
            f'class="update-components-actor__title">{author}</span> '
            f'<a class="meta" href="{LI}/feed/update/{urn}/">{when}</a></div>'
            f'<div class="update-components-text" dir="auto">{escape(text)}</div></div>')


def feed(loc: L, posted: bool) -> str:
    items = []
    if posted:
        items.append(activity(loc, ACTIVITY, loc.name, TEXT[loc.code], "1m" if
                              loc.code == "en" else "1 د"))
    items.append(activity(loc, "urn:li:activity:7300000000000000000",
                          "Sam Sample" if loc.code == "en" else "سامي عينة",
                          "Three things we learned shipping our first release."
                          if loc.code == "en" else "ثلاثة أشياء تعلمناها من إصدارنا الأول.",
                          "3h" if loc.code == "en" else "3 س"))
    return (f'<main class="scaffold" id="main" aria-label="{loc.feed}">{share_box(loc)}'
            f"{''.join(items)}</main>")


def modal(loc: L, text: str | None, media: bool, redesign: bool) -> str:
    editor_cls = "editor-text" if redesign else "ql-editor"
    blank = (" blank" if redesign else " ql-blank") if not text else ""
    content = f"<p>{escape(text)}</p>" if text else "<p><br></p>"
    preview = ""
    if media:
        preview = ('<div class="media-preview"><img alt="" '
                   f'src="blob:{LI}/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f">'
                   f'<button type="button" aria-label="{loc.remove}">✕</button></div>')
    disabled = "" if (text or media) else " disabled"
    post_cls = "primary-action" if redesign else "share-actions__primary-action artdeco-button"
    return (f'<div class="artdeco-modal-overlay"><div role="dialog" class="artdeco-modal '
            f'share-box-v2__modal" aria-labelledby="share-to-linkedin-modal__header">'
            f'<div class="artdeco-modal__header"><h2 id="share-to-linkedin-modal__header" '
            f'class="visually-hidden">{loc.dialog_title}</h2>'
            f'<button type="button" class="share-unified-settings-entry-button">'
            f"<strong>{loc.name}</strong> · {loc.audience}</button>"
            f'<button type="button" aria-label="{loc.dismiss}">✕</button></div>'
            f'<div class="share-creation-state"><div class="share-creation-state__text-editor">'
            f'<div class="editor-container"><div class="ql-container">'
            f'<div class="{editor_cls}{blank}" contenteditable="true" role="textbox" '
            f'aria-multiline="true" aria-label="{loc.editor}" '
            f'data-placeholder="{loc.placeholder}" dir="auto">{content}</div></div></div></div>'
            f"{preview}"
            f'<div class="share-box_actions"><button type="button" aria-label="{loc.add_media}">'
            f"🖼</button>"
            f'<input type="file" id="media-editor-file-selector__file-input" '
            f'class="hidden-input" accept="image/gif,image/jpeg,image/jpg,image/png,video/*" '
            f'multiple>'
            f'<button type="button" class="{post_cls}"{disabled}>'
            f'<span class="artdeco-button__text">{loc.post}</span></button></div></div>'
            f"</div></div>")


def outlet(inner: str, redesign: bool) -> str:
    testid = "" if redesign else ' data-testid="interop-shadowdom"'
    return (f'<div id="interop-outlet"{testid}><template shadowrootmode="open">'
            f"<style>{SHADOW_CSS}</style>{inner}</template></div>")


def toast(loc: L, redesign: bool) -> str:
    kind = "" if redesign else ' data-test-artdeco-toast-item-type="success"'
    return (f'<section class="artdeco-toasts" id="artdeco-toasts__wormhole"><div '
            f'class="artdeco-toast-item" role="alert"{kind}><p>'
            f'<span class="artdeco-toast-item__message">{loc.posted}</span> '
            f'<a class="artdeco-toast-item__cta" href="{LI}/feed/update/{ACTIVITY}/">'
            f"{loc.view}</a></p></div></section>")


def feed_page(loc: L, state: str, *, text: str | None = None, media: bool = False,
              dialog: bool = True, posted: bool = False, redesign: bool = False) -> str:
    inner = modal(loc, text, media, redesign) if dialog else ""
    body = (f"{nav()}{feed(loc, posted)}{outlet(inner, redesign)}"
            f"{toast(loc, redesign) if posted else ''}")
    return page(loc, state, f"{LI}/feed/?shareActive=true", body, "Feed | LinkedIn")


def login(loc: L) -> str:
    body = (f'<form class="login__form" method="post" action="/checkpoint/lg/login-submit">'
            f'<h1>{loc.sign_in}</h1><input id="username" name="session_key" type="text" '
            f'aria-label="{loc.email}" placeholder="{loc.email}" autocomplete="username">'
            f'<input id="password" name="session_password" type="password" '
            f'aria-label="{loc.password}" placeholder="{loc.password}">'
            f'<button class="btn__primary" type="submit" aria-label="{loc.sign_in}">'
            f"{loc.sign_in}</button></form>")
    return page(loc, "login", f"{LI}/login", body, f"LinkedIn {loc.sign_in}")


def checkpoint(loc: L) -> str:
    body = (f'{nav()}<main class="cp"><h1>{loc.security}</h1><p>{loc.security_body}</p>'
            f'<form method="post" action="/checkpoint/challenge/verify">'
            f'<iframe id="captcha-internal" title="{loc.security}" width="100%" '
            f'height="80"></iframe><button class="btn__primary" type="button">{loc.puzzle}'
            f"</button></form></main>")
    return page(loc, "checkpoint", f"{LI}/checkpoint/challenge/", body,
                f"{loc.security} | LinkedIn")


def build() -> dict[str, str]:
    files: dict[str, str] = {}
    for loc in (EN, AR):
        sfx = "" if loc.code == "en" else "-ar"
        t = TEXT[loc.code]
        files[f"compose{sfx}.html"] = feed_page(loc, "compose")
        files[f"compose-text{sfx}.html"] = feed_page(loc, "compose-text", text=t)
        files[f"compose-media{sfx}.html"] = feed_page(loc, "compose-media", text=t, media=True)
        files[f"posted{sfx}.html"] = feed_page(loc, "posted", dialog=False, posted=True)
        files[f"login{sfx}.html"] = login(loc)
        files[f"checkpoint{sfx}.html"] = checkpoint(loc)
        files[f"redesign-compose{sfx}.html"] = feed_page(loc, "redesign-compose", redesign=True)
        files[f"redesign-text{sfx}.html"] = feed_page(loc, "redesign-text", text=t,
                                                      redesign=True)
        files[f"redesign-posted{sfx}.html"] = feed_page(loc, "redesign-posted", dialog=False,
                                                        posted=True, redesign=True)
    return files


def scenarios() -> str:
    out = ["# Replay scenarios for LinkedIn, in English and Arabic UI. The fixtures are",
           "# reconstructions (scripts/fixtures_linkedin.py writes this file and them).",
           "platform: linkedin", "scenarios:"]
    for code, sfx, account in (("en", "", "main"), ("ar", "-ar", "arabic")):
        text = TEXT[code]
        feed_, login_ = f"{LI}/feed/**", f"{LI}/login**"

        def sc(name: str, desc: str, pages: dict[str, str], after: dict[str, str],
               expect: list[str], media: bool = False, code: str = code,
               account: str = account, text: str = text) -> None:
            out.extend([f"  {name}-{code}:", f'    description: "{desc}"',
                        f"    account: {account}", f"    locale: {code}"])
            m = ", media: [photo.png]" if media else ""
            out.append(f'    post: {{text: "{text}"{m}}}')
            out.append("    pages:")
            out.extend(f'      "{glob}": {target}' for glob, target in pages.items())
            if after:
                out.append("    after: {" + ", ".join(f"{k}: {v}" for k, v in after.items())
                           + "}")
            out.append("    expect:")
            out.extend(f"      {line}" for line in expect)

        ok = ["status: SUCCEEDED", "error: null", "proofs: [before_confirm, after_publish]"]
        url = f"post_url: {LI}/feed/update/{ACTIVITY}/"
        sc("publish-text", "a text post: the share box in #interop-outlet's shadow root",
           {login_: f"login{sfx}.html", feed_: f"compose{sfx}.html"},
           {"compose": f"compose-text{sfx}.html", "publish": f"posted{sfx}.html"},
           [*ok, "fallbacks: []", url])
        sc("publish-image", "an image post: the dialog's hidden file input, preview, Post",
           {login_: f"login{sfx}.html", feed_: f"compose{sfx}.html"},
           {"compose": f"compose-media{sfx}.html", "publish": f"posted{sfx}.html"},
           [*ok, "fallbacks: []", url], media=True)
        sc("logged-out", "the session expired: /feed/ redirects to /login",
           {login_: f"login{sfx}.html",
            feed_: '{redirect: "' + LI + '/login?session_redirect=%2Ffeed%2F"}'},
           {}, ["status: NEEDS_LOGIN", "proofs: [on_failure]", "fallbacks: []"])
        sc("checkpoint", "a security check (puzzle): FAILED and named, not NEEDS_LOGIN",
           {login_: f"login{sfx}.html", f"{LI}/checkpoint/**": f"checkpoint{sfx}.html",
            feed_: '{redirect: "' + LI + '/checkpoint/challenge/AgF0000000000"}'},
           {}, ["status: FAILED", "error: LinkedIn security check", "proofs: [on_failure]"])
        sc("redesign-fallback",
           "test id, Quill and artdeco classes gone; roles, labels, ids kept",
           {login_: f"login{sfx}.html", feed_: f"redesign-compose{sfx}.html"},
           {"compose": f"redesign-text{sfx}.html", "publish": f"redesign-posted{sfx}.html"},
           [*ok, "fallbacks: [shareOutlet, composerEditor, postButton, successToast]", url])
    return "\n".join(out) + "\n"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, html in build().items():
        (OUT / name).write_text(html, encoding="utf-8")
    tiny_png(OUT / "photo.png", (10, 102, 194))
    (OUT / "scenarios.yaml").write_text(scenarios(), encoding="utf-8")


if __name__ == "__main__":
    main()
