"""The sandbox social site as a Starlette app: pages, the JSON API and the control API.

Faults come from two places and add up: the account's faults (state / control API) and the
request's own `?fault=NAME` parameters. The composer page forwards its request faults to
the API calls its script makes, so `/compose?fault=reject` rejects the post.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox import pages
from sandbox.pages import Viewer, t
from sandbox.state import (
    CHALLENGE,
    CONSENT_COOKIE,
    COOKIE_BANNER,
    DEFAULT_SLOW_MS,
    FAULTS,
    LOCALES,
    MAX_MEDIA_BYTES,
    MAX_POST_CODE_POINTS,
    REDESIGN_BROKEN,
    REDESIGN_FALLBACK,
    REJECT,
    SESSION_COOKIE,
    SESSION_EXPIRED,
    SESSION_MAX_AGE_S,
    SLOW,
    SLOW_UPLOAD,
    Account,
    Locale,
    SandboxError,
    SandboxState,
)

# Query parameters that steer the sandbox rather than the page; dropped from `next=`.
_STEERING_PARAMS = ("fault", "slow_ms")
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})
_NO_STORE = {"Cache-Control": "no-store"}

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
)


def sniff_image(data: bytes) -> str | None:
    """The image type by magic bytes (what the file is, not what the browser claims)."""
    for magic, offset, content_type in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Ctx:
    """What one request is about: who (if anyone), which faults, which language."""

    account: Account | None
    session_dropped: bool
    faults: frozenset[str]
    request_faults: tuple[str, ...]
    slow_ms: int
    requested_slow_ms: int | None
    locale: Locale
    lang_override: Locale | None

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.locale, self.account.name if self.account else None)


def _parse_faults(request: Request) -> tuple[str, ...]:
    names: list[str] = []
    for value in request.query_params.getlist("fault"):
        names.extend(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(set(names) - FAULTS)
    if unknown:
        raise SandboxError(f"unknown fault(s): {', '.join(unknown)}; known: {sorted(FAULTS)}")
    return tuple(dict.fromkeys(names))


def _parse_slow_ms(request: Request) -> int | None:
    raw = request.query_params.get("slow_ms")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SandboxError("slow_ms must be an integer") from None
    if value < 0:
        raise SandboxError("slow_ms must be >= 0")
    return value


def _lang(request: Request) -> Locale | None:
    lang = request.query_params.get("lang")
    for locale in LOCALES:
        if lang == locale:
            return locale
    return None


def _safe_next(value: str | None) -> str:
    """Only local paths, so the login form cannot be used as an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/compose"
    return value


def _login_redirect(request: Request, *, path_only: bool = False) -> RedirectResponse:
    """302 to the login form, remembering where the user was going (minus fault params)."""
    target = request.url.path
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in _STEERING_PARAMS]
    if kept and not path_only:
        target += "?" + urlencode(kept)
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=302)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_NO_STORE)


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_NO_STORE)


Handler = Callable[[Request, Ctx], Awaitable[Response]]


