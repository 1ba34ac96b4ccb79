"""Build the Instagram replay fixtures: reconstructions of the "Create new post" dialog's steps.

Nobody has captured these pages from a live account yet, so they are rebuilt from public
facts (FACTS below, docs/platforms-x-threads-instagram.md). The create flow is a multi-step
dialog: select media → Crop → Edit → caption ("Create new post") → Sharing → "Post shared".
Run `.venv/bin/python scripts/fixtures_instagram.py` after changing it; it rewrites
fixtures/instagram/ (media files come from fixtures/x/).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "instagram"
DATE = "2026-11-28"
RLM = "\u200f"

FACTS = (
    "create flow = div[role=dialog][aria-label='Create new post'] with a file input (any "
    "frame), Next twice (div[role=button][tabindex=0] with text Next), then a Lexical caption "
    "div[contenteditable=true][role=textbox][spellcheck=true][tabindex=0]"
    "[data-lexical-editor=true][aria-placeholder^='Write a caption'] and Share "
    "(leaperone/MultiPost-Extension src/sync/dynamic/instagram.ts); New post = svg[aria-label="
    "'New post'] (same file); logged out = URL accounts/login; blocked = challenge_required / "
    "checkpoint_required URLs (unattributed 52439369560, 54561955930 via research/publishers.md "
    "3); Instagram cannot publish a post without media"
)


@dataclass(frozen=True)
class Locale:
    code: str
    dir: str
    create: str
    select: str
    drag: str
    crop: str
    edit: str
    next: str
    back: str
    caption: str
    share: str
    shared: str
    shared_body: str
    login_user: str
    login_pass: str
    login: str
    confirm: str
    confirm_body: str
    suspended: str
    text: str


EN = Locale(
    code="en", dir="ltr", create="Create new post", select="Select from computer",
    drag="Drag photos and videos here", crop="Crop", edit="Edit", next="Next", back="Back",
    caption="Write a caption...", share="Share", shared="Post shared",
    shared_body="Your post has been shared.", login_user="Phone number, username, or email",
    login_pass="Password", login="Log in", confirm="Help us confirm it's you",
    confirm_body="To secure your account, we need to confirm that this is your account.",
    suspended="We suspended your account", text="Hello from publish-runner 👋 مرحبا",
)
AR = Locale(
    code="ar", dir="rtl", create="إنشاء منشور جديد", select="التحديد من الكمبيوتر",
    drag="اسحب الصور ومقاطع الفيديو هنا", crop="اقتصاص", edit="تعديل", next="التالي",
    back="رجوع", caption="اكتب شرحًا...", share="مشاركة", shared="تمت مشاركة المنشور",
    shared_body="تمت مشاركة منشورك.", login_user="رقم الهاتف أو اسم المستخدم أو البريد الإلكتروني",
    login_pass="كلمة السر", login="تسجيل الدخول", confirm="ساعدنا في التأكد من أنه أنت",
    confirm_body="لتأمين حسابك، نحتاج إلى التأكد من أن هذا الحساب هو حسابك.",
    suspended="علّقنا حسابك", text="مرحبا من publish-runner 👋",
)

HANDLE = "example_user"
ACCEPT = "image/jpeg,image/png,image/heic,image/heif,video/mp4,video/quicktime"
BLOB = "blob:https://www.instagram.com/5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f"

STYLE = """
body { margin: 0; background: #fff; color: #000; font-family: -apple-system, "Segoe UI",
  Roboto, "Noto Sans", "Noto Sans Arabic", Arial, sans-serif; font-size: 14px; }
