"""Everything the sandbox site remembers: accounts, sessions, uploads, posts and faults.

One `SandboxState` is shared by the web app (running in uvicorn's thread) and the test or
process that owns it, so every method takes the lock and hands out copies, never live
objects.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

Locale = Literal["en", "ar"]
LOCALES: tuple[Locale, ...] = ("en", "ar")

SESSION_COOKIE = "sandbox_session"
CONSENT_COOKIE = "sandbox_cookie_consent"
COOKIE_DOMAIN = "127.0.0.1"
# Real platforms keep a login for weeks; a cookie without an expiry would be a session cookie
# that the browser drops when it closes, so a login would not survive a restart.
SESSION_MAX_AGE_S = 30 * 24 * 3600

MAX_POST_CODE_POINTS = 280
MAX_MEDIA_BYTES = 5 * 1024 * 1024
DEFAULT_SLOW_MS = 1500

# Fault names, usable per account (state / control API) or per request (`?fault=NAME`).
SESSION_EXPIRED = "session_expired"
CHALLENGE = "challenge"
REDESIGN_FALLBACK = "redesign_fallback"
REDESIGN_BROKEN = "redesign_broken"
SLOW = "slow"
REJECT = "reject"
COOKIE_BANNER = "cookie_banner"
# Only `POST /api/media` is held back `slow_ms`: the file sits "uploading" in the composer,
# so a test can stop the publisher inside an upload (the chaos suite's attach window).
SLOW_UPLOAD = "slow_upload"
FAULTS: frozenset[str] = frozenset(
    {SESSION_EXPIRED, CHALLENGE, REDESIGN_FALLBACK, REDESIGN_BROKEN, SLOW, REJECT, COOKIE_BANNER,
     SLOW_UPLOAD}
)

_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")


class SandboxError(ValueError):
    """A request to the state that cannot be honoured (unknown account, bad fault...)."""


@dataclass(frozen=True)
class Account:
    """A user of the sandbox site and the faults currently switched on for it."""

    name: str
    password: str
    locale: Locale = "en"
    faults: frozenset[str] = frozenset()
    slow_ms: int = DEFAULT_SLOW_MS

    def public(self) -> dict[str, Any]:
        """JSON view for the control API (passwords included: this is a test double)."""
        return {
            "name": self.name,
            "password": self.password,
            "locale": self.locale,
            "faults": sorted(self.faults),
            "slow_ms": self.slow_ms,
        }


@dataclass(frozen=True)
class MediaInfo:
    """What a post says about one attached image; enough to prove the right bytes arrived."""

    id: str
    content_type: str
    size: int
    sha256: str
    filename: str


@dataclass(frozen=True)
class StoredMedia:
    """An uploaded image, kept in memory so `/media/{id}` can serve it back."""

    info: MediaInfo
    account: str
    data: bytes


@dataclass(frozen=True)
class RecordedPost:
    """A post exactly as the server received it; what tests and benchmarks check."""

    id: str
    account: str
    text: str
    media: tuple[MediaInfo, ...]
    created_at: str
    user_agent: str

    @property
    def url(self) -> str:
        return f"/p/{self.id}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["media"] = [asdict(m) for m in self.media]
        data["url"] = self.url
        return data


@dataclass
class _Data:
    accounts: dict[str, Account] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    media: dict[str, StoredMedia] = field(default_factory=dict)
    posts: list[RecordedPost] = field(default_factory=list)


def _check_faults(faults: tuple[str, ...] | list[str]) -> frozenset[str]:
    unknown = sorted(set(faults) - FAULTS)
    if unknown:
        raise SandboxError(f"unknown fault(s): {', '.join(unknown)}; known: {sorted(FAULTS)}")
    return frozenset(faults)


class SandboxState:
    """Thread-safe memory of the sandbox site.

    Created with the two default accounts, `main` (en) and `arabic` (ar), whose passwords
    are their names.
    """

    def __init__(self, accounts: list[Account] | None = None) -> None:
        self._lock = threading.RLock()
        self._data = _Data()
        # Post ids keep growing across resets so an old /p/{id} never shows a newer post.
        self._post_ids = itertools.count(1001)
        defaults = [Account("main", "main", "en"), Account("arabic", "arabic", "ar")]
        for account in accounts or defaults:
            self.add_account(account.name, account.password, account.locale)

    # Accounts -----------------------------------------------------------------------------

    def add_account(self, name: str, password: str, locale: str = "en") -> Account:
        """Create (or replace) an account; its faults start cleared."""
        if not _ACCOUNT_NAME.match(name):
            raise SandboxError("account name must be 1-32 letters, digits or underscores")
        if locale not in LOCALES:
            raise SandboxError(f"locale must be one of {list(LOCALES)}")
        if not password:
            raise SandboxError("password must not be empty")
        account = Account(name, password, locale)
        with self._lock:
            self._data.accounts[name] = account
        return account

    def account(self, name: str) -> Account | None:
        with self._lock:
            return self._data.accounts.get(name)

    def accounts(self) -> list[Account]:
        with self._lock:
            return list(self._data.accounts.values())

    def check_password(self, name: str, password: str) -> Account | None:
        """The account if the credentials are right; constant-time on the password."""
        account = self.account(name)
        if account is None or not secrets.compare_digest(
            account.password.encode(), password.encode()
        ):
            return None
        return account

    def _require(self, name: str) -> Account:
        account = self._data.accounts.get(name)
        if account is None:
            raise SandboxError(f"no such account: {name}")
        return account

    # Faults -------------------------------------------------------------------------------

    def set_faults(self, account: str, *faults: str, slow_ms: int | None = None) -> Account:
        """Switch on exactly these faults for an account (none: back to normal)."""
        wanted = _check_faults(faults)
        if slow_ms is not None and slow_ms < 0:
            raise SandboxError("slow_ms must be >= 0")
        with self._lock:
            current = self._require(account)
            updated = replace(
                current,
                faults=wanted,
                slow_ms=current.slow_ms if slow_ms is None else slow_ms,
            )
            self._data.accounts[account] = updated
            return updated

    # Sessions -----------------------------------------------------------------------------

    def create_session(self, account: str) -> str:
        """A new session token for the account (what the login form sets as cookie)."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._require(account)
            self._data.sessions[token] = account
        return token

    def session_account(self, token: str | None) -> Account | None:
        """The account behind a session cookie value, or None if it is not (or no longer) valid."""
        if not token:
            return None
        with self._lock:
            name = self._data.sessions.get(token)
            return None if name is None else self._data.accounts.get(name)

    def end_session(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._data.sessions.pop(token, None)

    def login_cookie(self, account: str) -> dict[str, Any]:
        """A logged-in cookie for Playwright's `context.add_cookies([...])` or httpx: the one
        the login form sets, with the same lifetime (`expires`, in seconds since the epoch)."""
        return {
            "name": SESSION_COOKIE,
            "value": self.create_session(account),
            "domain": COOKIE_DOMAIN,
            "path": "/",
            "expires": int(time.time()) + SESSION_MAX_AGE_S,
            "httpOnly": True,
            "sameSite": "Lax",
        }

    # Media ---------------------------------------------------------------------------------

    def add_media(self, account: str, data: bytes, content_type: str, filename: str) -> MediaInfo:
        info = MediaInfo(
            id=secrets.token_urlsafe(9),
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            filename=filename,
        )
        with self._lock:
            self._data.media[info.id] = StoredMedia(info, account, data)
        return info

    def media(self, media_id: str) -> StoredMedia | None:
        with self._lock:
            return self._data.media.get(media_id)

    def uploads(self, account: str | None = None) -> list[MediaInfo]:
        """The uploads the site accepted (an account's, or all)."""
        with self._lock:
            return [m.info for m in self._data.media.values()
                    if account is None or m.account == account]

    # Posts ---------------------------------------------------------------------------------

    def add_post(
        self, account: str, text: str, media_ids: list[str], user_agent: str
    ) -> RecordedPost:
        """Record a post; media must be this account's own uploads."""
        with self._lock:
            self._require(account)
            media: list[MediaInfo] = []
            for media_id in media_ids:
                stored = self._data.media.get(media_id)
                if stored is None or stored.account != account:
                    raise SandboxError(f"unknown media id: {media_id}")
                media.append(stored.info)
            post = RecordedPost(
                id=str(next(self._post_ids)),
                account=account,
                text=text,
                media=tuple(media),
                created_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                user_agent=user_agent,
            )
            self._data.posts.append(post)
            return post

    def posts(self, account: str | None = None) -> list[RecordedPost]:
        """Recorded posts, oldest first, optionally of one account."""
        with self._lock:
            return [p for p in self._data.posts if account is None or p.account == account]

    def post(self, post_id: str) -> RecordedPost | None:
        with self._lock:
            return next((p for p in self._data.posts if p.id == post_id), None)

    def clear_posts(self) -> int:
        """Forget posts and uploads; returns how many posts there were."""
        with self._lock:
            count = len(self._data.posts)
            self._data.posts.clear()
            self._data.media.clear()
            return count

    def reset(self) -> None:
        """Back to a clean slate between tests: no posts, no uploads, no faults.

        Accounts and sessions stay, so cookies handed out earlier keep working.
        """
        with self._lock:
            self.clear_posts()
            for name, account in self._data.accounts.items():
                self._data.accounts[name] = replace(
                    account, faults=frozenset(), slow_ms=DEFAULT_SLOW_MS
                )

    def snapshot(self) -> dict[str, Any]:
        """Everything at once, for `GET /_control/state` and debugging."""
        with self._lock:
            return {
                "accounts": [a.public() for a in self._data.accounts.values()],
                "sessions": len(self._data.sessions),
                "media": len(self._data.media),
                "posts": [p.to_json() for p in self._data.posts],
            }
