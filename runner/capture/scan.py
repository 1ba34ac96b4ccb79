"""A guard for committed fixtures: flag anything that looks like a secret or personal data.

Fixtures are captured from real accounts, so one missed token or address would be published
with the repository. `scan` is deliberately a little over-eager (like gitleaks): a false
positive costs a developer a minute, a leak cannot be taken back. The sanitiser uses the same
patterns, so whatever it writes passes this scan.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

EMAIL = re.compile(r"(?<![\w.%+-])([\w.%+-]+)@([\w-]+(?:\.[\w-]+)+)")
# International numbers, US-style groups and tel: links; 8–15 digits checked afterwards, so CSS
# numbers, SVG paths, dates and counters do not match.
PHONE = re.compile(
    r"""(?<![\w+/.-]|\d)(?:
        \+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,5}){2,4}
      | \(\d{3}\)\s?\d{3}[\s.-]\d{4}
      | \d{3}[.-]\d{3}[.-]\d{4}
    )(?![\w/]|[.-]\d)""",
    re.X,
)
HANDLE = re.compile(r"(?<![\w@.%+-])@(\w(?:[\w.]{0,38}\w)?)")
JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{0,}")
# Prefix-recognisable keys and tokens: safe to look for anywhere in a file.
KEYS: dict[str, re.Pattern[str]] = {
    "jwt": JWT,
    "aws-key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "google-key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "google-oauth": re.compile(r"\bya29\.[0-9A-Za-z_-]{20,}"),
    "github-token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "slack-token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "private-key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "bearer-token": re.compile(r"(?i)\b(?:bearer|basic|token)\s+([A-Za-z0-9._~+/-]{20,}=*)"),
}
SESSION_COOKIE = re.compile(
    r"""(?ix)\b(?:session(?:id)?|sess|sid|phpsessid|jsessionid|connect\.sid|auth_token|
        ct0|twid|c_user|xs|ds_user_id|[\w-]*_session)["']?\s*[=:]\s*["']?
        ([A-Za-z0-9%._~+/-]{16,})"""
)
CSRF_VALUE = re.compile(
    r"""(?ix)(?:csrf|xsrf|authenticity_token|requestverificationtoken)[\w-]*["']?\s*
        (?:[=:]|[^<>]{0,120}?\b(?:content|value)\s*=)\s*["']?([A-Za-z0-9+/=_.:-]{16,})"""
)
LONG_HEX = re.compile(r"(?<![0-9A-Fa-f])[0-9a-fA-F]{32,}(?![0-9A-Fa-f])")
LONG_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}")
ATTRIBUTE = re.compile(r"""\s([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Query parameters that carry credentials rather than page state.
TOKEN_PARAM = re.compile(
    r"(?i)[?&#](?:access_token|id_token|refresh_token|token|auth|auth_token|sig|signature|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token|csrf|_csrf|xsrf|session|"
    r"sessionid|sid|oh|apikey|api_key)=([^&#\"'\s]{8,})"
)

SYNTHETIC_DOMAINS = ("example.com", "example.org", "example.net", "localhost")
SYNTHETIC_TLDS = (".example", ".test", ".invalid", ".localhost")
# `logo@2x.png`, `pkg@1.2.3`: an @ followed by a file name is not an address.
FILE_TLDS = frozenset(
    ("png", "jpg", "jpeg", "gif", "webp", "svg", "avif", "ico", "css", "js", "mjs", "json",
     "woff", "woff2", "ttf", "otf", "map", "html")
)
# Attributes whose values are long by nature and are not secrets.
NOT_SECRET_ATTRS = frozenset(
    ("class", "style", "d", "points", "viewbox", "transform", "href", "src", "srcset",
     "xlink:href", "poster", "action", "formaction", "data-src", "data-href")
)


@dataclass(frozen=True)
class Finding:
    """One suspicious string: where it is and a masked excerpt (never the whole secret)."""

    line: int
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.excerpt}"


def is_synthetic_domain(domain: str) -> bool:
    d = domain.lower().rstrip(".")
    return d in SYNTHETIC_DOMAINS or d.endswith(SYNTHETIC_TLDS) or any(
        d.endswith("." + s) for s in SYNTHETIC_DOMAINS
    )


def is_address(domain: str) -> bool:
    """Whether an `x@domain` match is an email address at all (not `logo@2x.png`)."""
    tld = domain.rsplit(".", 1)[-1]
    return len(tld) >= 2 and tld.isalpha() and tld.lower() not in FILE_TLDS


def phone_digits(match: str) -> str:
    return "".join(ch for ch in match if ch.isdigit())


def is_phone(match: str) -> bool:
    return 8 <= len(phone_digits(match)) <= 15


def is_redacted_phone(match: str) -> bool:
    """The sanitiser writes phone numbers as zeros; those are not personal data."""
    return all(unicodedata.digit(ch) == 0 for ch in phone_digits(match))


def secret_value(m: re.Match[str]) -> tuple[int, int]:
    """The span of the secret itself in a key match (`Bearer abc…`: only `abc…`)."""
    return m.span(1) if m.re.groups else m.span()


def is_redacted_secret(value: str) -> bool:
    """The sanitiser writes secrets found in text as x/X/0; those are not secrets."""
    return set(value) <= set("xX0._-~+/=:")


def looks_secret(value: str) -> bool:
    """A long hex or mixed base64 run: what tokens, signatures and session ids look like."""
    if value.lstrip().startswith("data:"):
        return False
    if JWT.search(value) or LONG_HEX.search(value):
        return True
    for m in LONG_B64.finditer(value):
        run = m.group(0)
        if (any(c.isdigit() for c in run) and any(c.isupper() for c in run)
                and any(c.islower() for c in run)):
            return True
    return False


def _mask(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= 8:
        return text[:2] + "…"
    return f"{text[:4]}…{text[-3:]} ({len(text)} chars)"


def scan(text: str) -> list[Finding]:
    """Findings in `text` (HTML or any text file), in line order."""
    raw: list[tuple[int, str, str]] = []

    def add(pos: int, kind: str, found: str) -> None:
        raw.append((pos, kind, found))

    for m in EMAIL.finditer(text):
        domain = m.group(2)
        if is_address(domain) and not is_synthetic_domain(domain):
            add(m.start(), "email", m.group(0))
    for m in PHONE.finditer(text):
        if is_phone(m.group(0)) and not is_redacted_phone(m.group(0)):
            add(m.start(), "phone", m.group(0))
    for kind, pattern in KEYS.items():
        for m in pattern.finditer(text):
            start, end = secret_value(m)
            if not is_redacted_secret(text[start:end]):
                add(m.start(), kind, m.group(0))
    for m in SESSION_COOKIE.finditer(text):
        if looks_secret(m.group(1)) or len(m.group(1)) >= 20:
            add(m.start(), "session-cookie", m.group(0))
    for m in CSRF_VALUE.finditer(text):
        add(m.start(), "csrf-token", m.group(0))
    for m in TOKEN_PARAM.finditer(text):
        add(m.start(), "url-token", m.group(0))
    for m in ATTRIBUTE.finditer(text):
        name = m.group(1).lower()
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if name not in NOT_SECRET_ATTRS and looks_secret(value):
            add(m.start(1), "secret-attribute", f"{name}={value}")
    seen: set[tuple[int, str]] = set()
    findings: list[Finding] = []
    for pos, kind, found in sorted(raw):
        line = text.count("\n", 0, pos) + 1
        if (line, kind) in seen:
            continue  # one finding per kind and line is enough to point at it
        seen.add((line, kind))
        findings.append(Finding(line, kind, _mask(found)))
    return findings


def scan_file(path: Path) -> list[Finding]:
    """Scan a text file; binary files (images) are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []
    return scan(text)


def scan_tree(root: Path) -> dict[Path, list[Finding]]:
    """Every file under `root` that has findings."""
    out: dict[Path, list[Finding]] = {}
    if not root.exists():
        return out
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        findings = scan_file(path)
        if findings:
            out[path] = findings
    return out
