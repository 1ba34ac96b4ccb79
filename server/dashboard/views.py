"""The operator dashboard's routes: server-rendered pages, form actions and one JSON poll.

Every page and action calls the same services as the operator API (`server.services`), so
the dashboard cannot drift from the API's rules (transitions, wake-ups, audit). Pages need a
session; form posts also need the session's CSRF token and a same-origin Origin/Referer.
Errors become a page with the matching 4xx status, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from markupsafe import Markup
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from contract import models as s
from server import auth, errors, states
from server.dashboard import bundle, i18n
from server.dashboard.logins import login_notices
from server.dashboard.sessions import (
    COOKIE,
    LANG_COOKIE,
    MAX_AGE,
    PATH,
    Session,
    Sessions,
    csrf_ok,
    safe_next,
    same_origin,
)
from server.runtime import ServerState
from server.services import Flags, Services, offload

__all__ = ["HERE", "Dashboard", "new_dashboard", "router"]

HERE = Path(__file__).parent
MAX_ID = 100  # the API's limit on ids in paths and filters
LIST_LIMIT = 200  # rows a list page shows (newest first)
AUDIT_PAGE = 50  # audit entries per page
AUDIT_PAGES = 200  # pages the audit log goes back (older entries: the API, or a narrower filter)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; script-src 'self';"
    " style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
FAILED_LIKE = frozenset({s.JobStatus.FAILED, s.JobStatus.NEEDS_LOGIN})


class NeedSession(Exception):
    """No valid session: pages redirect to sign-in, JSON and downloads answer 401."""


class Refused(Exception):
    """A form post without the session's CSRF token or from another origin."""


@dataclass
class Dashboard:
    sessions: Sessions
    templates: jinja2.Environment


def _when(value: datetime | None) -> Markup:
    """UTC, isolated left-to-right so an Arabic page does not reorder its parts."""
    if value is None:
        return Markup("—")
    utc = value.astimezone(timezone.utc)
    return Markup('<time dir="ltr" datetime="{}">{}</time>').format(
        utc.isoformat(), utc.strftime("%Y-%m-%d %H:%M:%S UTC"))


def _pairs(detail: dict[str, Any]) -> list[tuple[str, str]]:
    """An audit entry's detail as key/value text: strings as they are, the rest as compact
    JSON without escapes (Arabic stays Arabic)."""
    return [(str(key), value if isinstance(value, str) else json.dumps(
        value, ensure_ascii=False, separators=(", ", ": "))) for key, value in detail.items()]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["pairs"] = _pairs
    return env


def new_dashboard() -> Dashboard:
    return Dashboard(sessions=Sessions(), templates=_environment())


def _dash(request: Request) -> Dashboard:
    dash: Dashboard = request.app.state.dashboard
    return dash


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def _svc(request: Request) -> Services:
    return _state(request).services


def _lang(request: Request) -> str:
    return i18n.pick(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))


def _session(request: Request) -> Session | None:
    return _dash(request).sessions.get(request.cookies.get(COOKIE))


def _require(request: Request) -> Session:
    session = _session(request)
    if session is None:
        raise NeedSession
    return session


def _secure(response: Response) -> Response:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    return response


def render(request: Request, name: str, session: Session | None, *, status: int = 200,
           **values: Any) -> HTMLResponse:
    lang = _lang(request)
    t = i18n.translator(lang)
    msg = request.query_params.get("msg", "")
    html = _dash(request).templates.get_template(name).render(
        t=t, lang=lang, dir="rtl" if lang in i18n.RTL else "ltr", session=session,
        csrf=session.csrf if session else "", base=PATH, here=request.url.path
        + (f"?{request.url.query}" if request.url.query else ""),
        flash=t(f"msg_{msg}") if f"msg_{msg}" in i18n.WORDS else "",
        **{"poll": "", **values},
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", _session(request), status=status, status_code=status,
                  message=message)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid input"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return (path.endswith(".json") or path.endswith(".zip") or path.startswith(f"{PATH}/assets/")
            or "application/json" in request.headers.get("accept", ""))


