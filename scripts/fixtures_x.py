"""Build the X (x.com) replay fixtures: reconstructions of the composer's UI states.

Nobody has captured these pages from a live account yet, so they are rebuilt from public
facts (see FACTS and docs/platforms-x-threads-instagram.md): X's `data-testid`s, ARIA
attributes, roles and nesting as public automation code relies on them. When someone
captures the real pages (`publish-runner capture x …`), the captures replace these files.

Run `.venv/bin/python scripts/fixtures_x.py` after changing it; it rewrites fixtures/x/.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fixtures" / "x"
DATE = "2026-11-28"
RLM = "\u200f"

FACTS = (
    "compose URL https://x.com/compose/post opens a modal div[role=dialog][aria-modal=true] "
    "over the home timeline, whose inline composer holds a second tweetTextarea_0; editor = "
    "Draft.js div.public-DraftEditor-content[contenteditable][role=textbox][aria-label='Post "
    "text'][data-testid=tweetTextarea_0] (MoneyPrinterV2 Twitter.py, unattributed X uploader, "
    "research/selectors.md 4.5); Post = button[data-testid=tweetButton] in the modal, "
    "tweetButtonInline inline, disabled by aria-disabled until text; media = "
    "input[data-testid=fileInput][type=file][multiple] in [data-testid=toolBar], previews in "
    "[data-testid=attachments], video progress [data-testid=progressBar]; success = "
    "[data-testid=toast] 'Your post was sent.' + link to /status/ (research/publishers.md 3, 4); "
    "Arabic 'نشر' for Post (Happy-come-come/UserScripts TwitterTextI18nData ar)"
)


@dataclass(frozen=True)
class Locale:
    code: str
    dir: str
    post: str
    post_text: str
    placeholder: str
    add_media: str
    close: str
    drafts: str
    home: str
    profile: str
    timeline: str
    sent: str
    view: str
    duplicate: str
    sign_in: str
    username: str
    next: str
    locked: str
    locked_body: str
    start: str
    suspended: str
    suspended_body: str
    media: str
    remove_media: str
    uploaded: str
    text: str


EN = Locale(
    code="en", dir="ltr", post="Post", post_text="Post text", placeholder="What is happening?!",
    add_media="Add photos or video", close="Close", drafts="Drafts", home="Home",
    profile="Profile", timeline="Your Home Timeline", sent="Your post was sent.", view="View",
    duplicate="Whoops! You already said that.", sign_in="Sign in to X",
    username="Phone, email, or username", next="Next", locked="Your account got locked",
    locked_body="We’ve detected some unusual activity. To unlock your account, verify that "
    "you are a person.",
    start="Start", suspended="Your account is suspended",
    suspended_body="After careful review, we determined your account broke the X Rules.",
    media="Media", remove_media="Remove media", uploaded="Uploaded (100%)",
    text="Hello from publish-runner 👋 مرحبا",
)
AR = Locale(
    code="ar", dir="rtl", post="نشر", post_text="نص المنشور", placeholder="ماذا يحدث؟!",
    add_media="إضافة صور أو فيديو", close="إغلاق", drafts="المسودات", home="الرئيسيّة",
    profile="ملفي الشخصيّ", timeline="الخط الزمني الرئيسي", sent="تم إرسال منشورك.",
    view="عرض", duplicate="عفوًا! لقد قلت ذلك بالفعل.", sign_in="تسجيل الدخول إلى X",
    username="الهاتف أو البريد الإلكتروني أو اسم المستخدم", next="التالي",
    locked="تم قفل حسابك",
    locked_body="لقد رصدنا بعض النشاط غير المعتاد. لفتح حسابك، تحقق من أنك شخص حقيقي.",
    start="ابدأ", suspended="حسابك معلَّق",
    suspended_body="بعد مراجعة دقيقة، قررنا أن حسابك خالف قواعد X.",
    media="وسائط", remove_media="إزالة الوسائط", uploaded="تم التحميل (100%)",
    text="مرحبا من publish-runner 👋",
)

HANDLE = "example_user"
STATUS = f"/{HANDLE}/status/1861234567890123457"

STYLE = """
html { font-size: 15px; color-scheme: light; }
body { margin: 0; background: #fff; color: #0f1419; font-family: -apple-system, "Segoe UI",
  Roboto, "Noto Sans", "Noto Sans Arabic", Arial, sans-serif; }
