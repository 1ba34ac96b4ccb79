"""Build the TikTok Studio (tiktok.com/tiktokstudio) replay fixtures: reconstructions.

Nobody has captured these pages from a live account yet, so they are rebuilt from public
facts (FACTS below; sources in docs/platforms-facebook-linkedin-tiktok.md). The Studio shell
at /tiktokstudio/upload hosts the uploader in `iframe[data-tt="Upload_index_iframe"]`; the
frame carries TikTok's `data-e2e` hooks (select_video_button, upload_status_container,
caption_container with a Draft.js editor, post_video_button). After Post, Studio moves to
/tiktokstudio/content, whose table links the new video.

Replay serves every document request, subframes included, by URL; a swapped-in page
reloads its frame, so each UI state's frame gets its own URL (`&fixture=<state>`), an
artefact of the fixtures, not TikTok's real frame URL. The "posting" page is a meta refresh
to /tiktokstudio/content: how a JavaScript-off fixture reproduces Studio's navigation.

Run `.venv/bin/python scripts/fixtures_tiktok.py`; it rewrites fixtures/tiktok/.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from html import escape
from pathlib import Path

from _fixturekit import tiny_png

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "tiktok"
DATE = "2026-11-28"
RLM = "\u200f"
TT = "https://www.tiktok.com"
VIDEO_URL = f"{TT}/@alex.example/video/7400000000000000001"

FACTS = (
    "upload URL https://www.tiktok.com/tiktokstudio/upload, uploader in "
    "iframe[data-tt=Upload_index_iframe] (social-auto-upload tk_uploader, tiktok-uploader); "
    "data-e2e hooks select_video_button, upload_status_container, caption_container, "
    "post_video_button (public TikTok Studio uploader, DOM recon 2026-07-01); file input "
    "input[type=file][accept='video/*'] (MultiPost, tiktok-uploader); caption = Draft.js "
    "div.public-DraftEditor-content[contenteditable=true], prefilled with the file name "
    "(social-auto-upload: Control+A, Delete, insert_text); Post disabled until the upload is "
    "done; success = navigation to /tiktokstudio/content, rows "
    "div[data-tt=components_PostTable_Container] div[data-tt=components_PostInfoCell_Container] a "
    "with /video/ID (social-auto-upload); captcha #captcha-verify-container-main-page, "
    ".captcha_verify_container, 'Drag the slider to fit the puzzle' (public TikTok code); login "
    "button[data-e2e=login-button], URL /login (tiktok-uploader auth.py); Arabic labels are "
    "translations, not checked against the live site"
)


@dataclass(frozen=True)
class L:
    code: str
    dir: str
    studio: str
    upload: str
    select: str
    select_hint: str
    drag: str
    uploaded: str
    description: str
    post: str
    discard: str
    unsupported: str
    login_title: str
    login: str
    email: str
    password: str
    captcha_title: str
    captcha_hint: str
    refresh: str
    posts: str
    manage: str


EN = L(
    code="en", dir="ltr", studio="TikTok Studio", upload="Upload", select="Select video",
    select_hint="Select video to upload", drag="Or drag and drop it here", uploaded="Uploaded",
    description="Description", post="Post", discard="Discard",
    unsupported="Unsupported file format. Use MP4, WebM or MOV.",
    login_title="Log in to TikTok", login="Log in", email="Email or username",
    password="Password", captcha_title="Verify to continue:",
    captcha_hint="Drag the slider to fit the puzzle", refresh="Refresh", posts="Posts",
    manage="Manage your posts",
)
AR = L(
    code="ar", dir="rtl", studio="TikTok Studio", upload="تحميل", select="اختيار فيديو",
    select_hint="اختر فيديو لتحميله", drag="أو اسحبه وأفلته هنا", uploaded="تم التحميل",
    description="الوصف", post=f"{RLM}نشر{RLM}", discard="تجاهل",
    unsupported="تنسيق ملف غير مدعوم. استخدم MP4 أو WebM أو MOV.",
    login_title="تسجيل الدخول إلى TikTok", login="تسجيل الدخول",
    email="البريد الإلكتروني أو اسم المستخدم", password="كلمة المرور",
    captcha_title="تحقق للمتابعة:", captcha_hint="اسحب شريط التمرير لتركيب قطعة اللغز",
    refresh="تحديث", posts="المنشورات", manage="إدارة منشوراتك",
)

TEXT = {"en": "Hello 👋 مرحبا — from the fixtures", "ar": "مرحبا 👋 من الملفات الثابتة"}

CSS = """
body{margin:0;background:#f8f8f8;font-family:TikTokFont,Arial,"Noto Sans Arabic",
"DejaVu Sans",sans-serif;color:#161823}
.studio-header{height:60px;background:#fff;display:flex;align-items:center;padding:0 24px;
border-bottom:1px solid #e3e3e4;font-weight:700;font-size:20px}
.studio-body{display:flex}
.studio-nav{width:220px;padding:16px}
.studio-main{flex:1;padding:16px}
iframe[data-tt]{width:100%;height:640px;border:0;background:#fff;border-radius:8px}
.upload-card{border:2px dashed #d0d0d3;border-radius:8px;padding:48px;text-align:center}
.TUXButton--primary{background:#fe2c55;color:#fff;border:0;border-radius:4px;padding:8px 32px;
font-size:16px;font-weight:600}
.TUXButton--primary:disabled{background:#ebebeb;color:#a7a7ab}
.status{border:1px solid #e3e3e4;border-radius:8px;padding:12px;margin-bottom:16px}
.bar{height:4px;background:#e3e3e4;border-radius:2px;margin-top:6px}
.bar span{display:block;height:4px;background:#00c39b;border-radius:2px}
.error{color:#fe2c55}
.caption-wrap{border:1px solid #e3e3e4;border-radius:8px;padding:12px;min-height:80px}
.public-DraftEditor-content{outline:none;white-space:pre-wrap;min-height:60px}
.footer{display:flex;gap:12px;margin-top:16px}
.hidden-input{display:none}
table{width:100%;background:#fff;border-collapse:collapse}
td{padding:12px;border-bottom:1px solid #e3e3e4}
.login{max-width:380px;margin:60px auto;background:#fff;padding:24px;border-radius:8px}
.login input{display:block;width:100%;box-sizing:border-box;margin:8px 0;padding:12px}
.overlay{position:fixed;inset:0;background:rgba(0,0,0,.5);display:grid;place-items:center}
.captcha_verify_container{background:#fff;border-radius:8px;padding:24px;width:340px}
.slider{height:40px;background:#f1f1f2;border-radius:20px;margin-top:16px}
"""


def mp4(path: Path) -> None:
    """A tiny MP4 container (ftyp + free + empty mdat): enough for a file input."""
    ftyp = b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
    boxes = [(b"ftyp", ftyp), (b"free", b""), (b"mdat", b"")]
    path.write_bytes(b"".join(struct.pack(">I", 8 + len(d)) + k + d for k, d in boxes))


def page(loc: L, state: str, url: str, body: str, title: str, head: str = "") -> str:
    header = (f"<!-- publish-runner fixture: platform=tiktok state={state} locale={loc.code} "
              f"captured=never reconstructed={DATE} source={url} -- RECONSTRUCTION from public "
              f"facts, not a capture (scripts/fixtures_tiktok.py). State: {state}, UI "
              f"language: {loc.code}. Facts: {escape(FACTS, quote=False)} -->")
    return (f"<!DOCTYPE html>\n{header}\n"
            f'<html lang="{loc.code}" dir="{loc.dir}"><head>\n<meta charset="utf-8">\n{head}'
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
            f"</body></html>\n")


def frame_url(loc: L, state: str) -> str:
    return f"{TT}/creator?lang={loc.code}&fixture={state}"


def shell(loc: L, state: str, frame_state: str, extra: str = "") -> str:
    src = frame_url(loc, frame_state) + "#/upload?scene=creator_center"
    body = (f'<header class="studio-header">{loc.studio}</header><div class="studio-body">'
            f'<nav class="studio-nav" aria-label="{loc.studio}"><a href="{TT}/tiktokstudio/'
            f'upload">{loc.upload}</a><br><a href="{TT}/tiktokstudio/content">{loc.posts}</a>'
            f'</nav><main class="studio-main"><iframe data-tt="Upload_index_iframe" '
            f'title="{loc.upload}" src="{escape(src)}"></iframe></main></div>{extra}')
    return page(loc, state, f"{TT}/tiktokstudio/upload", body, f"{loc.studio} | TikTok")


def frame(loc: L, state: str, *, caption: str | None = None, error: bool = False,
          redesign: bool = False) -> str:
    def e2e(name: str) -> str:
        return "" if redesign and name != "upload_status_container" else f' data-e2e="{name}"'

    video_input = ('<input type="file" accept="video/*" class="hidden-input">')
    if state == "select" or error:
        status = ""
        if error:
            status = (f'<div class="status"{e2e("upload_status_container")}><div role="alert" '
                      f'class="error">{loc.unsupported}</div></div>')
        body = (f'<div class="upload-card">{status}<p><strong>{loc.select_hint}</strong></p>'
                f"<p>{loc.drag}</p>{video_input}"
                f'<button type="button" class="TUXButton--primary" aria-label="{loc.select}"'
                f'{e2e("select_video_button")}>{loc.select}</button></div>')
    else:
        text = caption if caption is not None else "clip"
        body = (f'<div class="status"{e2e("upload_status_container")}><div>clip.mp4 · '
                f'<span>{loc.uploaded}</span></div><div class="bar" role="progressbar" '
                f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="100" '
                f'aria-label="{loc.uploaded}"><span style="width:100%"></span></div>'
                f"{video_input}</div>"
                f'<label id="caption-label">{loc.description}</label>'
                f'<div class="caption-wrap"{e2e("caption_container")}>'
                f'<div class="DraftEditor-root">'
                f'<div class="public-DraftEditor-content" contenteditable="true" role="textbox" '
                f'aria-labelledby="caption-label" aria-multiline="true" spellcheck="false">'
                f'<div data-contents="true"><div data-block="true"><div '
                f'class="public-DraftStyleDefault-block"><span data-text="true">{escape(text)}'
                f"</span></div></div></div></div></div></div>"
                f'<div class="footer"><button type="button" class="TUXButton--primary" '
                f'aria-label="{loc.post}"{e2e("post_video_button")}>{loc.post.strip(RLM)}'
                f'</button><button type="button">{loc.discard}</button></div>')
    return page(loc, f"frame-{state}", frame_url(loc, state), body, loc.upload)


def posting(loc: L) -> str:
    head = f'<meta http-equiv="refresh" content="0; url={TT}/tiktokstudio/content">\n'
    return page(loc, "posting", f"{TT}/tiktokstudio/upload", "", loc.studio, head=head)


def content(loc: L) -> str:
    rows = "".join(
        f'<tr><td><div data-tt="components_PostInfoCell_Container"><a href="{href}">'
        f'<span class="caption">{escape(text)}</span></a></div></td></tr>'
        for href, text in ((VIDEO_URL, TEXT[loc.code]),
                           (f"{TT}/@alex.example/video/7400000000000000000", "clip 2")))
    body = (f'<header class="studio-header">{loc.studio}</header><main class="studio-main">'
            f'<h1>{loc.manage}</h1><div data-tt="components_PostTable_Container"><table>'
            f"{rows}</table></div></main>")
    return page(loc, "content", f"{TT}/tiktokstudio/content", body, f"{loc.posts} | TikTok")


def login(loc: L) -> str:
    body = (f'<div class="login"><h2>{loc.login_title}</h2><form method="post">'
            f'<input name="username" type="text" placeholder="{loc.email}" '
            f'aria-label="{loc.email}"><input type="password" placeholder="{loc.password}" '
            f'aria-label="{loc.password}"><button type="submit" data-e2e="login-button" '
            f'class="TUXButton--primary">{loc.login}</button></form></div>')
    return page(loc, "login", f"{TT}/login/phone-or-email/email", body, loc.login_title)


def captcha(loc: L) -> str:
    return (f'<div class="overlay TUXModal-overlay"><div id="captcha-verify-container-main-page" '
            f'class="captcha_verify_container captcha-verify-container" role="dialog" '
            f'aria-modal="true" aria-labelledby="captcha-title"><h3 id="captcha-title">'
            f'{loc.captcha_title}</h3><p>{loc.captcha_hint}</p><div class="slider" '
            f'id="secsdk-captcha-drag-wrapper"></div><button type="button">{loc.refresh}'
            f"</button></div></div>")


FRAME_STATES = ("select", "uploaded", "text", "unsupported", "redesign-select",
                "redesign-uploaded", "redesign-text")


def build() -> dict[str, str]:
    files: dict[str, str] = {}
    for loc in (EN, AR):
        sfx = "" if loc.code == "en" else "-ar"
        t = TEXT[loc.code]
        files[f"upload{sfx}.html"] = shell(loc, "upload", "select")
        files[f"compose-media{sfx}.html"] = shell(loc, "compose-media", "uploaded")
        files[f"compose-text{sfx}.html"] = shell(loc, "compose-text", "text")
        files[f"unsupported{sfx}.html"] = shell(loc, "unsupported", "unsupported")
        files[f"captcha{sfx}.html"] = shell(loc, "captcha", "select", extra=captcha(loc))
        files[f"redesign-upload{sfx}.html"] = shell(loc, "redesign-upload", "redesign-select")
        files[f"redesign-media{sfx}.html"] = shell(loc, "redesign-media", "redesign-uploaded")
        files[f"redesign-text{sfx}.html"] = shell(loc, "redesign-text", "redesign-text")
        files[f"frame-select{sfx}.html"] = frame(loc, "select")
        files[f"frame-uploaded{sfx}.html"] = frame(loc, "uploaded")
        files[f"frame-text{sfx}.html"] = frame(loc, "text", caption=t)
        files[f"frame-unsupported{sfx}.html"] = frame(loc, "unsupported", error=True)
        files[f"frame-redesign-select{sfx}.html"] = frame(loc, "select", redesign=True)
        files[f"frame-redesign-uploaded{sfx}.html"] = frame(loc, "uploaded", redesign=True)
        files[f"frame-redesign-text{sfx}.html"] = frame(loc, "text", caption=t, redesign=True)
        files[f"posting{sfx}.html"] = posting(loc)
        files[f"content{sfx}.html"] = content(loc)
        files[f"login{sfx}.html"] = login(loc)
    return files


def scenarios() -> str:
    out = ["# Replay scenarios for TikTok Studio, in English and Arabic UI. The fixtures are",
           "# reconstructions (scripts/fixtures_tiktok.py writes this file and them).",
           "# TikTok is video-only here: a post without media fails before anything is done,",
           "# an image is refused by the uploader (its own error text).",
           "platform: tiktok", "scenarios:"]
    for loc, sfx, account in ((EN, "", "main"), (AR, "-ar", "arabic")):
        code = loc.code
        frames = {frame_url(loc, s): f"frame-{s}{sfx}.html" for s in FRAME_STATES}
        base = {f"{TT}/login**": f"login{sfx}.html",
                f"{TT}/tiktokstudio/content**": f"content{sfx}.html", **frames}

        def sc(name: str, desc: str, pages: dict[str, str], after: dict[str, str],
               expect: list[str], media: str | None = "clip.mp4", code: str = code,
               account: str = account, base: dict[str, str] = base) -> None:
            out.extend([f"  {name}-{code}:", f'    description: "{desc}"',
                        f"    account: {account}", f"    locale: {code}"])
            m = f", media: [{media}]" if media else ""
            out.append(f'    post: {{text: "{TEXT[code]}"{m}}}')
            out.append("    pages:")
            out.extend(f'      "{g}": {t}' for g, t in {**base, **pages}.items())
            if after:
                out.append("    after: {" + ", ".join(f"{k}: {v}" for k, v in after.items())
                           + "}")
            out.append("    expect:")
            out.extend(f"      {line}" for line in expect)

        up = f"{TT}/tiktokstudio/upload**"
        ok = ["status: SUCCEEDED", "error: null", "proofs: [before_confirm, after_publish]"]
        sc("publish-video", "a video: upload frame, Draft.js caption, Post, Studio content list",
           {up: f"upload{sfx}.html"},
           {"compose": f"compose-media{sfx}.html", "attach": f"compose-text{sfx}.html",
            "publish": f"posting{sfx}.html"}, [*ok, "fallbacks: []", f"post_url: {VIDEO_URL}"])
        sc("text-only-refused", "no video: FAILED before anything is uploaded or typed",
           {up: f"upload{sfx}.html"}, {}, ["status: FAILED", "error: TikTok publishes videos only",
                                           "proofs: [on_failure]"], media=None)
        sc("image-refused", "an image, no video: FAILED before anything is uploaded",
           {up: f"upload{sfx}.html"}, {}, ["status: FAILED",
                                           "error: TikTok publishes videos only",
                                           "proofs: [on_failure]"], media="photo.png")
        sc("video-rejected", "a video the uploader refuses: FAILED with its own error",
           {up: f"upload{sfx}.html"}, {"compose": f"unsupported{sfx}.html"},
           ["status: FAILED", f"error: {loc.unsupported}", "proofs: [on_failure]"],
           media="clip.mp4")
        sc("logged-out", "the session expired: Studio redirects to /login",
           {up: '{redirect: "' + TT + '/login?redirect_url=https%3A%2F%2Fwww.tiktok.com%2F'
                'tiktokstudio%2Fupload"}'},
           {}, ["status: NEEDS_LOGIN", "proofs: [on_failure]", "fallbacks: []"])
        sc("captcha", "a slider captcha over Studio: FAILED and named, not NEEDS_LOGIN",
           {up: f"captcha{sfx}.html"}, {},
           ["status: FAILED", "error: TikTok shows a captcha", "proofs: [on_failure]"])
        sc("redesign-fallback", "data-e2e hooks renamed; roles and labels kept",
           {up: f"redesign-upload{sfx}.html"},
           {"compose": f"redesign-media{sfx}.html", "attach": f"redesign-text{sfx}.html",
            "publish": f"posting{sfx}.html"},
           [*ok, "fallbacks: [selectVideoButton, captionEditor, postButton]"])
    return "\n".join(out) + "\n"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, html in build().items():
        (OUT / name).write_text(html, encoding="utf-8")
    mp4(OUT / "clip.mp4")
    tiny_png(OUT / "photo.png", (254, 44, 85))
    (OUT / "scenarios.yaml").write_text(scenarios(), encoding="utf-8")


if __name__ == "__main__":
    main()
