"""Make a captured page safe to commit, on a parsed tree (never regexes over raw HTML).

What goes: scripts, `<noscript>`, event handlers, `javascript:` URLs, CSRF/token metas and
hidden token inputs, nonce/integrity attributes, token-looking attribute values, tracking and
credential query parameters, iframe `srcdoc`, comments, big `data:` images.

What is replaced: names, @handles, emails, phone numbers and the text of the platform's
`private_content` elements, by text of the SAME length in the SAME script (Latin keeps its
case, Arabic stays Arabic, digits stay digits, punctuation, spaces and emoji are kept), so
layout, bidi and `dir=auto` behave as in the real page.

What stays: UI labels, placeholders, aria-labels, titles, roles and test ids (selectors test
them) — apart from addresses, numbers and handles found inside them.

Replacement depends only on the *shape* of the text (which class each character is in), so
the same text always scrambles the same way (re-captures diff cleanly) and scrambled text
scrambles to itself: sanitising twice gives the same bytes as sanitising once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import lxml.etree as etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]

from runner.capture.scan import (
    EMAIL,
    HANDLE,
    KEYS,
    NOT_SECRET_ATTRS,
    PHONE,
    is_address,
    is_phone,
    is_synthetic_domain,
    looks_secret,
    secret_value,
)
from runner.engine.evidence import strip_failure_header


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


HEADER_MARK = "publish-runner fixture:"
# A transparent 1×1 GIF: keeps <img> elements (and their boxes) without the bytes.
PLACEHOLDER_IMAGE = (
    "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
)
MAX_DATA_URL = 4096

TRACKING_PARAMS = _words(
    "fbclid gclid gclsrc dclid gbraid wbraid msclkid yclid twclid ttclid igshid igsh si s t "
    "ref_src ref_url mibextid spm _ga _gl vero_id rb_clickid wickedid __tn__ __xts__ "
    "fb_action_ids fb_action_types fb_source fb_ref action_object_map action_type_map "
    "action_ref_map ocid cvid mkt_tok _hsenc _hsmi hsctatracking"
)
TRACKING_PREFIXES = ("utm_", "__cft__", "__tn__", "_nc_", "mc_", "oly_", "pk_", "hsa_")
TOKEN_PARAMS = _words(
    "token access_token id_token refresh_token auth auth_token authtoken sig signature oh oe "
    "x-amz-signature x-amz-credential x-amz-security-token csrf _csrf csrf_token xsrf "
    "authenticity_token session sessionid sid nonce apikey api_key key code ticket password "
    "fb_dtsg jazoest lsd"
)
URL_ATTRS = _words(
    "href src action formaction poster cite data background xlink:href data-src data-href "
    "data-url manifest codebase longdesc usemap"
)
TOKEN_NAME = re.compile(
    r"(?i)csrf|xsrf|token|authenticity|nonce|session|secret|signature|verification|captcha|"
    r"api[-_]?key|^sig$|^fb_dtsg$|^jazoest$|^lsd$|^__user$"
)
DROP_LINK_RELS = _words("preload prefetch modulepreload preconnect dns-prefetch manifest")
PERSONAL_AUTOCOMPLETE = _words(
    "username email tel tel-national name given-name family-name additional-name nickname "
    "street-address postal-code bday"
)
_DATA_URL_IN_CSS = re.compile(r"""url\(\s*(['"]?)(data:[^'")]*)\1\s*\)""", re.I)
_HEADER = re.compile(r"<!--\s*" + re.escape(HEADER_MARK) + r"(.*?)-->", re.S)


# ---- same-length, same-script scrambling -------------------------------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


@lru_cache(maxsize=8192)
def _char_class(ch: str) -> tuple[str, str] | None:
    """(class key, replacement alphabet) for a character, or None when it is kept as is."""
    cat = unicodedata.category(ch)
    if cat == "Nd":
        zero = ord(ch) - unicodedata.digit(ch)
        return f"d{zero}", "".join(chr(zero + i) for i in range(10))
    if not cat.startswith("L") or cat == "Lm":  # marks, punctuation, emoji, tatweel: kept
        return None
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN"):
        return ("U", _UPPER) if ch.isupper() or cat == "Lt" else ("l", _LOWER)
    if name.startswith("ARABIC LETTER"):
        return "a", _ARABIC
    script = name.split(" ")[0]
    block = ord(ch) & ~0x7F
    alphabet = "".join(
        c for c in map(chr, range(block, block + 128))
        if unicodedata.category(c) == cat and unicodedata.name(c, "").split(" ")[0] == script
    )
    return f"{script}:{cat}:{block}", alphabet


def scramble(text: str) -> str:
    """Same length, same script, same case; a function of the text's shape only."""
    classes = [_char_class(c) for c in text]
    if not any(classes):
        return text
    shape = "\x1f".join(k[0] if k else c for k, c in zip(classes, text, strict=True))
    stream = hashlib.shake_256(("pr-scramble-1\x00" + shape).encode()).digest(2 * len(text))
    out = []
    for i, (ch, cls) in enumerate(zip(text, classes, strict=True)):
        if cls is None:
            out.append(ch)
        else:
            alphabet = cls[1]
            out.append(alphabet[int.from_bytes(stream[2 * i:2 * i + 2], "big") % len(alphabet)])
    return "".join(out)


def _zero_digits(text: str) -> str:
    return "".join(chr(ord(c) - unicodedata.digit(c)) if c.isdigit() else c for c in text)


def _redact_secret(value: str) -> str:
    """x, X and 0 in place of a token's characters: a fixed point however it is re-matched."""
    return "".join("0" if c.isdigit() else ("X" if c.isupper() else "x") if c.isalpha() else c
                   for c in value)


def _fake_domain(length: int) -> str:
    """A `.test` domain of the same length (reserved: can never be a real address)."""
    if length < 6:
        return "x.test"
    return scramble("x" * (length - 5)) + ".test"


class _Redactor:
    """Rewrites personal data in text; remembers handles to rewrite them in URLs too."""

    def __init__(self) -> None:
        self.handles: dict[str, str] = {}

    def collect(self, text: str) -> None:
        for m in HANDLE.finditer(text):
            name = m.group(1)
            self.handles.setdefault(name.lower(), scramble(name))

    def text(self, text: str, *, private: bool = False) -> str:
        if not text:
            return text
        spans: list[tuple[int, int, str]] = []

        def free(a: int, b: int) -> bool:
            return all(b <= s or a >= e for s, e, _ in spans)

        for m in EMAIL.finditer(text):
            local, domain = m.group(1), m.group(2)
            if is_address(domain):
                new_domain = domain if is_synthetic_domain(domain) else _fake_domain(len(domain))
                spans.append((m.start(), m.end(), f"{scramble(local)}@{new_domain}"))
        if not private:  # private text is scrambled whole, keys included
            for pattern in KEYS.values():
                for m in pattern.finditer(text):
                    start, end = secret_value(m)
                    if free(start, end):
                        spans.append((start, end, _redact_secret(text[start:end])))
        for m in PHONE.finditer(text):
            if is_phone(m.group(0)) and free(m.start(), m.end()):
                spans.append((m.start(), m.end(), _zero_digits(m.group(0))))
        for m in HANDLE.finditer(text):
            if free(m.start(), m.end()):
                spans.append((m.start(), m.end(), "@" + scramble(m.group(1))))
        if not spans and not private:
            return text
        out, pos = [], 0
        for start, end, new in sorted(spans):
            gap = text[pos:start]
            out.append(scramble(gap) if private else gap)
            out.append(new)
            pos = end
        out.append(scramble(text[pos:]) if private else text[pos:])
        return "".join(out)

    def url(self, url: str) -> str:
        """No tracking/credential parameters, handles rewritten; unchanged URLs stay as is."""
        stripped = url.strip()
        if stripped.lower().startswith("data:"):
            return PLACEHOLDER_IMAGE if len(stripped) > MAX_DATA_URL else url
        if stripped.lower().startswith(("mailto:", "tel:", "sms:")):
            return self.text(url)
        try:
            parts = urlsplit(stripped)
        except ValueError:
            return url
        query = _filter_params(parts.query)
        fragment = _filter_params(parts.fragment) if "=" in parts.fragment else parts.fragment
        path = self.text(parts.path)
        if self.handles:
            path = "/".join(self.handles.get(seg.lower(), seg) for seg in path.split("/"))
        if (path, query, fragment) == (parts.path, parts.query, parts.fragment):
            return url
        return urlunsplit((parts.scheme, parts.netloc, path, query, fragment))


def _filter_params(query: str) -> str:
    if not query:
        return query
    kept = []
    for pair in query.split("&"):
        key = unquote_plus(pair.split("=", 1)[0]).strip().lower()
        if key in TRACKING_PARAMS or key in TOKEN_PARAMS or key.startswith(TRACKING_PREFIXES):
            continue
        kept.append(pair)
    return "&".join(kept)


def clean_url(url: str) -> str:
    """A URL without tracking and credential parameters (for headers and logs)."""
    return _Redactor().url(url)


# ---- a small CSS → XPath translation for `private_content` -------------------------------

_CSS_TOKEN = re.compile(
    r"""\s*(?P<comb>>)\s*
      | (?P<ws>\s+)
      | (?P<tag>\*|[A-Za-z][\w-]*)
      | \#(?P<id>[\w-]+)
      | \.(?P<cls>[\w-]+)
      | \[\s*(?P<attr>[\w:-]+)\s*(?:(?P<op>[~^$*|]?=)\s*
           (?P<val>"[^"]*"|'[^']*'|[^\]\s]+))?\s*\]""",
    re.X,
)


def _literal(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in value.split("'")) + ")"


def css_to_xpath(selector: str) -> str:
    """Tags, #id, .class, [attr], [attr=|~=|^=|$=|*=|"|="value"], descendant and `>`;
    comma lists. Enough for marking user content; anything else is refused loudly."""
    alternatives = []
    for part in selector.split(","):
        steps: list[str] = []
        axis = "//"
        current: str | None = None
        pos = 0
        part = part.strip()
        while pos < len(part):
            m = _CSS_TOKEN.match(part, pos)
            if not m or m.end() == pos:
                raise ValueError(f"unsupported CSS in private_content: {selector!r}")
            pos = m.end()
            if m.group("comb") or m.group("ws"):
                if current is not None:
                    steps.append(axis + current)
                    current = None
                axis = "/" if m.group("comb") else ("//" if axis != "/" else "/")
                continue
            if current is None:
                current = "*"
            if m.group("tag"):
                if current != "*":
                    raise ValueError(f"unsupported CSS in private_content: {selector!r}")
                current = m.group("tag").lower()
            elif m.group("id"):
                current += f"[@id={_literal(m.group('id'))}]"
            elif m.group("cls"):
                current += ("[contains(concat(' ', normalize-space(@class), ' '), "
                            f"{_literal(' ' + m.group('cls') + ' ')})]")
            else:
                current += _attr_predicate(m.group("attr").lower(), m.group("op"), m.group("val"))
        if current is None:
            raise ValueError(f"empty selector in private_content: {selector!r}")
        steps.append(axis + current)
        alternatives.append("".join(steps))
    return " | ".join(alternatives)


def _attr_predicate(name: str, op: str | None, raw: str | None) -> str:
    attr = f"@{name}"
    if op is None or raw is None:
        return f"[{attr}]"
    value = raw[1:-1] if raw[:1] in "'\"" else raw
    lit = _literal(value)
    if op == "=":
        return f"[{attr}={lit}]"
    if op == "^=":
        return f"[starts-with({attr}, {lit})]"
    if op == "*=":
        return f"[contains({attr}, {lit})]"
    if op == "$=":
        return f"[substring({attr}, string-length({attr}) - {len(value) - 1}) = {lit}]"
    if op == "~=":
        word = _literal(" " + value + " ")
        return f"[contains(concat(' ', normalize-space({attr}), ' '), {word})]"
    return f"[{attr}={lit} or starts-with({attr}, {_literal(value + '-')})]"  # |=


# ---- the tree pass ------------------------------------------------------------------------


def _remove(el: Any) -> None:
    """Remove an element or comment, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _drop_element(el: Any) -> bool:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in ("script", "noscript"):
        return True
    if tag == "link":
        rels = set((el.get("rel") or "").lower().split())
        return bool(rels & DROP_LINK_RELS)
    if tag == "meta":
        equiv = (el.get("http-equiv") or "").lower()
        if equiv in ("content-security-policy", "set-cookie", "refresh"):
            return True
        key = (el.get("name") or el.get("property") or el.get("itemprop") or "").lower()
        if key.startswith(("og:", "twitter:", "al:", "fb:")):
            return True  # previews of user content
        return bool(key and TOKEN_NAME.search(key)) or looks_secret(el.get("content") or "")
    if tag == "input" and (el.get("type") or "").lower() == "hidden":
        name = el.get("name") or el.get("id") or ""
        return bool(TOKEN_NAME.search(name)) or looks_secret(el.get("value") or "")
    return False


def _clean_style(css: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return f"url({PLACEHOLDER_IMAGE})" if len(m.group(2)) > MAX_DATA_URL else m.group(0)

    return _DATA_URL_IN_CSS.sub(repl, css)


def _clean_srcset(value: str, red: _Redactor) -> str:
    pieces = re.split(r"(,\s+)", value)
    out = []
    for piece in pieces:
        if piece.startswith(","):
            out.append(piece)
            continue
        url, sep, rest = piece.strip().partition(" ")
        out.append(red.url(url) + sep + rest)
    cleaned = "".join(out)
    return value if cleaned == value.strip() else cleaned


def _clean_attributes(el: Any, red: _Redactor, private: bool) -> None:
    tag = el.tag.lower()
    input_type = (el.get("type") or "").lower() if tag == "input" else ""
    for name in list(el.attrib):
        lname = name.lower()
        value = el.get(name)
        if lname.startswith("on") or lname in ("nonce", "integrity", "ping", "srcdoc"):
            del el.attrib[name]
            continue
        if lname == "style":
            el.set(name, _clean_style(value))
            continue
        if lname == "srcset":
            el.set(name, _clean_srcset(value, red))
            continue
        if lname in URL_ATTRS or (lname.startswith("data-") and re.match(r"(https?:)?//", value)):
            if value.strip().lower().startswith(("javascript:", "vbscript:")):
                if tag == "a" and lname == "href":
                    el.set(name, "#")  # stays a link (role=link needs an href)
                else:
                    del el.attrib[name]
                continue
            el.set(name, red.url(value))
            continue
        if lname in ("class", "id") or lname.startswith("shadowroot"):
            continue
        if lname not in NOT_SECRET_ATTRS and lname != "data-testid" and looks_secret(value):
            del el.attrib[name]
            continue
        if lname == "value" and input_type == "password":
            del el.attrib[name]
            continue
        personal = lname == "value" and (
            input_type in ("email", "tel")
            or (el.get("autocomplete") or "").lower() in PERSONAL_AUTOCOMPLETE
        )
        scramble_it = personal or (private and lname in ("alt", "title"))
        new = red.text(value, private=scramble_it)
        if new != value:
            el.set(name, new)


def _private_elements(root: Any, private_css: Iterable[str]) -> set[Any]:
    marked: set[Any] = set()
    for css in private_css:
        for el in root.xpath(css_to_xpath(css)):
            marked.update(el.iter())
    return marked


def _iter_text(root: Any) -> Iterable[tuple[Any, str]]:
    """(element, text) pairs for every text node outside <style>."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and el.tag.lower() != "style":
            yield el, el.text
        for child in el:
            if child.tail:
                yield el, child.tail


def _header(platform: str, state: str, locale: str, captured: str, source: str) -> str:
    fields = {"platform": platform, "state": state, "locale": locale, "captured": captured,
              "source": source}
    body = " ".join(f"{k}={' '.join(str(v).split()) or '-'}" for k, v in fields.items())
    body = body.replace("--", "-%2D").replace(">", "%3E")
    return f"<!-- {HEADER_MARK} {body} -->"


def _previous_header(html: str) -> dict[str, str]:
    m = _HEADER.search(html[:4096])
    if not m:
        return {}
    fields = dict(f.split("=", 1) for f in m.group(1).split() if "=" in f)
    return {k: v.replace("-%2D", "--").replace("%3E", ">") for k, v in fields.items() if v != "-"}


def _date(captured_at: datetime | date | str | None) -> str:
    if captured_at is None:
        return datetime.now(timezone.utc).date().isoformat()
    if isinstance(captured_at, datetime):
        return captured_at.astimezone(timezone.utc).date().isoformat()
    if isinstance(captured_at, date):
        return captured_at.isoformat()
    return captured_at


def sanitize(
    html: str,
    *,
    platform: str,
    state: str,
    locale: str | None = None,
    source_url: str = "",
    captured_at: datetime | date | str | None = None,
    private_css: Sequence[str] = (),
) -> str:
    """The page made safe to commit, with a provenance header after the doctype.

    `locale` defaults to the page's `<html lang>`; `captured_at` to today (UTC).
    """
    html = strip_failure_header(html)
    previous = _previous_header(html)
    # Re-sanitising a fixture keeps the source URL it recorded: the original handles in it
    # cannot be known any more, and the recorded one is already clean.
    source_url = previous.get("source", source_url)
    if captured_at is None:
        captured_at = previous.get("captured")
    if not html.strip():
        raise ValueError("nothing to sanitise: the HTML is empty")
    root = lxml.html.document_fromstring(html)
    doctype = root.getroottree().docinfo.doctype or ""

    for comment in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _remove(comment)
    for el in list(root.iter()):
        if isinstance(el.tag, str) and _drop_element(el):
            _remove(el)

    red = _Redactor()
    for _el, text in _iter_text(root):
        red.collect(text)
    for el in root.iter():
        if isinstance(el.tag, str):
            for value in el.attrib.values():
                red.collect(value)
    red.collect(source_url)

    private = _private_elements(root, private_css)
    for el in root.iter():
        if isinstance(el.tag, str):
            _clean_attributes(el, red, el in private)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag.lower() == "style":
            if el.text:
                el.text = _clean_style(el.text)
        elif el.text:
            el.text = red.text(el.text, private=el in private)
        for child in el:
            if child.tail:
                child.tail = red.text(child.tail, private=el in private)

    page_locale = locale or root.get("lang") or root.get("xml:lang") or "unknown"
    header = _header(platform, state, page_locale, _date(captured_at), red.url(source_url))
    body = lxml.html.tostring(root, encoding="unicode", method="html")
    head = (doctype + "\n") if doctype else ""
    return f"{head}{header}\n{body.rstrip()}\n"
