"""Build the Threads (threads.com) replay fixtures: reconstructions of the composer's states.

Nobody has captured these pages from a live account yet, so they are rebuilt from public
facts (FACTS below, docs/platforms-x-threads-instagram.md). Threads has almost no test ids:
the stable hooks are roles, contenteditable/Lexical attributes, the file input's `accept`
list and `data-pressable-container` on posts. Run `.venv/bin/python scripts/fixtures_threads.py`
after changing it; it rewrites fixtures/threads/ (media files come from fixtures/x/).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "threads"
DATE = "2026-11-28"
RLM = "\u200f"

FACTS = (
    "post intent https://www.threads.com/intent/post opens the composer dialog (Meta developer "
    "docs, Threads Web Intents); composer = div[role=dialog] holding a Lexical "
    "div[contenteditable=true][role=textbox][data-lexical-editor=true][aria-placeholder] with "
    "<p> paragraphs (MultiPost threads.ts via research/publishers.md 3; "
    "official5ETa/ThreadsAutoComment threadsQs.ts); Post = div[role=button] whose text is "
    "'Post', aria-disabled until text; file input accept='image/avif,image/jpeg,image/png,"
    "image/webp,video/mp4,video/quicktime,video/webm' (MultiPost threads.ts); busy = "
    "[role=progressbar]; posts are [data-pressable-container=true] with a/@user/post/ID links, "
    "login at /login, nav svg aria-labels Create/Profile (unattributed 'Threads Selectors "
    "Reference' 16401133038)"
)


@dataclass(frozen=True)
class Locale:
    code: str
    dir: str
    new_thread: str
    placeholder: str
    post: str
    cancel: str
    attach: str
    remove: str
    posted: str
    view: str
    failed: str
    login: str
    username: str
    password: str
    confirm: str
    confirm_body: str
    suspended: str
    profile: str
    home: str
    text: str


EN = Locale(
    code="en", dir="ltr", new_thread="New thread", placeholder="What's new?", post="Post",
    cancel="Cancel", attach="Attach media", remove="Remove", posted="Posted", view="View",
    failed="Post failed to upload", login="Log in with your Instagram account",
    username="Username, phone or email", password="Password", confirm="Confirm it's you",
    confirm_body="We noticed unusual activity on your account. Confirm it's you to continue.",
    suspended="We suspended your account", profile="Profile", home="Home",
    text="Hello from publish-runner 👋 مرحبا",
)
AR = Locale(
    code="ar", dir="rtl", new_thread="سلسلة جديدة", placeholder="ما الجديد؟", post="نشر",
    cancel="إلغاء", attach="إرفاق وسائط", remove="إزالة", posted="تم النشر", view="عرض",
    failed="تعذّر تحميل المنشور", login="تسجيل الدخول باستخدام حسابك على Instagram",
    username="اسم المستخدم أو الهاتف أو البريد الإلكتروني", password="كلمة السر",
    confirm="تأكيد هويتك",
    confirm_body="لاحظنا نشاطًا غير معتاد على حسابك. أكّد هويتك للمتابعة.",
    suspended="علّقنا حسابك", profile="الملف الشخصي", home="الرئيسية",
    text="مرحبا من publish-runner 👋",
)

HANDLE = "example_user"
POST_PATH = f"/@{HANDLE}/post/DAbCdEfGhIj"
ACCEPT = "image/avif,image/jpeg,image/png,image/webp,video/mp4,video/quicktime,video/webm"
# Previews are object URLs of the chosen file; replay cannot load them, so the stylesheet
# gives the image its size (a broken image with a size is still visible).
BLOB = "blob:https://www.threads.com/8c1f2a64-5f0e-4d7a-9a51-3c2b1e0d9f77"

STYLE = """
body { margin: 0; background: #fff; color: #000; font-family: -apple-system, "Segoe UI",
  Roboto, "Noto Sans", "Noto Sans Arabic", Arial, sans-serif; font-size: 15px; }
