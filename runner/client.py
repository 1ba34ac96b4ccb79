"""The runner's client for the publishing server: typed calls, retries, errors in our terms.

Every call sends and parses the models of `contract.models` (the one definition of the
contract). Network errors, 408, 429, 5xx and unreadable replies are retried with exponential
backoff and full jitter, honouring `Retry-After`, within a time budget per call; other 4xx are
never retried. What leaves this module is a `ServerError`: `ServerUnavailable` (try later),
`ServerRejected` (status, code, message) or `LeaseLost` (stop working on that job).

Pass `transport=httpx.ASGITransport(app)` to talk to an in-process server in tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar

import httpx
import pydantic
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_delay

from common.errors import LeaseLost, ServerRejected, ServerUnavailable
from contract import models as s

log = logging.getLogger(__name__)

M = TypeVar("M", bound=pydantic.BaseModel)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CLAIM_MARGIN = 15.0  # seconds on top of waitSec before the client gives up on a long poll


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff: full jitter between 0 and min(cap, initial * 2**n); stop after `budget` s."""

    initial: float = 0.5
    cap: float = 30.0
    budget: float = 60.0  # ordinary calls
    result_budget: float = 600.0  # events, proofs, completion: results must not be lost


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(when.tzinfo)).total_seconds())


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
        return str(body["error"]["code"]), str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP_{response.status_code}", response.text[:500] or response.reason_phrase


