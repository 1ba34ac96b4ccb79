"""HTML of the sandbox site, built with escaped f-strings (no template engine dependency).

The markup follows the DOM contract in docs/sandbox.md exactly: test ids, roles,
aria-labels and visible texts are what the selector files of the lead are written against.
Every interpolated value goes through `esc`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, Literal

from sandbox.state import MAX_POST_CODE_POINTS, Locale, RecordedPost

Design = Literal["normal", "fallback", "broken"]

ACCEPTED_TYPES = "image/png,image/jpeg,image/webp,image/gif"

STRINGS: dict[str, dict[Locale, str]] = {
    "site": {"en": "Sandbox", "ar": "Sandbox"},
    "nav": {"en": "Primary", "ar": "رئيسي"},
    "home": {"en": "Home", "ar": "الرئيسية"},
    "profile": {"en": "Profile", "ar": "الملف الشخصي"},
    "log_in": {"en": "Log in", "ar": "تسجيل الدخول"},
    "log_out": {"en": "Log out", "ar": "تسجيل الخروج"},
    "username": {"en": "Username", "ar": "اسم المستخدم"},
    "password": {"en": "Password", "ar": "كلمة المرور"},
    "login_failed": {
        "en": "Wrong username or password.",
        "ar": "اسم المستخدم أو كلمة المرور غير صحيحة.",
    },
    "challenge_title": {"en": "Confirm it's you", "ar": "تأكيد هويتك"},
    "challenge_text": {
        "en": "We noticed unusual activity on your account.",
        "ar": "لاحظنا نشاطًا غير معتاد على حسابك.",
    },
    "challenge_hint": {
        "en": "Open the app on your phone to confirm this sign-in, then come back.",
        "ar": "افتح التطبيق على هاتفك لتأكيد تسجيل الدخول هذا، ثم عُد إلى هنا.",
    },
    "compose": {"en": "Compose post", "ar": "إنشاء منشور"},
    "post_text": {"en": "Post text", "ar": "نص المنشور"},
    "placeholder": {"en": "What's happening?", "ar": "ماذا يحدث؟"},
    "add_photos": {"en": "Add photos", "ar": "إضافة صور"},
    "post": {"en": "Post", "ar": "نشر"},
    "sent": {"en": "Your post was sent.", "ar": "تم إرسال منشورك."},
    "view": {"en": "View", "ar": "عرض"},
    "cookies": {"en": "Cookies", "ar": "ملفات تعريف الارتباط"},
    "cookies_text": {
        "en": "We use cookies to keep you signed in and to understand how the site is used.",
        "ar": "نستخدم ملفات تعريف الارتباط لإبقائك مسجّلًا ولفهم كيفية استخدام الموقع.",
    },
    "accept_all": {"en": "Accept all", "ar": "قبول الكل"},
    "posting_as": {"en": "Posting as", "ar": "تنشر باسم"},
    "uploading": {"en": "Uploading…", "ar": "جارٍ الرفع…"},
    "remove_photo": {"en": "Remove photo", "ar": "إزالة الصورة"},
    "upload_failed": {"en": "The photo could not be uploaded.", "ar": "تعذّر رفع الصورة."},
    "network": {
        "en": "Could not reach the server. Try again.",
        "ar": "تعذّر الوصول إلى الخادم. حاول مرة أخرى.",
    },
    "no_posts": {"en": "No posts yet.", "ar": "لا توجد منشورات بعد."},
    "not_found": {"en": "This page doesn't exist.", "ar": "هذه الصفحة غير موجودة."},
    # The redesign_broken composer: every contract name and text replaced.
    "broken_editor": {"en": "Write something", "ar": "اكتب شيئًا"},
    "broken_placeholder": {
        "en": "Share an update with your followers",
        "ar": "شارك تحديثًا مع متابعيك",
    },
    "broken_attach": {"en": "Attach images", "ar": "إرفاق صور"},
    "broken_share": {"en": "Share", "ar": "مشاركة"},
    "broken_sent": {"en": "Shared with your followers.", "ar": "تمت المشاركة مع متابعيك."},
    "broken_open": {"en": "Open", "ar": "فتح"},
    "broken_cookies": {"en": "Privacy choices", "ar": "خيارات الخصوصية"},
    "broken_accept": {"en": "OK", "ar": "حسنًا"},
    # API errors, in the account's language.
    "err_reject": {
        "en": "Your post could not be sent: it looks like spam.",
        "ar": "تعذّر إرسال منشورك: يبدو أنه رسالة مزعجة.",
    },
    "err_empty": {"en": "Write something before posting.", "ar": "اكتب شيئًا قبل النشر."},
    "err_too_long": {
        "en": f"Your post is longer than {MAX_POST_CODE_POINTS} characters.",
        "ar": f"منشورك أطول من {MAX_POST_CODE_POINTS} حرفًا.",
    },
    "err_logged_out": {
        "en": "Your session has expired. Log in again.",
        "ar": "انتهت جلستك. سجّل الدخول مرة أخرى.",
    },
    "err_challenge": {
        "en": "We noticed unusual activity on your account.",
        "ar": "لاحظنا نشاطًا غير معتاد على حسابك.",
    },
    "err_bad_request": {"en": "The request could not be understood.", "ar": "تعذّر فهم الطلب."},
    "err_media_type": {
        "en": "Only PNG, JPEG, WebP and GIF images can be uploaded.",
        "ar": "يمكن رفع صور PNG وJPEG وWebP وGIF فقط.",
    },
    "err_media_size": {
        "en": "Images must be 5 MB or smaller.",
        "ar": "يجب ألا يتجاوز حجم الصورة 5 ميغابايت.",
    },
    "err_media_unknown": {
        "en": "One of the photos is no longer available. Remove it and try again.",
        "ar": "إحدى الصور لم تعد متاحة. أزلها وحاول مرة أخرى.",
    },
}


def t(key: str, locale: Locale) -> str:
    """The string `key` in the page's language."""
    return STRINGS[key][locale]