a { color: inherit; text-decoration: none; }
.nav { position: fixed; inset-block: 0; inset-inline-start: 0; width: 240px; padding: 24px 12px;
  border-inline-end: 1px solid #dbdbdb; display: flex; flex-direction: column; gap: 16px; }
.mask { position: fixed; inset: 0; background: rgba(0, 0, 0, .65); }
div[role="dialog"] { position: fixed; top: 8%; left: 50%; transform: translateX(-50%);
  width: 560px; min-height: 420px; background: #fff; border-radius: 12px; overflow: hidden; }
.head { display: flex; justify-content: space-between; align-items: center; padding: 8px 16px;
  border-bottom: 1px solid #dbdbdb; }
.head h1 { font-size: 16px; margin: 0; }
.link-btn { color: #0095f6; font-weight: 600; cursor: pointer; }
.center { display: flex; flex-direction: column; align-items: center; gap: 16px;
  padding: 96px 24px; text-align: center; }
.btn { background: #0095f6; color: #fff; border-radius: 8px; padding: 7px 16px;
  font-weight: 600; cursor: pointer; }
.crop { width: 560px; height: 360px; background-color: #cfd9de; background-size: cover; }
[contenteditable] { min-height: 120px; outline: none; padding: 12px 16px; }
[contenteditable] p { margin: 0; }
.box { max-width: 350px; margin: 64px auto; padding: 24px; border: 1px solid #dbdbdb;
  text-align: center; }
.box input { display: block; width: 100%; padding: 9px; margin: 6px 0; box-sizing: border-box; }
"""


def _lbl(loc: Locale, text: str) -> str:
    return f"{RLM}{text}{RLM}" if loc.code == "ar" else text


def _svg(label: str) -> str:
    return (f'<svg aria-label="{label}" fill="currentColor" height="24" role="img" '
            f'viewBox="0 0 24 24" width="24"><title>{label}</title><rect x="3" y="3" '
            f'width="18" height="18" rx="4" fill="none" stroke="currentColor"></rect></svg>')


def _nav(loc: Locale) -> str:
    home, new, profile = (("Home", "New post", "Profile") if loc.code == "en"
                          else ("الصفحة الرئيسية", "منشور جديد", "الملف الشخصي"))
    return f"""<div class="nav" role="navigation"><a href="/" role="link">{_svg(home)}
<span>{home}</span></a><a href="#" role="link">{_svg(_lbl(loc, new))}<span>{new}</span></a>
<a href="/{HANDLE}/" role="link"><img alt="" height="24" width="24"
 src="data:,"><span>{profile}</span></a></div>"""


def _head(loc: Locale, title: str, action: str | None) -> str:
    back = (f'<div role="button" tabindex="0">{_svg(_lbl(loc, loc.back))}</div>'
            if action else "<div></div>")
    act = (f'<div role="button" tabindex="0" class="link-btn">{action}</div>'
           if action else "<div></div>")
    return f'<div class="head">{back}<h1 dir="auto">{title}</h1>{act}</div>'


def _dialog(loc: Locale, label: str, inner: str) -> str:
    return (f'<div class="mask"></div><div aria-label="{label}" role="dialog" '
            f'aria-modal="true">{inner}</div>')


def select(loc: Locale, redesign: bool = False) -> str:
    form = ('<div>' if redesign else
            '<form enctype="multipart/form-data" method="POST" role="presentation">')
    end = "</div>" if redesign else "</form>"
    accept = "image/*,video/*" if redesign else ACCEPT
    inner = (_head(loc, loc.create, None)
             + f'<div class="center">{_svg(loc.create)}<span dir="auto">{loc.drag}</span>'
             f'<div role="button" tabindex="0" class="btn">{loc.select}</div>{form}'
             f'<input accept="{accept}" multiple="" type="file" style="display: none;">'
             f'{end}</div>')
    return _nav(loc) + _dialog(loc, loc.create, inner)


def crop(loc: Locale) -> str:
    inner = (_head(loc, loc.crop, loc.next)
             + f'<div class="crop" role="img" style="background-image: url(&quot;{BLOB}'
             f'&quot;);"></div>')
    return _nav(loc) + _dialog(loc, loc.crop, inner)


def caption(loc: Locale, text: str = "", redesign: bool = False) -> str:
    lexical = "" if redesign else 'data-lexical-editor="true" '
    body = (f'<p dir="auto"><span data-lexical-text="true">{text}</span></p>' if text
            else "<p><br></p>")
    inner = (_head(loc, loc.create, loc.share)
             + f'<div style="display: flex;"><img alt="" src="{BLOB}" width="280" height="280">'
             f'<div style="flex: 1;"><div><a href="/{HANDLE}/" role="link"><span dir="auto">'
             f'{HANDLE}</span></a></div><div aria-label="{loc.caption}" aria-placeholder='
             f'"{loc.caption}" contenteditable="true" role="textbox" spellcheck="true" '
             f'tabindex="0" {lexical}style="user-select: text; white-space: pre-wrap;">{body}'
             f'</div></div></div>')
    return _nav(loc) + _dialog(loc, loc.create, inner)


def shared(loc: Locale) -> str:
    alt = "Animated checkmark" if loc.code == "en" else "علامة اختيار متحركة"
    check = f'<img alt="{alt}" height="96" width="96" src="data:,">'
    inner = (_head(loc, loc.shared, None)
             + f'<div class="center">{check}<h2 dir="auto" role="heading" style="font-size: '
             f'20px; font-weight: 400;">{_lbl(loc, loc.shared_body)}</h2></div>')
    return _nav(loc) + _dialog(loc, loc.shared, inner)


def login(loc: Locale) -> str:
    return f"""<div class="box" role="main"><form id="loginForm" method="post">
<input aria-label="{loc.login_user}" autocomplete="username" name="username" type="text" value="">
<input aria-label="{loc.login_pass}" autocomplete="current-password" name="password"
 type="password" value="">
<button type="submit" class="btn">{loc.login}</button></form></div>"""


def notice(loc: Locale, heading: str, body: str) -> str:
    return f"""<div class="box" role="main"><h2 dir="auto" role="heading">{_lbl(loc, heading)}</h2>
<p dir="auto">{body}</p><div role="button" tabindex="0" class="btn">
{"Continue" if loc.code == "en" else "متابعة"}</div></div>"""


def document(loc: Locale, state: str, source: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<!-- publish-runner fixture: platform=instagram state={state} locale={loc.code} \
reconstructed={DATE} source={source}
     A RECONSTRUCTION, not a capture: built by scripts/fixtures_instagram.py from public facts: \
{FACTS}. -->
<html dir="{loc.dir}" lang="{loc.code}"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Instagram</title>
<style>{STYLE}</style>
</head><body>
{body}
</body></html>
"""


CREATE = "https://www.instagram.com/create/select/"


def pages(loc: Locale) -> dict[str, tuple[str, str]]:
    return {
        "compose": (CREATE, select(loc)),
        "compose-media": ("https://www.instagram.com/create/crop/", crop(loc)),
        "compose-caption": ("https://www.instagram.com/create/details/", caption(loc)),
        "compose-text": ("https://www.instagram.com/create/details/", caption(loc, loc.text)),
        "posted": ("https://www.instagram.com/create/details/", shared(loc)),
        "login": ("https://www.instagram.com/accounts/login/?next=%2Fcreate%2Fselect%2F",
                  login(loc)),
        "challenge": ("https://www.instagram.com/challenge/",
                      notice(loc, loc.confirm, loc.confirm_body)),
        "suspended": ("https://www.instagram.com/accounts/suspended/",
                      notice(loc, loc.suspended, loc.confirm_body)),
        "fallback-compose": (CREATE, select(loc, redesign=True)),
        "fallback-caption": ("https://www.instagram.com/create/details/",
                             caption(loc, redesign=True)),
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for loc in (EN, AR):
        suffix = "" if loc.code == "en" else "-ar"
        for state, (source, body) in pages(loc).items():
            (OUT / f"{state}{suffix}.html").write_text(
                document(loc, state, source, body), encoding="utf-8")
    shutil.copyfile(ROOT / "fixtures" / "x" / "photo.png", OUT / "photo.png")
    print(f"wrote {len(list(OUT.glob('*.html')))} pages to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