a { color: #1d9bf0; text-decoration: none; }
button { font: inherit; cursor: pointer; }
.css-175oi2r { display: flex; flex-direction: column; box-sizing: border-box; }
#react-root > .css-175oi2r { flex-direction: row; min-height: 100vh; justify-content: center; }
header[role="banner"] { width: 250px; padding: 0 12px; border-inline-end: 1px solid #eff3f4; }
header nav a { display: block; padding: 12px; font-size: 20px; color: #0f1419; }
.side-post { display: block; margin: 12px; padding: 14px; border-radius: 999px;
  background: #0f1419; color: #fff !important; text-align: center; font-weight: 700; }
main[role="main"] { width: 600px; border-inline-end: 1px solid #eff3f4; }
.composer { display: flex; gap: 12px; padding: 12px 16px; border-bottom: 1px solid #eff3f4; }
.avatar { width: 40px; height: 40px; border-radius: 50%; background: #cfd9de; flex: none; }
.grow { flex: 1; min-width: 0; }
.DraftEditor-root { position: relative; font-size: 20px; min-height: 28px; }
.public-DraftEditorPlaceholder-root { position: absolute; color: #536471; pointer-events: none; }
.public-DraftEditor-content { outline: none; white-space: pre-wrap; overflow-wrap: break-word;
  min-height: 28px; }
[data-testid="toolBar"] { display: flex; flex-direction: row; justify-content: space-between;
  align-items: center; padding-top: 8px; }
.icon { background: none; border: 0; color: #1d9bf0; padding: 8px; border-radius: 999px; }
.post-btn { background: #0f1419; color: #fff; border: 0; border-radius: 999px;
  padding: 8px 16px; font-weight: 700; }
.post-btn[aria-disabled="true"] { opacity: .5; cursor: default; }
article[data-testid="tweet"] { padding: 12px 16px; border-bottom: 1px solid #eff3f4; }
#layers { position: fixed; inset: 0; pointer-events: none; }
#layers > * { pointer-events: auto; }
.mask { position: fixed; inset: 0; background: rgba(0, 0, 0, .4); }
div[role="dialog"] { position: fixed; top: 5%; left: 50%; transform: translateX(-50%);
  width: 600px; background: #fff; border-radius: 16px; padding: 8px 16px 12px; }
.dialog-head { display: flex; flex-direction: row; justify-content: space-between; }
[data-testid="attachments"] { display: flex; flex-direction: row; gap: 8px; padding: 8px 0; }
[data-testid="attachments"] img, [data-testid="attachments"] video { width: 240px;
  height: 160px; border-radius: 16px; object-fit: cover; background: #cfd9de; display: block; }
[data-testid="toast"] { position: fixed; bottom: 32px; left: 50%; transform: translateX(-50%);
  background: #1d9bf0; color: #fff; border-radius: 4px; padding: 12px 16px; display: flex;
  flex-direction: row; gap: 16px; }
[data-testid="toast"] a { color: #fff; font-weight: 700; text-decoration: underline; }
.login-box, .notice { max-width: 440px; margin: 48px auto; padding: 24px; border: 1px solid #cfd9de;
  border-radius: 16px; }
.login-box input { width: 100%; font-size: 17px; padding: 12px; box-sizing: border-box; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); }
"""

# A 4×4 PNG as a data: URL (well under the sanitiser's 4 KB limit) for media previews.
_PREVIEW = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFklEQVR4nGNkYPjP"
    "wMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


@dataclass(frozen=True)
class Ids:
    """Test ids; the redesign fixtures rename them (roles and labels stay)."""

    textarea: str = "tweetTextarea_0"
    button: str = "tweetButton"
    button_inline: str = "tweetButtonInline"
    file_input: str = "fileInput"
    toast: str = "toast"
    attachments: str = "attachments"


IDS = Ids()
REDESIGN = Ids(textarea="composerEditor_0", button="composerPostButton",
               button_inline="composerPostButtonInline", file_input="composerMediaInput",
               toast="snackbar", attachments="composerMedia")


def _lbl(loc: Locale, text: str) -> str:
    """Arabic X wraps some labels in right-to-left marks; keep that in the fixtures."""
    return f"{RLM}{text}{RLM}" if loc.code == "ar" else text


def _editor(loc: Locale, ids: Ids, key: str, text: str) -> str:
    block_dir = "rtl" if loc.code == "ar" else "ltr"
    if text:
        inner = f'<span data-offset-key="{key}-0-0"><span data-text="true">{text}</span></span>'
        placeholder = ""
    else:
        inner = f'<span data-offset-key="{key}-0-0"><br data-text="true"></span>'
        placeholder = (f'<div class="public-DraftEditorPlaceholder-root"><div '
                       f'class="public-DraftEditorPlaceholder-inner" id="placeholder-{key}" '
                       f'style="white-space: pre-wrap;">{loc.placeholder}</div></div>')
    return f"""<div class="css-175oi2r" data-testid="{ids.textarea}RichTextInputContainer">
<div class="DraftEditor-root">{placeholder}<div class="DraftEditor-editorContainer">
<div aria-activedescendant="" aria-autocomplete="list" aria-controls="typeaheadDropdown-{key}"
 aria-describedby="placeholder-{key}" aria-label="{loc.post_text}" aria-multiline="true"
 class="notranslate public-DraftEditor-content" contenteditable="true"
 data-testid="{ids.textarea}" role="textbox" spellcheck="true" tabindex="0"
 no-focus-outline="true"><div data-contents="true"><div class="" data-block="true"
 data-editor="{key}" data-offset-key="{key}-0-0"><div data-offset-key="{key}-0-0"
 class="public-DraftStyleDefault-block public-DraftStyleDefault-{block_dir}">{inner}</div></div>
</div></div></div></div></div>"""


def _attachments(loc: Locale, ids: Ids, media: str) -> str:
    if media == "image":
        item = (f'<div class="css-175oi2r" role="group" aria-label="{loc.media}">'
                f'<img alt="" draggable="false" src="{_PREVIEW}">'
                f'<button class="icon" aria-label="{loc.remove_media}" role="button" '
                f'data-testid="removeMedia" type="button">×</button></div>')
    elif media == "video":
        item = (f'<div class="css-175oi2r" role="group" aria-label="{loc.media}">'
                f'<video aria-label="{loc.media}" playsinline="" preload="none" '
                f'poster="{_PREVIEW}"></video>'
                f'<div data-testid="videoUploadStatus" dir="auto"><span>{loc.uploaded}'
                f'</span></div>'
                f'<button class="icon" aria-label="{loc.remove_media}" role="button" '
                f'data-testid="removeMedia" type="button">×</button></div>')
    else:
        return ""
    return f'<div class="css-175oi2r" data-testid="{ids.attachments}">{item}</div>'


def _toolbar(loc: Locale, ids: Ids, inline: bool, enabled: bool) -> str:
    button_id = ids.button_inline if inline else ids.button
    state = 'tabindex="0"' if enabled else 'disabled="" aria-disabled="true" tabindex="-1"'
    return f"""<div class="css-175oi2r" data-testid="toolBar"><nav aria-live="polite"
 role="navigation" class="css-175oi2r"><div class="css-175oi2r" role="tablist"
 data-testid="ScrollSnap-List"><div class="css-175oi2r" role="presentation"><button
 aria-label="{_lbl(loc, loc.add_media)}" role="button" class="icon" type="button">🖼</button>
<input accept="image/jpeg,image/png,image/webp,image/gif,video/mp4,video/quicktime" multiple=""
 tabindex="-1" type="file" data-testid="{ids.file_input}" style="display: none;"></div></div>
</nav><button role="button" class="post-btn" data-testid="{button_id}" type="button" {state}>
<div dir="ltr" class="css-175oi2r"><span><span>{loc.post}</span></span></div></button></div>"""


def _inline_composer(loc: Locale, ids: Ids) -> str:
    return f"""<div class="composer"><div class="avatar"
 data-testid="UserAvatar-Container-{HANDLE}"></div><div class="grow">
{_editor(loc, ids, "inl1", "")}
{_toolbar(loc, ids, inline=True, enabled=False)}</div></div>"""


def _timeline(loc: Locale) -> str:
    friend = "example_friend"
    text = ("A post from someone the account follows." if loc.code == "en"
            else "منشور من حساب يتابعه المستخدم.")
    return f"""<section role="region" aria-labelledby="accessible-list-0" class="css-175oi2r">
<h1 dir="auto" role="heading" id="accessible-list-0" class="visually-hidden">{loc.timeline}</h1>
<div aria-label="{loc.timeline}" class="css-175oi2r"><div data-testid="cellInnerDiv">
<article aria-labelledby="id-article-1" role="article" tabindex="0" data-testid="tweet">
<div class="css-175oi2r" data-testid="User-Name"><div><a href="/{friend}" role="link"><span>
Example Friend</span></a></div><div><a href="/{friend}/status/1861200000000000001" dir="ltr"
 role="link"><time datetime="2026-11-28T09:00:00.000Z">9h</time></a></div></div>
<div dir="auto" lang="{loc.code}" data-testid="tweetText" id="id-article-1"><span>{text}</span>
</div></article></div></div></section>"""


def _nav(loc: Locale) -> str:
    return f"""<header role="banner" class="css-175oi2r"><div class="css-175oi2r">
<h1 role="heading"><a href="/home" aria-label="X" role="link">𝕏</a></h1>
<nav aria-label="Primary" role="navigation" class="css-175oi2r">
<a href="/home" aria-label="{loc.home}" role="link" data-testid="AppTabBar_Home_Link">
<span>{loc.home}</span></a>
<a href="/{HANDLE}" aria-label="{_lbl(loc, loc.profile)}" role="link"
 data-testid="AppTabBar_Profile_Link"><span>{loc.profile}</span></a></nav>
<a href="/compose/post" aria-label="{loc.post}" role="link" class="side-post"
 data-testid="SideNav_NewTweet_Button"><span>{loc.post}</span></a>
<div role="button" tabindex="0" data-testid="SideNav_AccountSwitcher_Button"
 aria-label="Account menu"><span>Example User</span></div></div></header>"""


def _home(loc: Locale, ids: Ids, primary_extra: str = "") -> str:
    return f"""<div id="react-root" style="height: 100%; display: flex;"><div class="css-175oi2r">
{_nav(loc)}
<main role="main" class="css-175oi2r"><div class="css-175oi2r" data-testid="primaryColumn">
<div class="css-175oi2r" aria-label="{loc.home}"><h2 dir="ltr" role="heading"
 style="padding: 12px 16px; margin: 0;">{loc.home}</h2>
{primary_extra}{_inline_composer(loc, ids)}
{_timeline(loc)}</div></div></main></div></div>"""


def _dialog(loc: Locale, ids: Ids, text: str, media: str, enabled: bool) -> str:
    return f"""<div class="css-175oi2r" role="group" tabindex="-1">
<div class="mask" data-testid="mask" aria-hidden="true"></div>
<div aria-labelledby="modal-header" aria-modal="true" role="dialog" class="css-175oi2r">
<div class="dialog-head"><button aria-label="{_lbl(loc, loc.close)}" role="button" class="icon"
 data-testid="app-bar-close" type="button">✕</button><h2 id="modal-header" class="visually-hidden"
 role="heading">{loc.post}</h2><button role="button" class="icon" data-testid="unsentButton"
 type="button"><span>{loc.drafts}</span></button></div>
<div class="composer" style="border: 0;"><div class="avatar"></div><div class="grow">
{_editor(loc, ids, "dlg1", text)}
{_attachments(loc, ids, media)}
{_toolbar(loc, ids, inline=False, enabled=enabled)}</div></div></div></div>"""


def _toast(loc: Locale, ids: Ids, *, ok: bool) -> str:
    if ok:
        body = (f'<div dir="auto"><span>{_lbl(loc, loc.sent)}</span></div>'
                f'<a href="{STATUS}" role="link" dir="auto"><span>{loc.view}</span></a>')
    else:
        body = f'<div dir="auto"><span>{_lbl(loc, loc.duplicate)}</span></div>'
    return (f'<div class="css-175oi2r" aria-live="assertive"><div role="alert" '
            f'data-testid="{ids.toast}" class="css-175oi2r">{body}</div></div>')


def compose(loc: Locale, ids: Ids, text: str = "", media: str = "", enabled: bool = False
            ) -> str:
    return (_home(loc, ids) + '\n<div id="layers">'
            + _dialog(loc, ids, text, media, enabled) + "</div>")


def posted(loc: Locale, ids: Ids, ok: bool = True) -> str:
    if ok:
        return _home(loc, ids) + '\n<div id="layers">' + _toast(loc, ids, ok=True) + "</div>"
    # Refused: the modal stays open with the text, the error toast above it.
    return (_home(loc, ids) + '\n<div id="layers">'
            + _dialog(loc, ids, loc.text, "", True) + _toast(loc, ids, ok=False) + "</div>")


def login(loc: Locale) -> str:
    return f"""<div id="react-root"><div class="css-175oi2r"><div aria-labelledby="modal-header"
 aria-modal="true" role="dialog" class="login-box" style="position: static; transform: none;">
<h1 id="modal-header" role="heading" dir="auto"><span>{loc.sign_in}</span></h1>
<div class="css-175oi2r"><label><span>{loc.username}</span>
<input autocapitalize="sentences" autocomplete="username" autocorrect="on" name="text"
 spellcheck="true" type="text" dir="auto" value=""></label></div>
<button role="button" class="post-btn" type="button"><span>{loc.next}</span></button>
</div></div></div>"""


def notice(loc: Locale, heading: str, body: str, action: str, href: str) -> str:
    return f"""<div id="react-root"><div class="css-175oi2r"><main role="main" class="notice">
<h1 role="heading" dir="auto">{_lbl(loc, heading)}</h1><p dir="auto">{body}</p>
<a href="{href}" role="button" class="post-btn">{action}</a></main></div></div>"""


def suspended(loc: Locale) -> str:
    banner = (f'<div class="notice" role="alert" data-testid="suspendedBanner">'
              f'<h1 role="heading" dir="auto">{_lbl(loc, loc.suspended)}</h1>'
              f'<p dir="auto">{loc.suspended_body}</p><a href="https://help.x.com/forms/'
              f'account-access/appeals" role="link">Appeal</a></div>')
    return _home(loc, IDS, primary_extra=banner)


def document(loc: Locale, state: str, source: str, body: str) -> str:
    title = {"en": "Home / X", "ar": "الرئيسيّة / X"}[loc.code]
    return f"""<!DOCTYPE html>
<!-- publish-runner fixture: platform=x state={state} locale={loc.code} \
reconstructed={DATE} source={source}
     A RECONSTRUCTION, not a capture: built by scripts/fixtures_x.py from public facts: {FACTS}. -->
<html dir="{loc.dir}" lang="{loc.code}"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head><body>
{body}
</body></html>
"""


COMPOSE = "https://x.com/compose/post"
LOGIN = "https://x.com/i/flow/login?redirect_after_login=%2Fcompose%2Fpost"


def pages(loc: Locale) -> dict[str, tuple[str, str]]:
    """state → (source URL, body)."""
    t = loc.text
    return {
        "compose": (COMPOSE, compose(loc, IDS)),
        "compose-text": (COMPOSE, compose(loc, IDS, t, enabled=True)),
        "compose-media": (COMPOSE, compose(loc, IDS, t, "image", enabled=True)),
        "compose-video": (COMPOSE, compose(loc, IDS, t, "video", enabled=True)),
        "posted": (COMPOSE, posted(loc, IDS)),
        "rejected": (COMPOSE, posted(loc, IDS, ok=False)),
        "login": (LOGIN, login(loc)),
        "challenge": ("https://x.com/account/access",
                      notice(loc, loc.locked, loc.locked_body, loc.start,
                             "/account/access?lang=" + loc.code)),
        "suspended": (COMPOSE, suspended(loc)),
        "fallback-compose": (COMPOSE, compose(loc, REDESIGN)),
        "fallback-text": (COMPOSE, compose(loc, REDESIGN, t, enabled=True)),
        "fallback-posted": (COMPOSE, posted(loc, REDESIGN)),
    }


def png() -> bytes:
    """A 16×16 opaque PNG, written without any imaging library."""
    raw = b"".join(b"\x00" + bytes((29, 155, 240)) * 16 for _ in range(16))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def mp4() -> bytes:
    """A minimal ISO-BMFF file (ftyp + free + empty mdat): replay never decodes it."""
    ftyp = b"ftyp" + b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    return (struct.pack(">I", 4 + len(ftyp)) + ftyp
            + struct.pack(">I", 8) + b"free" + struct.pack(">I", 8) + b"mdat")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for loc in (EN, AR):
        suffix = "" if loc.code == "en" else "-ar"
        for state, (source, body) in pages(loc).items():
            (OUT / f"{state}{suffix}.html").write_text(
                document(loc, state, source, body), encoding="utf-8")
    (OUT / "photo.png").write_bytes(png())
    (OUT / "clip.mp4").write_bytes(mp4())
    print(f"wrote {len(list(OUT.glob('*.html')))} pages to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