class ServerClient:
    """Async client of the publishing API (device and operator endpoints)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.token = token
        self.retry = retry or RetryPolicy()
        if transport is None:  # small JSON requests: Nagle would hold each body back
            transport = httpx.AsyncHTTPTransport(
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    async def __aenter__(self) -> ServerClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- plumbing ------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.retry.cap)
        ceiling = min(self.retry.cap, self.retry.initial * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: pydantic.BaseModel | None = None,
        token: str | None = None,
        lease_call: bool = False,
        budget: float | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise a ServerError."""
        headers = {}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
        if body is not None:
            kwargs["json"] = body.model_dump(mode="json", by_alias=True)
        if timeout is not None:
            kwargs["timeout"] = timeout
        retrying = AsyncRetrying(
            stop=stop_after_delay(budget if budget is not None else self.retry.budget),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, path, headers, lease_call, kwargs)
        except _Retryable as exc:
            raise ServerUnavailable(f"{method} {path}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self, method: str, path: str, headers: dict[str, str], lease_call: bool,
        kwargs: dict[str, Any],
    ) -> httpx.Response:
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            log.warning("server unreachable: %s %s: %r", method, path, exc,
                     extra={"action": "server_retry"})
            raise _Retryable(repr(exc)) from exc
        if response.is_success:
            return response
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(f"HTTP {response.status_code}",
                             _retry_after(response.headers.get("retry-after")))
        code, message = _error_of(response)
        if lease_call and response.status_code in (403, 409):
            raise LeaseLost(response.status_code, code, message)
        raise ServerRejected(response.status_code, code, message)

    async def _model(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        """A call whose reply must parse as `model`; an unreadable reply counts as failed."""
        response = await self._call(method, path, **kwargs)
        try:
            return model.model_validate(response.json())
        except (ValueError, pydantic.ValidationError) as exc:
            raise ServerUnavailable(f"{method} {path}: unreadable reply: {exc}") from exc

    async def _models(self, model: type[M], method: str, path: str, **kwargs: Any) -> list[M]:
        response = await self._call(method, path, **kwargs)
        try:
            return [model.model_validate(item) for item in response.json()]
        except (ValueError, TypeError, pydantic.ValidationError) as exc:
            raise ServerUnavailable(f"{method} {path}: unreadable reply: {exc}") from exc

    # --- device endpoints ----------------------------------------------------------------

    async def register(self, enroll_token: str, req: s.RegisterRequest) -> s.RegisterResponse:
        """Enroll; keep the returned device token (it is shown only once) as `self.token`."""
        return await self._model(s.RegisterResponse, "POST", "/api/devices/register",
                                 body=req, token=enroll_token)

    async def heartbeat(self, device_id: str, req: s.HeartbeatRequest) -> s.HeartbeatResponse:
        return await self._model(s.HeartbeatResponse, "POST",
                                 f"/api/devices/{device_id}/heartbeat", body=req)

    async def login_status(
        self, device_id: str, req: s.LoginStatusRequest
    ) -> s.LoginStatusResponse:
        return await self._model(s.LoginStatusResponse, "POST",
                                 f"/api/devices/{device_id}/login-status", body=req)

    async def claim(self, req: s.ClaimRequest) -> s.ClaimResponse | None:
        """Long poll for a due job; None when nothing came due within `waitSec`."""
        response = await self._call("POST", "/api/publishing/jobs/claim", body=req,
                                    timeout=req.wait_sec + CLAIM_MARGIN)
        if response.status_code == 204:
            return None
        try:
            return s.ClaimResponse.model_validate(response.json())
        except (ValueError, pydantic.ValidationError) as exc:
            raise ServerUnavailable(f"claim: unreadable reply: {exc}") from exc

    async def start(self, job_id: str, lease_token: str, *,
                    definitions_version: int | None = None,
                    definitions_hash: str | None = None) -> str:
        """Start the run, naming the definitions it runs with (the run records them)."""
        body = s.StartRequest(lease_token=lease_token, definitions_version=definitions_version,
                              definitions_hash=definitions_hash)
        reply = await self._model(s.StartResponse, "POST", f"/api/publishing/jobs/{job_id}/start",
                                  body=body, lease_call=True)
        return reply.run_id

    async def events(self, job_id: str, req: s.EventsRequest,
                     budget: float | None = None) -> s.EventsResponse:
        """`budget`: seconds of retrying; a caller that must decide soon (the publish guard)
        gives a short one."""
        return await self._model(s.EventsResponse, "POST",
                                 f"/api/publishing/jobs/{job_id}/events", body=req,
                                 lease_call=True, budget=budget or self.retry.result_budget)

    async def upload_proof(
        self, job_id: str, *, lease_token: str, run_id: str, kind: s.ProofKind, sha256: str,
        data: bytes, filename: str = "proof.png",
    ) -> str:
        return await self._upload_run_file(job_id, "proofs", lease_token=lease_token,
                                           run_id=run_id, kind=kind.value, sha256=sha256,
                                           data=data, filename=filename)

    async def upload_snapshot(
        self, job_id: str, *, lease_token: str, run_id: str, kind: s.SnapshotKind, sha256: str,
        data: bytes, filename: str,
    ) -> str:
        """A failed run's page HTML or trace zip (the server checks the bytes' type)."""
        return await self._upload_run_file(job_id, "snapshots", lease_token=lease_token,
                                           run_id=run_id, kind=kind.value, sha256=sha256,
                                           data=data, filename=filename)

    async def _upload_run_file(
        self, job_id: str, endpoint: str, *, lease_token: str, run_id: str, kind: str,
        sha256: str, data: bytes, filename: str,
    ) -> str:
        """One multipart upload of a run's file (a proof or a snapshot): the same form, the
        same lease rules and retry budget as the other results."""
        reply = await self._model(
            s.ProofResponse, "POST", f"/api/publishing/jobs/{job_id}/{endpoint}",
            data={"leaseToken": lease_token, "runId": run_id, "kind": kind, "sha256": sha256},
            files={"file": (filename, data, "application/octet-stream")},
            lease_call=True, budget=self.retry.result_budget,
        )
        return reply.asset_id

    async def awaiting_confirm(
        self, job_id: str, req: s.AwaitingConfirmRequest
    ) -> s.AwaitingConfirmResponse:
        return await self._model(s.AwaitingConfirmResponse, "POST",
                                 f"/api/publishing/jobs/{job_id}/awaiting-confirm", body=req,
                                 lease_call=True)

    async def release(self, job_id: str, req: s.ReleaseRequest) -> s.Job:
        return await self._model(s.Job, "POST", f"/api/publishing/jobs/{job_id}/release",
                                 body=req, lease_call=True)

    async def complete(self, job_id: str, req: s.CompleteRequest) -> s.Job:
        return await self._model(s.Job, "POST", f"/api/publishing/jobs/{job_id}/complete",
                                 body=req, lease_call=True, budget=self.retry.result_budget)

    async def report_canary(
        self, device_id: str, req: s.CanaryResultRequest,
        proofs: Sequence[tuple[s.ProofKind, bytes]] = (),
    ) -> s.CanaryResultResponse:
        """A canary's result: each proof screenshot uploaded first, then the result naming
        them. Repeating it is harmless (proofs are assets by hash, the result has an id)."""
        named = []
        for kind, data in proofs:
            reply = await self._model(
                s.ProofResponse, "POST", f"/api/devices/{device_id}/canary-proofs",
                data={"sha256": hashlib.sha256(data).hexdigest()},
                files={"file": (f"{kind.value}.img", data, "application/octet-stream")})
            named.append(s.CanaryProof(kind=kind, asset_id=reply.asset_id))
        body = req.model_copy(update={"proofs": named}) if named else req
        return await self._model(s.CanaryResultResponse, "POST",
                                 f"/api/devices/{device_id}/canary-results", body=body)

    async def next_due(self, device_id: str, platform: str, account: str) -> datetime | None:
        """When the account's next job is due (None: no job); asked before a canary."""
        reply = await self._model(s.NextDueResponse, "GET",
                                  f"/api/devices/{device_id}/next-due",
                                  params={"platform": platform, "account": account})
        return reply.next_due_at

    # --- operator endpoints --------------------------------------------------------------

    async def create_post(self, req: s.PostCreate) -> s.PostDetail:
        return await self._model(s.PostDetail, "POST", "/api/posts", body=req)

    async def submit_post(self, post_id: str) -> s.PostDetail:
        return await self._model(s.PostDetail, "POST", f"/api/posts/{post_id}/submit")

    async def approve_post(self, post_id: str) -> s.PostDetail:
        return await self._model(s.PostDetail, "POST", f"/api/posts/{post_id}/approve")

    async def schedule_post(self, post_id: str, req: s.ScheduleRequest) -> s.ScheduleResponse:
        return await self._model(s.ScheduleResponse, "POST", f"/api/posts/{post_id}/schedule",
                                 body=req)

    async def get_post(self, post_id: str) -> s.PostDetail:
        return await self._model(s.PostDetail, "GET", f"/api/posts/{post_id}")

    async def list_posts(self, status: s.PostStatus | None = None) -> list[s.PostDetail]:
        params = {"status": status.value} if status else {}
        return await self._models(s.PostDetail, "GET", "/api/posts", params=params)

    async def list_jobs(
        self, *, status: s.JobStatus | None = None, platform: str | None = None,
        post_id: str | None = None, device_id: str | None = None, limit: int = 100,
    ) -> list[s.Job]:
        params: dict[str, str | int] = {"limit": limit}
        for key, value in (("status", status.value if status else None),
                           ("platform", platform), ("postId", post_id),
                           ("deviceId", device_id)):
            if value is not None:
                params[key] = value
        return await self._models(s.Job, "GET", "/api/publishing/jobs", params=params)

    async def get_job(self, job_id: str) -> s.JobDetail:
        return await self._model(s.JobDetail, "GET", f"/api/publishing/jobs/{job_id}")

    async def cancel_job(self, job_id: str) -> s.Job:
        return await self._model(s.Job, "POST", f"/api/publishing/jobs/{job_id}/cancel")

    async def retry_job(self, job_id: str) -> s.Job:
        return await self._model(s.Job, "POST", f"/api/publishing/jobs/{job_id}/retry")

    async def confirm_job(self, job_id: str, approve: bool) -> s.Job:
        return await self._model(s.Job, "POST", f"/api/publishing/jobs/{job_id}/confirm",
                                 body=s.ConfirmRequest(approve=approve))

    async def devices(self) -> list[s.Device]:
        return await self._models(s.Device, "GET", "/api/devices")

    async def check_login(self, device_id: str) -> s.CheckLoginResponse:
        return await self._model(s.CheckLoginResponse, "POST",
                                 f"/api/devices/{device_id}/check-login")

    async def upload_asset(self, data: bytes, filename: str) -> s.Asset:
        return await self._model(s.Asset, "POST", "/api/assets",
                                 files={"file": (filename, data, "application/octet-stream")})

    async def get_asset(self, asset_id: str) -> tuple[bytes, str]:
        """The bytes and content type of an asset (proof screenshot, media)."""
        response = await self._call("GET", f"/api/assets/{asset_id}")
        return response.content, response.headers.get("content-type", "")

    async def audit(
        self, *, job_id: str | None = None, action: str | None = None
    ) -> list[s.AuditEntry]:
        params = {k: v for k, v in (("jobId", job_id), ("action", action)) if v}
        return await self._models(s.AuditEntry, "GET", "/api/audit", params=params)

    # --- definitions versions ------------------------------------------------------------

    async def push_definitions(self, archive: bytes, report: s.DefinitionsReport,
                               author: str = "") -> tuple[s.DefinitionsVersion, bool]:
        """Upload a set with its lint and replay results; True when a new version was made.
        A refusal is a `ServerRejected` (422) whose message lists every reason."""
        response = await self._call(
            "POST", "/api/definitions", data={"author": author},
            files={"bundle": ("definitions.tar.gz", archive, "application/gzip"),
                   "report": ("report.json", report.model_dump_json(by_alias=True).encode(),
                              "application/json")})
        try:
            return (s.DefinitionsVersion.model_validate(response.json()),
                    response.status_code == 201)
        except (ValueError, pydantic.ValidationError) as exc:
            raise ServerUnavailable(f"push: unreadable reply: {exc}") from exc

    async def definitions_versions(self) -> list[s.DefinitionsVersion]:
        return await self._models(s.DefinitionsVersion, "GET", "/api/definitions")

    async def rollback_definitions(self, version: int, author: str = "") -> s.DefinitionsVersion:
        return await self._model(s.DefinitionsVersion, "POST",
                                 f"/api/definitions/{version}/rollback",
                                 params={"author": author} if author else {})

    async def download_definitions(self, url: str) -> bytes:
        """The archive a heartbeat offered (`url` relative to the server), at most
        `MAX_DEFINITIONS_ARCHIVE` bytes; the caller checks its hash after unpacking."""
        if not url.startswith("/") or url.startswith("//"):
            raise ServerRejected(0, "BAD_URL", f"definitions url {url!r} is not on this server")
        response = await self._call("GET", url, timeout=120.0)
        if len(response.content) > s.MAX_DEFINITIONS_ARCHIVE:
            raise ServerRejected(response.status_code, "TOO_LARGE",
                                 f"definitions archive past {s.MAX_DEFINITIONS_ARCHIVE} bytes")
        return response.content


def dumps(model: pydantic.BaseModel | list[Any]) -> str:
    """JSON as the API spells it (camelCase), for `--json` output."""
    if isinstance(model, list):
        return json.dumps([m.model_dump(mode="json", by_alias=True) for m in model], indent=2)
    return model.model_dump_json(by_alias=True, indent=2)