def _fail(request: Request, status: int, code: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
    return error_page(request, status, message)


class DashboardRoute(APIRoute):
    """Turns the dashboard's refusals into pages (or JSON for the poll) with security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except NeedSession:
                if _wants_json(request):
                    response = JSONResponse({"error": {"code": "UNAUTHORIZED", "message":
                                             "sign in at " + PATH + "/login"}}, status_code=401)
                else:
                    here = request.url.path + (f"?{request.url.query}" if request.url.query
                                               else "")
                    response = RedirectResponse(
                        f"{PATH}/login?next={quote(safe_next(here), safe='/')}", status_code=303)
            except Refused:
                t = i18n.translator(_lang(request))
                response = _fail(request, 403, "FORBIDDEN", t("err_csrf"))
            except errors.ApiError as exc:
                response = _fail(request, exc.status, exc.code, exc.message)
            except ValidationError as exc:
                response = _fail(request, 422, "VALIDATION_ERROR", _describe(exc))
            except StarletteHTTPException as exc:
                response = _fail(request, exc.status_code, f"HTTP_{exc.status_code}",
                                 str(exc.detail))
            return _secure(response)

        return route


router = APIRouter(prefix=PATH, include_in_schema=False, route_class=DashboardRoute)


# --- input helpers -------------------------------------------------------------------------


async def _form(request: Request, session: Session, *, files: int = 0) -> FormData:
    """The posted form, after the cross-site checks (Origin/Referer before reading the body)."""
    if not same_origin(request):
        raise Refused
    form = await request.form(max_files=files, max_fields=100)
    if not csrf_ok(session, form.get("csrf")):
        raise Refused
    return form


def _field(form: FormData, name: str, *, max_length: int = 10_000) -> str:
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return ""
    if len(value) > max_length:
        raise errors.Invalid(f"{name}: at most {max_length} characters")
    return value.strip()


def _query(request: Request, name: str) -> str | None:
    value = request.query_params.get(name) or None
    if value is not None and len(value) > MAX_ID:
        raise errors.Invalid(f"{name}: at most {MAX_ID} characters")
    return value


def _job_status(value: str | None) -> s.JobStatus | None:
    if value is None:
        return None
    try:
        return s.JobStatus(value)
    except ValueError:
        raise errors.Invalid(f"status: unknown job status {value!r}") from None


def _targets(form: FormData) -> list[s.Target]:
    chosen = [v for v in form.getlist("target") if isinstance(v, str)]
    extra = _field(form, "targets_extra", max_length=2000)
    chosen += [part for part in extra.replace("\n", ",").split(",") if part.strip()]
    targets: list[s.Target] = []
    for item in dict.fromkeys(x.strip() for x in chosen):
        platform, _, account = item.partition("/")
        targets.append(s.Target(platform=platform.strip(), account=account.strip() or "default"))
    if not targets:
        raise errors.Invalid("targets: choose at least one platform/account")
    return targets


def _scheduled_at(form: FormData) -> datetime:
    """The browser sends UTC (`scheduled_at_utc`, set by the page's script from the local
    time picked); without script, the picked time is taken as UTC. Empty means now."""
    utc = _field(form, "scheduled_at_utc", max_length=64)
    local = _field(form, "scheduled_at", max_length=64)
    if not utc and not local:
        return datetime.now(timezone.utc) - timedelta(seconds=1)
    try:
        at = datetime.fromisoformat((utc or local).replace("Z", "+00:00"))
    except ValueError:
        raise errors.Invalid(f"scheduled_at: not a date and time: {utc or local!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _back(path: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={msg}", status_code=303)


def _known_targets(devices: Iterable[s.Device]) -> list[str]:
    found = {f"{a.platform}/{a.account}" for d in devices for a in d.accounts}
    found |= {f"{x.platform}/{x.account}" for d in devices for x in d.login_status}
    return sorted(found)


# --- sign-in -------------------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request) -> Response:
    nxt = safe_next(request.query_params.get("next"))
    if _session(request) is not None:
        return RedirectResponse(nxt, status_code=303)
    return render(request, "login.html", None, next=nxt, error="")


@router.post("/login")
async def login(request: Request) -> Response:
    """The operator token buys a random session id; the token itself is not kept anywhere."""
    if not same_origin(request):
        raise Refused
    form = await request.form(max_files=0, max_fields=10)
    token = _field(form, "token", max_length=500)
    nxt = safe_next(form.get("next"))
    if not auth.same(token, _state(request).tokens.operator):
        t = i18n.translator(_lang(request))
        return render(request, "login.html", None, status=401, next=nxt, error=t("err_token"))
    session = _dash(request).sessions.create()
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(COOKIE, session.id, max_age=MAX_AGE, path=PATH, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    session = _require(request)
    await _form(request, session)
    _dash(request).sessions.drop(session.id)
    response = RedirectResponse(f"{PATH}/login", status_code=303)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax")
    return response


@router.get("/lang/{code}")
async def set_language(request: Request, code: str) -> Response:
    """Switching language changes only how pages read, so a plain link is enough."""
    if code not in i18n.LANGS:
        raise errors.NotFound(f"no language {code!r}; use one of {', '.join(i18n.LANGS)}")
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, path=PATH, samesite="lax",
                        httponly=True, secure=request.url.scheme == "https")
    return response


# --- posts ---------------------------------------------------------------------------------


@router.get("")
async def home(request: Request) -> Response:
    _require(request)
    return RedirectResponse(f"{PATH}/jobs", status_code=303)


@router.get("/posts")
async def posts_page(request: Request) -> Response:
    session = _require(request)
    svc = _svc(request)
    devices = await svc.devices.find()
    posts = await svc.posts.find(None, LIST_LIMIT, newest_first=True)
    return render(request, "posts.html", session, posts=posts,
                  known_targets=_known_targets(devices), poll=f"{PATH}/status.json",
                  notices=login_notices(devices, (j for p in posts for j in p.jobs)))


@router.post("/posts")
async def create_post(request: Request) -> Response:
    """Uploads the media as the API's asset upload does, then creates the post (DRAFT)."""
    session = _require(request)
    svc = _svc(request)
    form = await _form(request, session, files=10)
    text = _field(form, "text")
    targets = _targets(form)
    mode = _field(form, "confirm_mode", max_length=20) or "auto"
    media: list[str] = []
    for upload in form.getlist("media"):
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            media.append((await svc.media.upload(upload)).asset_id)
    body = s.PostCreate.model_validate(
        {"text": text, "media": media, "targets": [x.model_dump() for x in targets],
         "confirmMode": mode})
    post = await svc.posts.create(body)
    return _back(f"{PATH}/posts/{post.id}", "created")


@router.get("/posts/{post_id}")
async def post_page(request: Request, post_id: str) -> Response:
    session = _require(request)
    svc = _svc(request)
    post = await svc.posts.get(post_id[:MAX_ID + 1])
    flags = await svc.jobs.flags()
    devices = await svc.devices.find()
    return render(request, "post.html", session, post=post, stuck=flags.stuck,
                  dupes=flags.duplicates, notices=login_notices(devices, post.jobs),
                  schedulable=post.status is not s.PostStatus.PUBLISHING,
                  poll=f"{PATH}/status.json?post={post.id}")


@router.post("/posts/{post_id}/schedule")
async def schedule_post(request: Request, post_id: str) -> Response:
    """Approves as the operator when needed (DRAFT → PENDING_APPROVAL → APPROVED), then
    schedules as the API does: same idempotency key, same wake-ups."""
    session = _require(request)
    form = await _form(request, session)
    at = s.ScheduleRequest(scheduled_at=_scheduled_at(form)).scheduled_at
    post = await _svc(request).posts.approve_and_schedule(post_id[:MAX_ID + 1], at)
    return _back(f"{PATH}/posts/{post.id}", "scheduled")


# --- jobs ----------------------------------------------------------------------------------


SHOW = ("all", "stuck", "failed", "duplicate")


@router.get("/jobs")
async def jobs_page(request: Request) -> Response:
    session = _require(request)
    svc = _svc(request)
    status = _job_status(_query(request, "status"))
    platform = _query(request, "platform")
    device = _query(request, "device")
    show = request.query_params.get("show") or "all"
    if show not in SHOW:
        raise errors.Invalid(f"show: one of {', '.join(SHOW)}")
    jobs = await svc.jobs.find(status=status, platform=platform, device_id=device,
                               limit=LIST_LIMIT, newest_first=True)
    flags = await svc.jobs.flags()
    stuck, dupes = flags.stuck, flags.duplicates
    if show == "stuck":
        jobs = [j for j in jobs if j.id in stuck]
    elif show == "failed":
        jobs = [j for j in jobs if j.status in FAILED_LIKE]
    elif show == "duplicate":
        jobs = [j for j in jobs if j.id in dupes]
    devices = await svc.devices.find()
    platforms = sorted({p for d in devices for p in d.platforms} | {j.platform for j in jobs}
                       | ({platform} if platform else set()))
    query = request.url.query
    return render(request, "jobs.html", session, jobs=jobs, stuck=stuck, dupes=dupes,
                  statuses=list(s.JobStatus), platforms=platforms, devices=devices,
                  f_status=status.value if status else "", f_platform=platform or "",
                  f_device=device or "", f_show=show, shows=SHOW,
                  notices=login_notices(devices, jobs),
                  poll=f"{PATH}/status.json" + (f"?{query}" if query else ""))


async def _job_values(svc: Services, job_id: str) -> dict[str, Any]:
    job = await svc.jobs.get(job_id[:MAX_ID + 1])
    flags = await svc.jobs.flags()
    post = await svc.posts.get(job.post_id)
    devices = await svc.devices.find()
    before = [p for r in job.runs for p in r.proofs if p.kind is s.ProofKind.BEFORE_CONFIRM]
    waiting = (job.status is s.JobStatus.AWAITING_CONFIRM
               and job.confirm_mode is s.ConfirmMode.MANUAL and job.confirm_decision is None)
    return {"job": job, "post": post, "notices": login_notices(devices, [job]),
            "stuck": flags.stuck, "dupes": flags.duplicates, "waiting": waiting,
            "before_proof": before[-1] if before else None,
            "can_cancel": job.status in states.CANCELLABLE,
            "can_retry": job.status in states.RETRYABLE, "version": _version(job)}


def _version(job: s.JobDetail) -> str:
    """Changes whenever anything on the job page would (status, progress, runs, proofs)."""
    return (f"{job.status.value}:{job.updated_at.timestamp()}:{len(job.runs)}:"
            f"{sum(len(r.proofs) + len(r.logs) for r in job.runs)}")


@router.get("/jobs/{job_id}")
async def job_page(request: Request, job_id: str) -> Response:
    session = _require(request)
    values = await _job_values(_svc(request), job_id)
    return render(request, "job.html", session, poll=f"{PATH}/status.json?job={values['job'].id}",
                  **values)


@router.get("/jobs/{job_id}/live")
async def job_live(request: Request, job_id: str) -> Response:
    """The changing part of the job page, swapped in by the page's script."""
    session = _require(request)
    return render(request, "_job_live.html", session,
                  **await _job_values(_svc(request), job_id))


async def _job_action(request: Request, job_id: str,
                      act: Callable[[Services, str, FormData], Awaitable[str]]) -> Response:
    session = _require(request)
    form = await _form(request, session)
    msg = await act(_svc(request), job_id[:MAX_ID + 1], form)
    return _back(f"{PATH}/jobs/{job_id}", msg)


async def _cancel(svc: Services, job_id: str, _: FormData) -> str:
    await svc.jobs.cancel(job_id)
    return "cancelled"


async def _retry(svc: Services, job_id: str, _: FormData) -> str:
    await svc.jobs.retry(job_id)
    return "retried"


async def _confirm(svc: Services, job_id: str, form: FormData) -> str:
    answer = _field(form, "approve", max_length=5)
    if answer not in ("yes", "no"):
        raise errors.Invalid("approve: yes or no")
    await svc.jobs.confirm(job_id, answer == "yes")
    return "approved" if answer == "yes" else "rejected"


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(request: Request, job_id: str) -> Response:
    return await _job_action(request, job_id, _cancel)


@router.post("/jobs/{job_id}/retry")
async def retry_job(request: Request, job_id: str) -> Response:
    return await _job_action(request, job_id, _retry)


@router.post("/jobs/{job_id}/confirm")
async def confirm_job(request: Request, job_id: str) -> Response:
    return await _job_action(request, job_id, _confirm)


@router.get("/jobs/{job_id}/bundle.zip")
async def job_bundle(request: Request, job_id: str) -> Response:
    """Failure playbook, Escalation: ids, timestamps, logs and proofs in one download."""
    _require(request)
    svc = _svc(request)
    job = await svc.jobs.get(job_id[:MAX_ID + 1])
    post = await svc.posts.get(job.post_id)
    audit = await svc.jobs.audit(job_id=job.id, limit=1000)
    devices = await svc.devices.find()

    def asset(asset_id: str) -> tuple[s.Asset, Path] | None:
        try:
            return svc.media.locate(asset_id)
        except errors.NotFound:
            return None

    # Reading the files and zipping them is slow work: off the loop, as the store calls are.
    data = await offload(bundle.build, job, post, audit, devices, asset)
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="escalation-{job.id}.zip"'})


@router.get("/assets/{asset_id}")
async def asset_file(request: Request, asset_id: str) -> Response:
    """Proofs and media for the signed-in operator (the API's route wants a bearer token)."""
    _require(request)
    record, path = await _svc(request).media.open(asset_id[:MAX_ID + 1])
    name = f"{record.asset_id[:16]}.{bundle.EXTENSIONS.get(record.content_type, 'bin')}"
    # A failure snapshot is a platform's page, scripts and all: never render it on our
    # origin. Only images are shown inline.
    inline = record.content_type.startswith("image/") and not request.query_params.get(
        "download")
    return FileResponse(path, media_type=record.content_type, headers={
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{name}"',
        "Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"})


@router.get("/status.json")
async def status_json(request: Request) -> Response:
    """What the pages poll: job statuses and flags for the page's filter, or one job with the
    version of its page so the script knows when to swap the live part."""
    _require(request)
    svc = _svc(request)
    t = i18n.translator(_lang(request))
    flags: Flags = await svc.jobs.flags()
    stuck, dupes = flags.stuck, flags.duplicates
    job_id = _query(request, "job")
    live = None
    if job_id is not None:
        detail = await svc.jobs.get(job_id)
        jobs: list[s.Job] = [detail]
        live = {"version": _version(detail), "url": f"{PATH}/jobs/{detail.id}/live"}
    else:
        jobs = await svc.jobs.find(
            status=_job_status(_query(request, "status")), platform=_query(request, "platform"),
            device_id=_query(request, "device"), post_id=_query(request, "post"),
            limit=500, newest_first=True)
    return JSONResponse({
        "jobs": [{"id": j.id, "status": j.status.value, "label": t(j.status.value),
                  "stuck": j.id in stuck, "duplicate": j.id in dupes,
                  "failed": j.status in FAILED_LIKE} for j in jobs],
        "live": live,
    })


# --- devices and audit ---------------------------------------------------------------------


@router.get("/devices")
async def devices_page(request: Request) -> Response:
    session = _require(request)
    devices = await _svc(request).devices.find()
    logins = {}
    for d in devices:
        seen = {(x.platform, x.account): x for x in d.login_status}
        rows = [(a.platform, a.account, seen.get((a.platform, a.account))) for a in d.accounts]
        rows += [(p, a, x) for (p, a), x in seen.items()
                 if all((p, a) != (t.platform, t.account) for t in d.accounts)]
        logins[d.id] = rows
    return render(request, "devices.html", session, devices=devices, logins=logins,
                  now=datetime.now(timezone.utc))


@router.post("/devices/{device_id}/check-login")
async def device_check_login(request: Request, device_id: str) -> Response:
    session = _require(request)
    await _form(request, session)
    await _svc(request).devices.check_login(device_id[:MAX_ID + 1])
    return _back(f"{PATH}/devices", "check")


@router.get("/audit")
async def audit_page(request: Request) -> Response:
    session = _require(request)
    job_id, post_id, action = _query(request, "job"), _query(request, "post"), _query(
        request, "action")
    try:
        page = int(request.query_params.get("page") or 1)
    except ValueError:
        raise errors.Invalid("page: a whole number from 1") from None
    if not 1 <= page <= AUDIT_PAGES:
        raise errors.Invalid(f"page: from 1 to {AUDIT_PAGES}")
    # One entry past the page says whether an older page exists.
    entries = await _svc(request).jobs.audit(job_id=job_id, post_id=post_id, action=action,
                                             limit=page * AUDIT_PAGE + 1, newest_first=True)
    shown = entries[(page - 1) * AUDIT_PAGE:page * AUDIT_PAGE]
    keep = {k: v for k, v in (("job", job_id), ("post", post_id), ("action", action)) if v}

    def link(to: int) -> str:
        return f"{PATH}/audit?" + urlencode({**keep, "page": to})

    return render(request, "audit.html", session, entries=shown, f_job=job_id or "",
                  f_post=post_id or "", f_action=action or "", page=page,
                  newer=link(page - 1) if page > 1 else "",
                  older=link(page + 1) if len(entries) > page * AUDIT_PAGE
                  and page < AUDIT_PAGES else "")
