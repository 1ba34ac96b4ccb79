"""Build the Facebook (facebook.com) replay fixtures: reconstructions of the feed composer.

Nobody has captured these pages from a live account yet, so they are rebuilt from public
facts (FACTS below; sources in docs/platforms-facebook-linkedin-tiktok.md): the "Create a
post" region on the feed, the "Create post" dialog with its Lexical editor
(`data-lexical-editor`), the Post button (`div[role=button][aria-label=Post]`, disabled by
`aria-disabled` while empty), the composer's file inputs (one in the feed box, one in the
dialog), feed items (`aria-posinset`, `data-ad-preview="message"`), the login page
(`royal_*` test ids, `button[name=login]`) and the `/checkpoint/` pages. When someone
captures the real pages (`publish-runner capture facebook …`), the captures replace these.

Run `.venv/bin/python scripts/fixtures_facebook.py`; it rewrites fixtures/facebook/.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from _fixturekit import tiny_png

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "facebook"
DATE = "2026-11-28"
RLM = "\u200f"
FB = "https://www.facebook.com"
ACCEPT = "image/*,image/heif,image/heic,video/*,video/mp4,video/x-m4v,video/x-matroska,.mkv"

FACTS = (
    "feed composer div[role=region][aria-label='Create a post'] with a button 'What's on your "
    "mind, NAME?' and 'Photo/video' (MultiPost facebook.ts, selector inventory); dialog "
    "'Create post' with the Lexical editor div[contenteditable=true][role=textbox]"
    "[spellcheck=true][tabindex=0][data-lexical-editor=true][aria-placeholder] (MultiPost "
    "facebook.ts); Post = div[aria-label=Post][role=button], aria-disabled while empty "
    "(MultiPost, inventory); file inputs input[type=file][accept='" + ACCEPT + "'], one per "
    "composer, the dialog's is the last (MultiPost); feed role=feed items with aria-posinset, "
    "post text [data-ad-preview=message]; login form data-testid=royal_login_form, "
    "input[name=email], button[name=login] (inventory); /checkpoint/ URLs (public login code); "
    "Arabic 'بم تفكر' (public code matching Facebook's Arabic composer), other Arabic labels "
    "are translations, not checked against the live site"
)


@dataclass(frozen=True)
class L:
    code: str
    dir: str
    name: str
    mind: str
    create_region: str
    photo: str
    feeling: str
    dialog_title: str
    close: str
    privacy: str
    public: str
    add_to_post: str
    post: str
    remove: str
    just_now: str
    hours: str
    profile: str
    home: str
    feed: str
    login_title: str
    email: str
    password: str
    login: str
    forgot: str
    create_account: str
    locked: str
    locked_body: str
    get_started: str
    uploading: str


EN = L(
    code="en", dir="ltr", name="Alex Example", mind="What's on your mind, Alex?",
    create_region="Create a post", photo="Photo/video", feeling="Feeling/activity",
    dialog_title="Create post", close="Close", privacy="Edit privacy. Sharing with Public.",
    public="Public", add_to_post="Add to your post", post="Post", remove="Remove",
    just_now="Just now", hours="3h", profile="Your profile", home="Home", feed="News Feed posts",
    login_title="Log in to Facebook", email="Email or phone number", password="Password",
    login="Log in", forgot="Forgotten password?", create_account="Create new account",
    locked="Your account has been locked",
    locked_body="We noticed unusual activity on your account. To protect it, you need to "
    "confirm it's you before you can use Facebook again.",
    get_started="Get started", uploading="Uploading",
)
AR = L(
    code="ar", dir="rtl", name="سارة مثال", mind="بم تفكر يا سارة؟",
    create_region="إنشاء منشور", photo="صورة/فيديو", feeling="شعور/نشاط",
    dialog_title="إنشاء منشور", close="إغلاق", privacy="تعديل الخصوصية. المشاركة مع العامة.",
    public="العامة", add_to_post="إضافة إلى منشورك", post=f"{RLM}نشر{RLM}", remove="إزالة",
    just_now=f"{RLM}الآن", hours="3 س", profile="ملفك الشخصي", home="الرئيسية",
    feed="منشورات آخر الأخبار",
    login_title="تسجيل الدخول إلى فيسبوك", email="البريد الإلكتروني أو رقم الهاتف",
    password="كلمة السر", login="تسجيل الدخول", forgot="هل نسيت كلمة السر؟",
    create_account="إنشاء حساب جديد", locked="تم قفل حسابك",
    locked_body="لاحظنا نشاطًا غير عادي على حسابك. لحمايته، يجب أن تؤكد هويتك قبل أن "
    "تتمكن من استخدام فيسبوك مرة أخرى.",
    get_started="بدء", uploading="جارٍ التحميل",
)

TEXT = {"en": "Hello 👋 مرحبا — from the fixtures", "ar": "مرحبا 👋 من الملفات الثابتة"}

CSS = """
body{margin:0;background:#f0f2f5;font-family:"Segoe UI",Helvetica,Arial,"Noto Sans Arabic",
"DejaVu Sans",sans-serif;color:#050505}
[role=banner]{background:#fff;height:56px;display:flex;align-items:center;gap:16px;
padding:0 16px;box-shadow:0 1px 2px rgba(0,0,0,.2)}
.logo{color:#0866ff;font-weight:700;font-size:28px;text-decoration:none}
.spacer{flex:1}
.round{width:40px;height:40px;border-radius:50%;background:#d8dadf;display:inline-grid;
place-items:center;font-weight:700}
[role=main]{max-width:590px;margin:16px auto;display:flex;flex-direction:column;gap:16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.2);padding:12px 16px}
.row{display:flex;gap:8px;align-items:center}
.mind{flex:1;background:#f0f2f5;border-radius:20px;padding:9px 12px;color:#65676b;cursor:pointer}
.tools{display:flex;justify-content:space-around;border-top:1px solid #ced0d4;margin-top:12px;
padding-top:8px;color:#65676b;font-weight:600}
.hidden-input{display:none}
.meta{color:#65676b;font-size:13px}
.meta a{color:inherit;text-decoration:none}
h4{margin:0;font-size:15px}
.msg{margin-top:8px;font-size:15px;white-space:pre-wrap}
.overlay{position:fixed;inset:0;background:rgba(244,244,244,.8);display:grid;
place-items:center;z-index:10}
[role=dialog]{width:500px;background:#fff;border-radius:8px;box-shadow:0 12px 28px
rgba(0,0,0,.2)}
[role=dialog] h2{margin:0;padding:16px;text-align:center;font-size:20px;
border-bottom:1px solid #e4e6eb}
.close{position:absolute;margin-top:-50px;inset-inline-end:calc(50% - 235px);cursor:pointer}
.author{padding:16px 16px 0}
.editor-wrap{position:relative;padding:8px 16px}
[data-lexical-editor]{min-height:90px;outline:none;font-size:24px}
[data-lexical-editor] p{margin:0}
.ph{position:absolute;top:8px;inset-inline-start:16px;color:#65676b;font-size:24px;
pointer-events:none}
.add{margin:8px 16px;border:1px solid #ced0d4;border-radius:8px;padding:8px 16px;
display:flex;justify-content:space-between;align-items:center}
.preview{margin:8px 16px;position:relative;border:1px solid #ced0d4;border-radius:8px;
padding:8px}
.preview img{width:100%;max-height:200px;object-fit:cover;border-radius:6px;display:block;
min-height:80px;background:#e4e6eb}
.preview .rm{position:absolute;top:12px;inset-inline-end:12px;background:#fff;
border-radius:50%;width:28px;height:28px;display:grid;place-items:center;cursor:pointer}
.post{margin:8px 16px 16px;background:#0866ff;color:#fff;border-radius:6px;text-align:center;
padding:8px;font-weight:600;cursor:pointer}
.post[aria-disabled=true]{background:#e4e6eb;color:#bcc0c4;cursor:not-allowed}
.login{max-width:396px;margin:80px auto;background:#fff;border-radius:8px;padding:16px;
box-shadow:0 2px 4px rgba(0,0,0,.1)}
.login input{display:block;width:100%;box-sizing:border-box;font-size:17px;padding:14px 16px;
margin:6px 0;border:1px solid #dddfe2;border-radius:6px}
.login button{width:100%;background:#0866ff;color:#fff;border:0;border-radius:6px;
font-size:20px;font-weight:700;padding:10px;margin-top:6px}
.cp{max-width:500px;margin:80px auto;background:#fff;border-radius:8px;padding:24px}
"""


def page(loc: L, state: str, url: str, body: str, title: str = "Facebook") -> str:
    header = (f"<!-- publish-runner fixture: platform=facebook state={state} locale={loc.code} "
              f"captured=never reconstructed={DATE} source={url} -- RECONSTRUCTION from public "
              f"facts, not a capture (scripts/fixtures_facebook.py). State: {state}, UI "
              f"language: {loc.code}. Facts: {escape(FACTS, quote=False)} -->")
    return (f"<!DOCTYPE html>\n{header}\n"
            f'<html lang="{loc.code}" dir="{loc.dir}" id="facebook"><head>\n'
            f'<meta charset="utf-8">\n<title>{escape(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body></html>\n")


def banner(loc: L) -> str:
    return (f'<div role="banner"><a class="logo" href="{FB}/" aria-label="Facebook">f</a>'
            f'<div role="navigation" aria-label="{loc.home}"><a href="{FB}/" '
            f'aria-label="{loc.home}">⌂</a></div><span class="spacer"></span>'
            f'<div role="button" tabindex="0" aria-label="{loc.profile}" class="round">'
            f"{loc.name[0]}</div></div>")


def feed_box(loc: L) -> str:
    return (f'<div class="card" role="region" aria-label="{loc.create_region}">'
            f'<div class="row"><a href="{FB}/alex.example" class="round" '
            f'aria-label="{loc.name}">{loc.name[0]}</a>'
            f'<div role="button" tabindex="0" class="mind"><span>{loc.mind}</span></div></div>'
            f'<div class="tools"><div role="button" tabindex="0"><span>{loc.photo}</span></div>'
            f'<div role="button" tabindex="0"><span>{loc.feeling}</span></div></div>'
            f'<input type="file" accept="{ACCEPT}" multiple class="hidden-input"></div>')


def article(loc: L, n: int, author: str, when: str, link: str, text: str,
            redesign: bool) -> str:
    pos = "" if redesign else f' aria-posinset="{n}" aria-setsize="-1"'
    msg = ("" if redesign else ' data-ad-preview="message" data-ad-comet-preview="message"')
    return (f'<div class="card" role="article"{pos} aria-labelledby="p{n}-title">'
            f'<h4 id="p{n}-title"><a href="{FB}/{link.split("/posts/")[0]}">'
            f"<strong>{author}</strong></a></h4>"
            f'<div class="meta"><a href="{FB}/{link}" aria-label="{when}">{when}</a> · 🌐</div>'
            f'<div class="msg"{msg}><div dir="auto">{escape(text)}</div></div></div>')


OLDER = {"en": "Weekend photos from the lake.", "ar": "صور عطلة نهاية الأسبوع من البحيرة."}


def feed(loc: L, posted: bool, redesign: bool) -> str:
    items = []
    if posted:
        items.append(article(loc, 1, loc.name, loc.just_now,
                             "alex.example/posts/1000000000000001", TEXT[loc.code], redesign))
    items.append(article(loc, len(items) + 1, "Sam Sample" if loc.code == "en" else "سامي عينة",
                         loc.hours, "sam.sample/posts/1000000000000000", OLDER[loc.code],
                         redesign))
    return f'<div role="feed" aria-label="{loc.feed}">{"".join(items)}</div>'


def dialog(loc: L, text: str | None, media: bool, redesign: bool) -> str:
    lexical = "" if redesign else ' data-lexical-editor="true"'
    if text:
        content = (f'<p dir="auto"><span data-lexical-text="true">{escape(text)}</span></p>')
        ph = ""
    else:
        content = "<p><br></p>"
        ph = f'<div class="ph" aria-hidden="true">{loc.mind}</div>'
    preview = ""
    if media:
        preview = (f'<div class="preview"><img alt="" '
                   f'src="blob:{FB}/5b0c7e1a-3f7d-4f2e-9a61-0d2c4e8b7a10">'
                   f'<div role="button" tabindex="0" class="rm" aria-label="{loc.remove}">×</div>'
                   f"</div>")
    disabled = "" if (text or media) else ' aria-disabled="true"'
    tab = "0" if (text or media) else "-1"
    return (f'<div class="overlay"><div role="dialog" aria-labelledby="composer-title">'
            f'<form method="POST"><h2 id="composer-title">{loc.dialog_title}</h2>'
            f'<div role="button" tabindex="0" class="close" aria-label="{loc.close}">✕</div>'
            f'<div class="author row"><span class="round">{loc.name[0]}</span><div>'
            f"<strong>{loc.name}</strong><br>"
            f'<div role="button" tabindex="0" aria-label="{loc.privacy}" class="meta">'
            f"🌐 {loc.public}</div></div></div>"
            f'<div class="editor-wrap"><div contenteditable="true" role="textbox" '
            f'spellcheck="true" tabindex="0"{lexical} aria-placeholder="{loc.mind}" '
            f'style="user-select:text;white-space:pre-wrap;word-break:break-word">{content}'
            f"</div>{ph}</div>{preview}"
            f'<div class="add"><span>{loc.add_to_post}</span>'
            f'<div role="button" tabindex="0" aria-label="{loc.photo}">🖼</div></div>'
            f'<input type="file" accept="{ACCEPT}" multiple class="hidden-input">'
            f'<div aria-label="{loc.post}" role="button" tabindex="{tab}" class="post"'
            f"{disabled}><span>{loc.post.strip(RLM)}</span></div>"
            f"</form></div></div>")


def home(loc: L, state: str, *, dialog_html: str = "", posted: bool = False,
         redesign: bool = False) -> str:
    body = (f'<div id="mount_0_0">{banner(loc)}<div role="main">{feed_box(loc)}'
            f"{feed(loc, posted, redesign)}</div>{dialog_html}</div>")
    return page(loc, state, f"{FB}/", body)


def login(loc: L) -> str:
    body = (f'<div class="login"><h2 style="text-align:center">{loc.login_title}</h2>'
            f'<form data-testid="royal_login_form" method="post" action="/login/">'
            f'<input type="text" name="email" id="email" data-testid="royal_email" '
            f'placeholder="{loc.email}" aria-label="{loc.email}" autocomplete="username">'
            f'<input type="password" name="pass" id="pass" data-testid="royal_pass" '
            f'placeholder="{loc.password}" aria-label="{loc.password}">'
            f'<button type="submit" name="login" data-testid="royal_login_button">'
            f'{loc.login}</button></form><p style="text-align:center"><a href="{FB}/recover/">'
            f'{loc.forgot}</a></p><hr><p style="text-align:center"><a role="button" '
            f'href="{FB}/r.php">{loc.create_account}</a></p></div>')
    return page(loc, "login", f"{FB}/login/", body, title=loc.login_title)


def checkpoint(loc: L) -> str:
    body = (f'{banner(loc)}<div class="cp" role="main"><form method="post" '
            f'action="/checkpoint/?next"><h2>{loc.locked}</h2><p>{loc.locked_body}</p>'
            f'<button type="submit" name="submit[Continue]" id="checkpointSubmitButton">'
            f"{loc.get_started}</button></form></div>")
    return page(loc, "checkpoint", f"{FB}/checkpoint/", body, title=loc.locked)


def build() -> dict[str, str]:
    files: dict[str, str] = {}
    for loc in (EN, AR):
        sfx = "" if loc.code == "en" else "-ar"
        t = TEXT[loc.code]
        files[f"feed{sfx}.html"] = home(loc, "feed")
        files[f"compose{sfx}.html"] = home(loc, "compose",
                                           dialog_html=dialog(loc, None, False, False))
        files[f"compose-text{sfx}.html"] = home(loc, "compose-text",
                                                dialog_html=dialog(loc, t, False, False))
        files[f"compose-media{sfx}.html"] = home(loc, "compose-media",
                                                 dialog_html=dialog(loc, t, True, False))
        files[f"posted{sfx}.html"] = home(loc, "posted", posted=True)
        files[f"login{sfx}.html"] = login(loc)
        files[f"checkpoint{sfx}.html"] = checkpoint(loc)
        files[f"redesign-compose{sfx}.html"] = home(
            loc, "redesign-compose", dialog_html=dialog(loc, None, False, True), redesign=True)
        files[f"redesign-text{sfx}.html"] = home(
            loc, "redesign-text", dialog_html=dialog(loc, t, False, True), redesign=True)
        files[f"redesign-posted{sfx}.html"] = home(loc, "redesign-posted", posted=True,
                                                   redesign=True)
    return files


def scenarios() -> str:
    out = ["# Replay scenarios for Facebook, in English and Arabic UI. The fixtures are",
           "# reconstructions (scripts/fixtures_facebook.py writes this file and them).",
           "platform: facebook", "scenarios:"]
    for code, sfx, account in (("en", "", "main"), ("ar", "-ar", "arabic")):
        text = TEXT[code]
        home_, login_ = f"{FB}/", f"{FB}/login/**"

        def sc(name: str, desc: str, pages: dict[str, str], after: dict[str, str],
               expect: list[str], media: bool = False, code: str = code,
               account: str = account, text: str = text) -> None:
            out.append(f"  {name}-{code}:")
            out.append(f'    description: "{desc}"')
            out.append(f"    account: {account}")
            out.append(f"    locale: {code}")
            m = ", media: [photo.png]" if media else ""
            out.append(f'    post: {{text: "{text}"{m}}}')
            out.append("    pages:")
            for glob, target in pages.items():
                out.append(f'      "{glob}": {target}')
            if after:
                out.append("    after: {" + ", ".join(f"{k}: {v}" for k, v in after.items())
                           + "}")
            out.append("    expect:")
            out.extend(f"      {line}" for line in expect)

        ok = ["status: SUCCEEDED", "error: null", "proofs: [before_confirm, after_publish]"]
        sc("publish-text", "a text post: feed, Create post dialog, Lexical editor, Post",
           {login_: f"login{sfx}.html", home_: f"feed{sfx}.html"},
           {"login_check": f"compose{sfx}.html", "compose": f"compose-text{sfx}.html",
            "publish": f"posted{sfx}.html"}, [*ok, "fallbacks: []"])
        sc("publish-image", "a photo post: the dialog's file input, preview, Post",
           {login_: f"login{sfx}.html", home_: f"feed{sfx}.html"},
           {"login_check": f"compose{sfx}.html", "compose": f"compose-media{sfx}.html",
            "publish": f"posted{sfx}.html"}, [*ok, "fallbacks: []"], media=True)
        sc("logged-out", "the session expired: facebook.com sends the browser to /login/",
           {login_: f"login{sfx}.html",
            home_: "{redirect: \"" + FB + "/login/?next=https%3A%2F%2Fwww.facebook.com%2F\"}"},
           {}, ["status: NEEDS_LOGIN", "proofs: [on_failure]", "fallbacks: []"])
        sc("checkpoint", "a locked account: FAILED with the checkpoint named, not NEEDS_LOGIN",
           {login_: f"login{sfx}.html", f"{FB}/checkpoint/**": f"checkpoint{sfx}.html",
            home_: "{redirect: \"" + FB + "/checkpoint/?next=https%3A%2F%2Fwww.facebook.com%2F\"}"},
           {}, ["status: FAILED", "error: Facebook locked the account", "proofs: [on_failure]"])
        sc("redesign-fallback",
           "data-lexical-editor and aria-posinset gone; roles and labels kept",
           {login_: f"login{sfx}.html", home_: f"feed{sfx}.html"},
           {"login_check": f"redesign-compose{sfx}.html",
            "compose": f"redesign-text{sfx}.html", "publish": f"redesign-posted{sfx}.html"},
           [*ok, "fallbacks: [composerDialog, composerEditor, justPosted]"])
    return "\n".join(out) + "\n"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, html in build().items():
        (OUT / name).write_text(html, encoding="utf-8")
    tiny_png(OUT / "photo.png", (8, 102, 255))
    (OUT / "scenarios.yaml").write_text(scenarios(), encoding="utf-8")


if __name__ == "__main__":
    main()
