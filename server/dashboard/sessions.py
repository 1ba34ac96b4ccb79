"""Operator sessions for the dashboard: random ids kept server-side, CSRF tokens, origin checks.

The operator token is typed once into the sign-in form; the browser then only holds a random
session id in an HttpOnly, SameSite=Lax cookie, so the token never sits in a page or in script
reach. With one server process (SQLite) sessions live in its memory: a restart signs everyone
out, which is acceptable for one operator console. With several replicas (PostgreSQL, whose
store is `SessionRecords`) they live in the database, so a sign-in on one replica is valid on
every other; only the sha256 of a session id is stored, never the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from server.store import SessionRecords

COOKIE = "pr_session"
LANG_COOKIE = "pr_lang"
PATH = "/app/publishing"
MAX_AGE = 12 * 3600  # seconds a session lasts after sign-in
MAX_SESSIONS = 1000  # oldest are dropped past this, so a flood of sign-ins cannot grow memory


@dataclass(frozen=True)
class Session:
    id: str
    csrf: str
    expires_at: float


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """Thread-safe: the ASGI app and test threads may both touch it. `records` (the store,
    when it keeps sessions) replaces the in-memory table."""

    def __init__(
        self, *, clock: Callable[[], float] = time.time, records: SessionRecords | None = None
    ) -> None:
        self._clock = clock
        self._records = records
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self) -> Session:
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now + MAX_AGE)
        if self._records is not None:
            self._records.save_session(_hash(session.id), session.csrf, session.expires_at)
            return session
        with self._lock:
            self._by_id = {k: v for k, v in self._by_id.items() if v.expires_at > now}
            while len(self._by_id) >= MAX_SESSIONS:
                self._by_id.pop(next(iter(self._by_id)))
            self._by_id[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        if self._records is not None:
            found = self._records.load_session(_hash(session_id))
            return None if found is None else Session(session_id, *found)
        with self._lock:
            session = self._by_id.get(session_id)
            if session is not None and session.expires_at <= self._clock():
                del self._by_id[session_id]
                return None
            return session

    def drop(self, session_id: str | None) -> None:
        if self._records is not None:
            if session_id:
                self._records.drop_session(_hash(session_id))
            return
        with self._lock:
            self._by_id.pop(session_id or "", None)


def csrf_ok(session: Session, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), session.csrf.encode())


def own_origin(request: Request) -> str:
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}"


def same_origin(request: Request) -> bool:
    """A state-changing request must say it comes from our own pages: Origin when the browser
    sends it (all current ones do on POST), else the Referer. Neither → refused."""
    mine = own_origin(request)
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == mine
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" == mine
    return False


def safe_next(value: object) -> str:
    """Only paths inside the dashboard may be redirected to (no open redirect)."""
    if isinstance(value, str) and value.startswith(PATH) and "//" not in value \
            and "\\" not in value and "\n" not in value and "\r" not in value:
        return value
    return PATH