a { color: inherit; text-decoration: none; }
.nav { position: fixed; inset-block: 0; inset-inline-start: 0; width: 76px; display: flex;
  flex-direction: column; align-items: center; gap: 24px; padding-top: 24px; }
.feed { max-width: 640px; margin: 0 auto; padding: 24px; }
[data-pressable-container] { padding: 12px 0; border-bottom: 1px solid #eee; }
.mask { position: fixed; inset: 0; background: rgba(0, 0, 0, .6); }
div[role="dialog"] { position: fixed; top: 10%; left: 50%; transform: translateX(-50%);
  width: 620px; background: #fff; border-radius: 16px; padding: 16px 24px; }
.head { display: flex; justify-content: space-between; align-items: center; }
[contenteditable] { min-height: 24px; outline: none; }
[contenteditable] p { margin: 0; }
.btn { display: inline-block; padding: 8px 16px; border: 1px solid #ccc; border-radius: 10px;
  font-weight: 600; cursor: pointer; }
.btn[aria-disabled="true"] { opacity: .4; cursor: default; }
.preview img { width: 240px; height: 240px; object-fit: cover; border-radius: 8px; display: block; }
.toast { position: fixed; bottom: 24px; left: 50%; transform: translateX(-50%); background: #000;
  color: #fff; padding: 12px 16px; border-radius: 12px; display: flex; gap: 16px; }
.box { max-width: 380px; margin: 64px auto; padding: 24px; text-align: center; }
.box input { display: block; width: 100%; padding: 12px; margin: 8px 0; box-sizing: border-box; }
"""


def _svg(label: str) -> str:
    return (f'<svg aria-label="{label}" role="img" viewBox="0 0 24 24" width="24" height="24">'
            f'<title>{label}</title><circle cx="12" cy="12" r="9" fill="none" '
            f'stroke="currentColor"></circle></svg>')


def _lbl(loc: Locale, text: str) -> str:
    return f"{RLM}{text}{RLM}" if loc.code == "ar" else text


def _nav(loc: Locale) -> str:
    return f"""<div class="nav" role="navigation">
<a href="/" role="link">{_svg(loc.home)}</a>
<div role="button" tabindex="0">{_svg("Create" if loc.code == "en" else "إنشاء")}</div>
<a href="/@{HANDLE}" role="link">{_svg(_lbl(loc, loc.profile))}</a></div>"""


def _feed(loc: Locale) -> str:
    text = ("A thread from someone the account follows." if loc.code == "en"
            else "سلسلة من حساب يتابعه المستخدم.")
    return f"""<div class="feed" role="main"><div data-pressable-container="true"
 data-interactive-id=""><div><a href="/@example_friend" role="link"><span dir="auto">
example_friend</span></a> <a href="/@example_friend/post/DAaAaAaAaAa" role="link"><time
 datetime="2026-11-28T08:00:00.000Z">4h</time></a></div><div dir="auto"><span dir="auto">{text}
</span></div></div></div>"""


def _editor(loc: Locale, text: str, lexical: bool) -> str:
    attrs = ('data-lexical-editor="true" ' if lexical else "")
    body = f'<p dir="auto"><span data-lexical-text="true">{text}</span></p>' if text else (
        '<p><br></p>')
    return (f'<div aria-placeholder="{loc.placeholder}" contenteditable="true" '
            f'role="textbox" spellcheck="true" tabindex="0" {attrs}'
            f'style="user-select: text; white-space: pre-wrap; word-break: break-word;">'
            f'{body}</div>')


def _dialog(loc: Locale, text: str = "", media: bool = False, enabled: bool = False,
            redesign: bool = False) -> str:
    state = 'tabindex="0"' if enabled else 'aria-disabled="true" tabindex="-1"'
    accept = "image/*,video/*" if redesign else ACCEPT
    file_attr = 'class="media-picker"' if redesign else ""
    preview = (f'<div class="preview"><img alt="" src="{BLOB}"><div role="button" tabindex="0" '
               f'aria-label="{loc.remove}">✕</div></div>') if media else ""
    return f"""<div class="mask"></div>
<div aria-labelledby="thread-composer-title" role="dialog" aria-modal="true">
<div class="head"><div role="button" tabindex="0" class="btn">{loc.cancel}</div>
<h1 id="thread-composer-title" dir="auto" style="font-size: 16px;">{_lbl(loc, loc.new_thread)}</h1>
<span></span></div>
<div><a href="/@{HANDLE}" role="link"><span dir="auto">{HANDLE}</span></a>
{_editor(loc, text, lexical=not redesign)}
{preview}
<div><div role="button" tabindex="0" aria-label="{loc.attach}">{_svg(loc.attach)}</div>
<input accept="{accept}" multiple="" type="file" {file_attr}style="display: none;"></div></div>
<div style="text-align: end;"><div role="button" class="btn" {state}><div dir="auto">
{loc.post}</div></div></div></div>"""


def compose(loc: Locale, text: str = "", media: bool = False, enabled: bool = False,
            redesign: bool = False) -> str:
    return _nav(loc) + _feed(loc) + _dialog(loc, text, media, enabled, redesign)


def posted(loc: Locale, ok: bool = True) -> str:
    if ok:
        toast = (f'<div class="toast" role="alert"><span dir="auto">{_lbl(loc, loc.posted)}'
                 f'</span><a href="{POST_PATH}" role="link"><span>{loc.view}</span></a></div>')
        return _nav(loc) + _feed(loc) + toast
    toast = f'<div class="toast" role="alert"><span dir="auto">{loc.failed}</span></div>'
    return _nav(loc) + _feed(loc) + _dialog(loc, loc.text, enabled=True) + toast


def login(loc: Locale) -> str:
    return f"""<div class="box" role="main"><form method="post"><h1 dir="auto"
 style="font-size: 16px;">{loc.login}</h1>
<input autocapitalize="off" autocomplete="username" placeholder="{loc.username}" type="text"
 value="">
<input autocomplete="current-password" placeholder="{loc.password}" type="password" value="">
<div role="button" tabindex="0" class="btn">{"Log in" if loc.code == "en" else "تسجيل الدخول"}
</div></form></div>"""


def notice(loc: Locale, heading: str, body: str) -> str:
    return f"""<div class="box" role="main"><h1 dir="auto">{_lbl(loc, heading)}</h1>
<p dir="auto">{body}</p><div role="button" tabindex="0" class="btn">
{"Continue" if loc.code == "en" else "متابعة"}</div></div>"""


def document(loc: Locale, state: str, source: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<!-- publish-runner fixture: platform=threads state={state} locale={loc.code} \
reconstructed={DATE} source={source}
     A RECONSTRUCTION, not a capture: built by scripts/fixtures_threads.py from public facts: \
{FACTS}. -->
<html dir="{loc.dir}" lang="{loc.code}"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Threads</title>
<style>{STYLE}</style>
</head><body>
{body}
</body></html>
"""


INTENT = "https://www.threads.com/intent/post"


def pages(loc: Locale) -> dict[str, tuple[str, str]]:
    t = loc.text
    return {
        "compose": (INTENT, compose(loc)),
        "compose-text": (INTENT, compose(loc, t, enabled=True)),
        "compose-media": (INTENT, compose(loc, t, media=True, enabled=True)),
        "posted": (INTENT, posted(loc)),
        "rejected": (INTENT, posted(loc, ok=False)),
        "login": ("https://www.threads.com/login?next=%2Fintent%2Fpost", login(loc)),
        "challenge": ("https://www.threads.com/challenge/", notice(loc, loc.confirm,
                                                                   loc.confirm_body)),
        "suspended": ("https://www.threads.com/accounts/suspended/",
                      notice(loc, loc.suspended, loc.confirm_body)),
        "fallback-compose": (INTENT, compose(loc, redesign=True)),
        "fallback-text": (INTENT, compose(loc, t, enabled=True, redesign=True)),
        "fallback-media": (INTENT, compose(loc, t, media=True, enabled=True, redesign=True)),
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