class _Site:
    """The routes, bound to one SandboxState."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # Plumbing ------------------------------------------------------------------------------

    def context(self, request: Request) -> Ctx:
        """Resolve session, faults and language; applies `session_expired` on the spot."""
        request_faults = _parse_faults(request)
        requested_slow = _parse_slow_ms(request)
        token = request.cookies.get(SESSION_COOKIE)
        account = self.state.session_account(token)
        faults = set(request_faults)
        dropped = False
        if account is not None:
            faults |= account.faults
            if SESSION_EXPIRED in faults:
                self.state.end_session(token)
                account, dropped = None, True
        slow_ms = requested_slow
        if slow_ms is None:
            slow_ms = account.slow_ms if account is not None else DEFAULT_SLOW_MS
        override = _lang(request)
        locale: Locale = override or (account.locale if account else "en")
        return Ctx(
            account=account,
            session_dropped=dropped,
            faults=frozenset(faults),
            request_faults=request_faults,
            slow_ms=slow_ms,
            requested_slow_ms=requested_slow,
            locale=locale,
            lang_override=override,
        )

    def page(
        self, handler: Handler, *, api: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler: build its context, then hold the response back under `slow`."""

        async def endpoint(request: Request) -> Response:
            try:
                ctx = self.context(request)
            except SandboxError as exc:
                if api:
                    return _error(400, str(exc))
                return Response(str(exc), status_code=400, media_type="text/plain")
            response = await handler(request, ctx)
            if SLOW in ctx.faults and ctx.slow_ms > 0:
                await asyncio.sleep(ctx.slow_ms / 1000)
            return response

        return endpoint

    # Pages ---------------------------------------------------------------------------------

    async def root(self, request: Request, ctx: Ctx) -> Response:
        query = request.url.query
        return RedirectResponse("/compose" + (f"?{query}" if query else ""), status_code=302)

    async def login_form(self, request: Request, ctx: Ctx) -> Response:
        return _html(pages.login_page(ctx.viewer))

    async def login_submit(self, request: Request, ctx: Ctx) -> Response:
        async with request.form(max_files=0, max_fields=10) as form:
            username = str(form.get("username") or "")
            password = str(form.get("password") or "")
        account = self.state.check_password(username, password)
        if account is None:
            return _html(pages.login_page(ctx.viewer, username=username, failed=True), 401)
        response = RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self.state.create_session(account.name),
            max_age=SESSION_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            path="/",
        )
        return response

    async def logout(self, request: Request, ctx: Ctx) -> Response:
        self.state.end_session(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=302)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def compose(self, request: Request, ctx: Ctx) -> Response:
        if ctx.account is None:
            return _login_redirect(request, path_only=ctx.session_dropped)
        if CHALLENGE in ctx.faults:
            suffix = f"?lang={ctx.lang_override}" if ctx.lang_override else ""
            return RedirectResponse(f"/challenge{suffix}", status_code=302)
        design: pages.Design = "normal"
        if REDESIGN_BROKEN in ctx.faults:
            design = "broken"
        elif REDESIGN_FALLBACK in ctx.faults:
            design = "fallback"
        forwarded: list[tuple[str, str]] = [("fault", name) for name in ctx.request_faults]
        if ctx.requested_slow_ms is not None:
            forwarded.append(("slow_ms", str(ctx.requested_slow_ms)))
        if ctx.lang_override:
            forwarded.append(("lang", ctx.lang_override))
        banner = COOKIE_BANNER in ctx.faults and CONSENT_COOKIE not in request.cookies
        return _html(
            pages.compose_page(
                ctx.viewer, design=design, cookie_banner=banner, api_query=urlencode(forwarded)
            )
        )

    async def challenge(self, request: Request, ctx: Ctx) -> Response:
        return _html(pages.challenge_page(ctx.viewer))

    async def profile(self, request: Request, ctx: Ctx) -> Response:
        name = request.path_params["account"]
        owner = self.state.account(name)
        if owner is None:
            return _html(pages.not_found_page(ctx.viewer), 404)
        viewer = ctx.viewer
        if ctx.account is None and ctx.lang_override is None:
            viewer = Viewer(owner.locale, None)
        posts = list(reversed(self.state.posts(name)))[:50]
        return _html(pages.profile_page(viewer, name, posts))

    async def post(self, request: Request, ctx: Ctx) -> Response:
        post = self.state.post(request.path_params["post_id"])
        if post is None:
            return _html(pages.not_found_page(ctx.viewer), 404)
        return _html(pages.post_page(ctx.viewer, post))

    async def media(self, request: Request, ctx: Ctx) -> Response:
        stored = self.state.media(request.path_params["media_id"])
        if stored is None:
            return Response(status_code=404)
        return Response(
            stored.data,
            media_type=stored.info.content_type,
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # JSON API ------------------------------------------------------------------------------

    def _api_gate(self, ctx: Ctx) -> JSONResponse | None:
        """The answer to give instead of doing the work, if the caller may not do it."""
        if ctx.account is None:
            return _error(401, t("err_logged_out", ctx.locale))
        if CHALLENGE in ctx.faults:
            return _error(403, t("err_challenge", ctx.locale))
        return None

    async def upload_media(self, request: Request, ctx: Ctx) -> Response:
        gate = self._api_gate(ctx)
        if gate is not None or ctx.account is None:
            return gate or _error(401, t("err_logged_out", ctx.locale))
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_MEDIA_BYTES + 64 * 1024:
            return _error(413, t("err_media_size", ctx.locale))
        try:
            async with request.form(max_files=1, max_fields=10) as form:
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    return _error(400, t("err_bad_request", ctx.locale))
                data = await upload.read(MAX_MEDIA_BYTES + 1)
                filename = upload.filename or "image"
        except (MultiPartException, HTTPException):  # a malformed body: the client's fault
            return _error(400, t("err_bad_request", ctx.locale))
        if len(data) > MAX_MEDIA_BYTES:
            return _error(413, t("err_media_size", ctx.locale))
        content_type = sniff_image(data)
        if content_type is None:
            return _error(415, t("err_media_type", ctx.locale))
        if SLOW_UPLOAD in ctx.faults and ctx.slow_ms > 0:  # received, not yet accepted
            await asyncio.sleep(ctx.slow_ms / 1000)
        info = self.state.add_media(ctx.account.name, data, content_type, filename)
        return JSONResponse(
            {
                "id": info.id,
                "url": f"/media/{info.id}",
                "content_type": info.content_type,
                "size": info.size,
                "sha256": info.sha256,
            },
            status_code=201,
            headers=_NO_STORE,
        )

    async def create_post(self, request: Request, ctx: Ctx) -> Response:
        gate = self._api_gate(ctx)
        if gate is not None or ctx.account is None:
            return gate or _error(401, t("err_logged_out", ctx.locale))
        if REJECT in ctx.faults:
            return _error(422, t("err_reject", ctx.locale))
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return _error(400, t("err_bad_request", ctx.locale))
        if not isinstance(body, dict):
            return _error(400, t("err_bad_request", ctx.locale))
        text = body.get("text")
        media = body.get("media", [])
        if (
            not isinstance(text, str)
            or not isinstance(media, list)
            or not all(isinstance(m, str) for m in media)
        ):
            return _error(400, t("err_bad_request", ctx.locale))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates cannot be stored or shown
            return _error(400, t("err_bad_request", ctx.locale))
        if not text.strip():
            return _error(422, t("err_empty", ctx.locale))
        if len(text) > MAX_POST_CODE_POINTS:
            return _error(422, t("err_too_long", ctx.locale))
        try:
            post = self.state.add_post(
                ctx.account.name, text, media, request.headers.get("user-agent", "")
            )
        except SandboxError:
            return _error(422, t("err_media_unknown", ctx.locale))
        return JSONResponse({"id": post.id, "url": post.url}, status_code=201, headers=_NO_STORE)

    # Static --------------------------------------------------------------------------------

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        types = {"composer.js": "text/javascript", "site.css": "text/css"}
        if name not in types:
            return Response(status_code=404)
        data = resources.files("sandbox").joinpath("static", name).read_bytes()
        return Response(
            data, media_type=f"{types[name]}; charset=utf-8", headers={"Cache-Control": "no-cache"}
        )

    # Control API ---------------------------------------------------------------------------

    def control(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """Control routes exist only for loopback clients; everyone else gets a 404."""

        async def endpoint(request: Request) -> Response:
            if request.client is None or request.client.host not in _LOOPBACK:
                return Response(status_code=404)
            try:
                return await handler(request)
            except SandboxError as exc:
                status = 404 if str(exc).startswith("no such account") else 400
                return JSONResponse({"error": str(exc)}, status_code=status)

        return endpoint

    async def _json_body(self, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise SandboxError("body must be JSON") from None
        if not isinstance(body, dict):
            raise SandboxError("body must be a JSON object")
        return body

    async def control_posts(self, request: Request) -> Response:
        account = request.query_params.get("account")
        return JSONResponse([p.to_json() for p in self.state.posts(account)])

    async def control_clear_posts(self, request: Request) -> Response:
        return JSONResponse({"deleted": self.state.clear_posts()})

    async def control_reset(self, request: Request) -> Response:
        self.state.reset()
        return JSONResponse({"ok": True})

    async def control_add_account(self, request: Request) -> Response:
        body = await self._json_body(request)
        name, password, locale = body.get("name"), body.get("password"), body.get("locale", "en")
        if not isinstance(name, str) or not isinstance(locale, str):
            raise SandboxError("name and locale must be strings")
        if password is None:
            password = name
        if not isinstance(password, str):
            raise SandboxError("password must be a string")
        account = self.state.add_account(name, password, locale)
        return JSONResponse(account.public(), status_code=201)

    async def control_faults(self, request: Request) -> Response:
        body = await self._json_body(request)
        faults = body.get("faults", [])
        slow_ms = body.get("slow_ms")
        if not isinstance(faults, list) or not all(isinstance(f, str) for f in faults):
            raise SandboxError("faults must be a list of fault names")
        if slow_ms is not None and (not isinstance(slow_ms, int) or isinstance(slow_ms, bool)):
            raise SandboxError("slow_ms must be an integer")
        account = self.state.set_faults(request.path_params["name"], *faults, slow_ms=slow_ms)
        return JSONResponse(account.public())

    async def control_sessions(self, request: Request) -> Response:
        body = await self._json_body(request)
        account = body.get("account")
        if not isinstance(account, str):
            raise SandboxError("account must be a string")
        if self.state.account(account) is None:
            raise SandboxError(f"no such account: {account}")
        return JSONResponse({"cookie": self.state.login_cookie(account)}, status_code=201)

    async def control_state(self, request: Request) -> Response:
        return JSONResponse(self.state.snapshot())


def create_app(state: SandboxState | None = None) -> Starlette:
    """The sandbox site over `state` (a fresh one with the default accounts if omitted)."""
    site = _Site(state if state is not None else SandboxState())
    page, control = site.page, site.control
    routes = [
        Route("/", page(site.root)),
        Route("/login", page(site.login_form), methods=["GET"]),
        Route("/login", page(site.login_submit), methods=["POST"]),
        Route("/logout", page(site.logout), methods=["GET", "POST"]),
        Route("/compose", page(site.compose)),
        Route("/challenge", page(site.challenge)),
        Route("/u/{account}", page(site.profile)),
        Route("/p/{post_id}", page(site.post)),
        Route("/media/{media_id}", page(site.media)),
        Route("/api/media", page(site.upload_media, api=True), methods=["POST"]),
        Route("/api/posts", page(site.create_post, api=True), methods=["POST"]),
        Route("/static/{name}", site.static),
        Route("/_control/posts", control(site.control_posts), methods=["GET"]),
        Route("/_control/posts", control(site.control_clear_posts), methods=["DELETE"]),
        Route("/_control/reset", control(site.control_reset), methods=["POST"]),
        Route("/_control/accounts", control(site.control_add_account), methods=["POST"]),
        Route("/_control/accounts/{name}/faults", control(site.control_faults), methods=["PUT"]),
        Route("/_control/sessions", control(site.control_sessions), methods=["POST"]),
        Route("/_control/state", control(site.control_state), methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = site.state
    return app