def esc(value: object) -> str:
    return escape(str(value), quote=True)


@dataclass(frozen=True)
class Viewer:
    """Who is looking and in which language: decides lang/dir and the header links."""

    locale: Locale
    account: str | None


def _time(iso: str) -> str:
    shown = datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    return f'<time datetime="{esc(iso)}" dir="ltr">{esc(shown)}</time>'


def layout(viewer: Viewer, title: str, body: str, *, scripts: str = "") -> str:
    """The page shell every page shares: doctype, lang/dir, header with the primary nav."""
    loc = viewer.locale
    direction = "rtl" if loc == "ar" else "ltr"
    profile = f"/u/{esc(viewer.account)}" if viewer.account else "/login"
    account_bits = (
        f'<bdi class="whoami">@{esc(viewer.account)}</bdi>'
        f' <a class="logout" href="/logout">{t("log_out", loc)}</a>'
        if viewer.account
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{loc}" dir="{direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · {t("site", loc)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header class="site-header">
<div class="header-inner">
<a class="brand" href="/compose">◆ {t("site", loc)}</a>
<nav aria-label="{t("nav", loc)}">
<a href="/compose">{t("home", loc)}</a>
<a href="{profile}">{t("profile", loc)}</a>
</nav>
<div class="account">{account_bits}</div>
</div>
</header>
{body}
{scripts}
</body>
</html>
"""


def login_page(viewer: Viewer, *, username: str = "", failed: bool = False) -> str:
    """The login form; it posts back to the same URL so `?next=` survives."""
    loc = viewer.locale
    error = f'<p class="form-error" role="alert">{t("login_failed", loc)}</p>' if failed else ""
    body = f"""<main class="column narrow">
<h1>{t("log_in", loc)}</h1>
{error}
<form data-testid="login-form" aria-label="{t("log_in", loc)}" method="post" class="card form">
<label>{t("username", loc)} <input name="username" autocomplete="username" required
 autofocus value="{esc(username)}"></label>
<label>{t("password", loc)} <input type="password" name="password"
 autocomplete="current-password" required></label>
<button type="submit" class="primary">{t("log_in", loc)}</button>
</form>
</main>"""
    return layout(viewer, t("log_in", loc), body)


def challenge_page(viewer: Viewer) -> str:
    loc = viewer.locale
    body = f"""<main data-testid="challenge" class="column narrow">
<div class="card">
<h1>{t("challenge_title", loc)}</h1>
<p>{t("challenge_text", loc)}</p>
<p class="muted">{t("challenge_hint", loc)}</p>
</div>
</main>"""
    return layout(viewer, t("challenge_title", loc), body)


def not_found_page(viewer: Viewer) -> str:
    loc = viewer.locale
    body = f'<main class="column"><p class="card">{t("not_found", loc)}</p></main>'
    return layout(viewer, t("not_found", loc), body)


def _article(post: RecordedPost) -> str:
    media = "".join(
        f'<img src="/media/{esc(m.id)}" alt="{esc(m.filename)}">' for m in post.media
    )
    media_block = f'<div class="post-media">{media}</div>' if media else ""
    return f"""<article data-testid="post" data-post-id="{esc(post.id)}" class="post card">
<div class="post-meta"><a class="author" href="/u/{esc(post.account)}">
<bdi>@{esc(post.account)}</bdi></a> ·
<a data-testid="post-link" href="/p/{esc(post.id)}">{_time(post.created_at)}</a></div>
<div data-testid="post-text" dir="auto" class="post-text">{esc(post.text)}</div>
{media_block}
</article>"""


def profile_page(viewer: Viewer, account: str, posts: list[RecordedPost]) -> str:
    """The account's posts, newest first (callers pass them in that order)."""
    articles = "\n".join(_article(p) for p in posts) or (
        f'<p class="muted">{t("no_posts", viewer.locale)}</p>'
    )
    body = f"""<main data-testid="primary-column" class="column">
<h1>{esc(account)}</h1>
{articles}
</main>"""
    return layout(viewer, f"@{account}", body)


def post_page(viewer: Viewer, post: RecordedPost) -> str:
    body = f"""<main data-testid="primary-column" class="column">
{_article(post)}
</main>"""
    return layout(viewer, f"@{post.account}: {post.text[:40]}", body)


# Composer -----------------------------------------------------------------------------------

# Test ids per design; the broken design has none at all.
_TEST_IDS: dict[str, dict[str, str]] = {
    "normal": {
        "composer": "composer",
        "editor": "composer-text",
        "counter": "char-count",
        "attach": "add-media",
        "input": "media-input",
        "preview": "media-preview",
        "mediaItem": "media-item",
        "post": "post-button",
        "toast": "toast",
        "toastLink": "toast-link",
        "errorToast": "error-toast",
        "cookieBanner": "cookie-banner",
        "cookieAccept": "cookie-accept",
    },
    "fallback": {
        "composer": "composer-v2",
        "editor": "editor-v2",
        "counter": "char-count",
        "attach": "attach-v2",
        "input": "file-v2",
        "preview": "attachments-v2",
        "mediaItem": "attachment-v2",
        "post": "submit-v2",
        "toast": "notice-v2",
        "toastLink": "notice-link-v2",
        "errorToast": "alert-v2",
        "cookieBanner": "cookie-banner",
        "cookieAccept": "cookie-accept",
    },
    "broken": {},
}

_PHOTO_ICON = (
    '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">'
    '<path fill="currentColor" d="M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6'
    "a1 1 0 0 1 1-1zm1 2v9.6l4.3-4.3 3 3 2.2-2.2L19 17.6V7H5zm10 1.5a1.5 1.5 0 1 1 0 3 "
    "1.5 1.5 0 0 1 0-3z"
    '"/></svg>'
)


def _tid(design: Design, name: str) -> str:
    testid = _TEST_IDS[design].get(name)
    return f' data-testid="{testid}"' if testid else ""


def _json_script(element_id: str, data: dict[str, Any]) -> str:
    """JSON for the page's script, safe inside <script> (no `</script>` break-out)."""
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{payload}</script>'


def compose_page(
    viewer: Viewer, *, design: Design, cookie_banner: bool, api_query: str
) -> str:
    """The composer in one of three designs (normal, redesign_fallback, redesign_broken)."""
    loc = viewer.locale
    broken = design == "broken"
    if broken:
        editor = (
            f'<textarea class="editor js-editor" rows="4" aria-label="{t("broken_editor", loc)}"'
            f' placeholder="{t("broken_placeholder", loc)}" dir="auto"></textarea>'
        )
        section_open = '<div class="composer js-composer">'
        section_close = "</div>"
        attach_label = t("broken_attach", loc)
        post_text = t("broken_share", loc)
        counter = str(MAX_POST_CODE_POINTS)
        file_input = ""  # created on demand by the script, like many real sites do
    else:
        editor = (
            f'<div{_tid(design, "editor")} role="textbox" contenteditable="true"'
            f' aria-multiline="true" aria-label="{t("post_text", loc)}"'
            f' data-placeholder="{t("placeholder", loc)}" class="editor js-editor"'
            ' dir="auto"></div>'
        )
        section_open = (
            f'<section{_tid(design, "composer")} role="region"'
            f' aria-label="{t("compose", loc)}" class="composer js-composer">'
        )
        section_close = "</section>"
        attach_label = t("add_photos", loc)
        post_text = t("post", loc)
        counter = f"0/{MAX_POST_CODE_POINTS}"
        file_input = (
            f'<input type="file"{_tid(design, "input")} accept="{ACCEPTED_TYPES}"'
            ' multiple hidden class="js-file">'
        )
    composer = f"""{section_open}
<div class="composer-row">
<div class="avatar" aria-hidden="true">{esc((viewer.account or "?")[:1].upper())}</div>
<div class="composer-main">
<div class="muted small">{t("posting_as", loc)} <bdi>@{esc(viewer.account or "")}</bdi></div>
{editor}
</div>
</div>
<div{_tid(design, "preview")} class="media-preview js-preview"></div>
<div class="composer-bar">
<button type="button"{_tid(design, "attach")} aria-label="{attach_label}"
 class="icon-button js-attach">{_PHOTO_ICON}</button>
{file_input}
<span class="spacer"></span>
<span{_tid(design, "counter")} class="counter js-counter">{counter}</span>
<button type="button"{_tid(design, "post")} class="primary js-post" disabled>{post_text}</button>
</div>
{section_close}"""
    if design == "fallback":
        composer = f'<div class="composer-shell">\n{composer}\n</div>'
    banner = _cookie_banner(loc, design) if cookie_banner else ""
    main_tid = "" if broken else ' data-testid="primary-column"'
    body = f"""<main{main_tid} class="column">
{composer}
<div class="toasts js-toasts"></div>
</main>
{banner}"""
    config = {
        "design": design,
        "max": MAX_POST_CODE_POINTS,
        "accept": ACCEPTED_TYPES,
        "apiQuery": api_query,
        "ids": _TEST_IDS[design],
        "text": {
            "sent": t("broken_sent" if broken else "sent", loc),
            "view": t("broken_open" if broken else "view", loc),
            "uploading": t("uploading", loc),
            "removePhoto": t("remove_photo", loc),
            "uploadFailed": t("upload_failed", loc),
            "network": t("network", loc),
        },
    }
    scripts = _json_script("composer-config", config) + (
        '\n<script src="/static/composer.js" defer></script>'
    )
    return layout(viewer, t("compose", loc), body, scripts=scripts)


def _cookie_banner(loc: Locale, design: Design) -> str:
    broken = design == "broken"
    label = t("broken_cookies" if broken else "cookies", loc)
    accept = t("broken_accept" if broken else "accept_all", loc)
    return f"""<div{_tid(design, "cookieBanner")} role="dialog" aria-modal="true"
 aria-label="{label}" class="cookie-overlay js-cookie-banner">
<div class="cookie-box card">
<p>{t("cookies_text", loc)}</p>
<button type="button"{_tid(design, "cookieAccept")}
 class="primary js-cookie-accept">{accept}</button>
</div>
</div>"""
