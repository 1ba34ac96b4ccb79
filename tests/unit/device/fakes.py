"""In-memory fakes for the daemon's decisions: the publishing server behind an
`httpx.MockTransport` (so the REAL `runner.client.ServerClient` talks to it), a scripted
engine, and browser profiles without a browser.

The fake server validates every request body with the contract's models and answers 422 the
way the real server does, so a value out of contract that reaches it fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import hashlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pydantic

from common.errors import BrowserError, RunCancelled
from contract import models as s
from runner.engine import EngineHooks, EngineOptions, Platform, Post, RecentCheck, RunResult
from runner.engine import Status as RunStatus

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


@dataclass
class FakeJob:
    id: str
    text: str
    platform: str = "sandbox"
    account: str = "main"
    status: s.JobStatus = s.JobStatus.QUEUED
    lease: str | None = None
    run_id: str | None = None
    attempts: int = 0
    verify_first: bool = False
    confirm_mode: s.ConfirmMode = s.ConfirmMode.AUTO
    cancel_requested: bool = False
    events: list[s.Event] = field(default_factory=list)
    completions: list[s.CompleteRequest] = field(default_factory=list)
    releases: list[s.ReleaseRequest] = field(default_factory=list)
    proofs: list[str] = field(default_factory=list)
    started_with: list[s.StartRequest] = field(default_factory=list)

    def model(self) -> s.Job:
        return s.Job(id=self.id, post_id=f"post-{self.id}", platform=self.platform,
                     account=self.account, status=self.status, scheduled_at=NOW,
                     idempotency_key=self.id, attempt_count=self.attempts, max_attempts=3,
                     verify_first=self.verify_first, confirm_mode=self.confirm_mode,
                     cancel_requested=self.cancel_requested, created_at=NOW, updated_at=NOW)


class FakeServer:
    """The device half of the publishing API, in memory."""

    def __init__(self) -> None:
        self.jobs: dict[str, FakeJob] = {}
        self.calls: list[str] = []
        self.claims = 0
        self.refused: list[tuple[str, str]] = []  # (path, reason) of 4xx answers
        self.lose_lease_at_guard = False
        self.crash_heartbeat = False
        self.offer: s.DefinitionsOffer | None = None  # the heartbeat's definitions version
        self.bundles: dict[str, bytes] = {}  # url → archive
        self._queued = asyncio.Event()
        self._ids = itertools.count(1)
        self.changed = asyncio.Event()
        # Selector health: results by id (idempotent like the real server), the proofs'
        # bytes by asset id, and what makes the canary calls fail.
        self.canary_results: dict[str, s.CanaryResultRequest] = {}
        self.canary_posts = 0  # canary-results calls, repeats included
        self.canary_proofs: dict[str, bytes] = {}
        self.canary_down = False  # canary calls answer 503
        self.refuse_canary: set[str] = set()  # result ids answered 422

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def add_job(self, text: str, **kw: Any) -> FakeJob:
        job = FakeJob(id=f"job-{next(self._ids)}", text=text, **kw)
        self.jobs[job.id] = job
        self._queued.set()
        return job

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Until `check()` is true (re-checked whenever the server state changes)."""
        async def until() -> Any:
            while not (value := check()):
                self.changed.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.05)
            return value
        return await asyncio.wait_for(until(), timeout)

    # ---- the transport --------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        try:
            return await self._route(request, path)
        except pydantic.ValidationError as exc:
            self.refused.append((path, str(exc)))
            return _error(422, "VALIDATION_ERROR", str(exc))
        finally:
            self.changed.set()

    async def _route(self, request: httpx.Request, path: str) -> httpx.Response:
        if path == "/api/devices/register":
            return self._json(s.RegisterResponse(device_id="dev-1", device_token="tok",
                                                 heartbeat_interval_sec=0.05))
        if m := re.fullmatch(r"/api/devices/([^/]+)/heartbeat", path):
            beat = s.HeartbeatRequest.model_validate_json(request.content)
            if self.crash_heartbeat:
                raise RuntimeError("the heartbeat's reply handler blew up")
            cancel = [j.id for j in self.jobs.values() if j.cancel_requested]
            offer = self.offer if beat.definitions_hash is not None else None
            return self._json(s.HeartbeatResponse(cancel_job_ids=cancel, check_login=False,
                                                  definitions=offer))
        if path in self.bundles:
            return httpx.Response(200, content=self.bundles[path])
        if re.fullmatch(r"/api/devices/([^/]+)/login-status", path):
            s.LoginStatusRequest.model_validate_json(request.content)
            return self._json(s.LoginStatusResponse(requeued_job_ids=[]))
        if re.fullmatch(r"/api/devices/([^/]+)/canary-[a-z]+", path):
            return self._canary_call(request, path)
        if path == "/api/publishing/jobs/claim":
            return await self._claim(s.ClaimRequest.model_validate_json(request.content))
        if m := re.fullmatch(r"/api/assets/([^/]+)", path):
            return httpx.Response(200, content=b"\x89PNG", headers={"content-type": "image/png"})
        m = re.fullmatch(r"/api/publishing/jobs/([^/]+)/([a-z-]+)", path)
        assert m, f"the fake server has no route {path}"
        job = self.jobs[m.group(1)]
        return self._job_call(job, m.group(2), request)

    def _json(self, model: pydantic.BaseModel, status: int = 200) -> httpx.Response:
        return httpx.Response(status, json=model.model_dump(mode="json", by_alias=True))

    async def _claim(self, req: s.ClaimRequest) -> httpx.Response:
        self.claims += 1
        targets = {(t.platform, t.account) for t in req.accounts}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + req.wait_sec
        while True:
            for job in self.jobs.values():
                if job.status is s.JobStatus.QUEUED and (job.platform, job.account) in targets:
                    job.status = s.JobStatus.CLAIMED
                    job.lease = f"lease-{job.id}-{job.attempts}"
                    return self._json(s.ClaimResponse(
                        job=job.model(), lease_token=job.lease,
                        post=s.Post(id=f"post-{job.id}", text=job.text, media=[],
                                    targets=[s.Target(platform=job.platform,
                                                      account=job.account)],
                                    confirm_mode=job.confirm_mode,
                                    status=s.PostStatus.PUBLISHING, warnings=[],
                                    created_at=NOW, updated_at=NOW)))
            remaining = deadline - loop.time()
            if remaining <= 0:
                return httpx.Response(204)
            self._queued.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._queued.wait(), remaining)

    def _job_call(self, job: FakeJob, action: str, request: httpx.Request) -> httpx.Response:
        if action in ("proofs", "snapshots"):
            form = _multipart(request)
            lease, run_id = form["leaseToken"], form["runId"]
        else:
            body = json.loads(request.content)
            lease, run_id = body.get("leaseToken"), body.get("runId")
        if lease != job.lease or (action != "start" and run_id != job.run_id):
            return self._refuse(request, 409, "LEASE_LOST", "another lease")
        if action == "start":
            job.started_with.append(s.StartRequest.model_validate_json(request.content))
            job.status, job.attempts = s.JobStatus.RUNNING, job.attempts + 1
            job.run_id = f"run-{job.id}-{job.attempts}"
            return self._json(s.StartResponse(run_id=job.run_id))
        if action == "events":
            req = s.EventsRequest.model_validate_json(request.content)
            if self.lose_lease_at_guard and any(e.step == "guard" for e in req.events):
                job.status, job.lease = s.JobStatus.QUEUED, None  # recovered meanwhile
                return self._refuse(request, 409, "LEASE_LOST", "recovered")
            job.events.extend(req.events)
            return self._json(s.EventsResponse(status=job.status,
                                               cancel_requested=job.cancel_requested))
        if action in ("proofs", "snapshots"):
            kind = (s.ProofKind if action == "proofs" else s.SnapshotKind)(form["kind"])
            asset = f"asset-{len(job.proofs) + 1}"
            job.proofs.append(kind.value)
            return self._json(s.ProofResponse(asset_id=asset))
        if action == "awaiting-confirm":
            s.AwaitingConfirmRequest.model_validate_json(request.content)
            return self._json(s.AwaitingConfirmResponse(proceed=True))
        if action == "release":
            release = s.ReleaseRequest.model_validate_json(request.content)
            job.releases.append(release)
            job.status, job.lease, job.run_id = s.JobStatus.QUEUED, None, None
            job.attempts -= 1
            self._queued.set()
            return self._json(job.model())
        if action == "complete":
            done = s.CompleteRequest.model_validate_json(request.content)
            job.completions.append(done)
            job.status = s.JobStatus(done.outcome.value)
            return self._json(job.model())
        raise AssertionError(f"no job action {action}")

    def _canary_call(self, request: httpx.Request, path: str) -> httpx.Response:
        if self.canary_down:
            return _error(503, "UNAVAILABLE", "the server is restarting")
        if path.endswith("/canary-proofs"):
            data = _multipart_file(request)
            asset = hashlib.sha256(data).hexdigest()
            self.canary_proofs[asset] = data
            return self._json(s.ProofResponse(asset_id=asset), 201)
        assert path.endswith("/canary-results"), path
        req = s.CanaryResultRequest.model_validate_json(request.content)
        self.canary_posts += 1
        if req.id in self.refuse_canary:
            return self._refuse(request, 422, "VALIDATION_ERROR", "refused by the test")
        unknown = [p.asset_id for p in req.proofs if p.asset_id not in self.canary_proofs]
        if unknown:
            return self._refuse(request, 422, "VALIDATION_ERROR", f"unknown assets {unknown}")
        duplicate = req.id in self.canary_results
        self.canary_results.setdefault(req.id, req)
        return self._json(s.CanaryResultResponse(id=req.id, duplicate=duplicate), 201)

    def _refuse(self, request: httpx.Request, status: int, code: str,
                message: str) -> httpx.Response:
        self.refused.append((request.url.path, code))
        return _error(status, code, message)


def _multipart(request: httpx.Request) -> dict[str, str]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser().parsebytes(head + request.read())
    out = {}
    for part in message.get_payload():  # type: ignore[union-attr]
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is None:
            out[str(name)] = part.get_payload(decode=True).decode()
    return out


def _multipart_file(request: httpx.Request) -> bytes:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser().parsebytes(head + request.read())
    for part in message.get_payload():  # type: ignore[union-attr]
        if part.get_filename() is not None:
            return bytes(part.get_payload(decode=True))
    raise AssertionError("no file in the upload")


# ---- the engine, scripted -------------------------------------------------------------


@dataclass
class Script:
    """What the scripted engine does with the next run: the phases it walks through the
    real hooks, where it waits, and what it returns."""

    status: RunStatus = RunStatus.SUCCEEDED
    error_code: str | None = None
    error_message: str | None = None
    post_url: str | None = "http://sandbox.test/p/1"
    hold_in: str | None = None  # wait in this phase until `release_hold` is set


class ScriptedEngine:
    """Stands in for `runner.engine.Engine`: the same phase order and hook calls (checkpoint
    before each phase up to publish, the confirm gate, the publish guard), no browser."""

    PHASES = ("open", "login_check", "compose", "confirm", "publish", "verify")

    def __init__(self) -> None:
        self.scripts: list[Script] = []
        self.clicked: list[str] = []  # the text of each post "published"
        self.live: list[str] = []  # posts already on the platform (an earlier daemon's)
        self.reached: list[str] = []
        self.holding = asyncio.Event()
        self.release_hold = asyncio.Event()
        self.platforms: list[Platform] = []  # the definitions each run was given
        # Dateless platforms (recent_posts_order: newest_first): the head `record_head`
        # reads, and the posts each recent-posts check was given.
        self.head: tuple[str, ...] | None = ("text:newest", "text:next", "text:third")
        self.checked: list[Post] = []

    def __call__(self, platform: Platform, options: EngineOptions,
                 hooks: EngineHooks | None) -> ScriptedEngine.Bound:
        self.platforms.append(platform)
        return ScriptedEngine.Bound(self, hooks or EngineHooks())

    @dataclass
    class Bound:
        owner: ScriptedEngine
        hooks: EngineHooks

        async def run(self, page: Any, post: Post, out_dir: Path) -> RunResult:
            script = self.owner.scripts.pop(0) if self.owner.scripts else Script()
            result = RunResult(status=RunStatus.SUCCEEDED)
            try:
                for phase in ScriptedEngine.PHASES:
                    self.owner.reached.append(phase)
                    if phase == "publish":
                        await self.hooks.before_publish()
                        result.reached_publish = True
                        self.owner.clicked.append(post.text)
                    elif not result.reached_publish:
                        await self.hooks.checkpoint(phase)
                    if script.hold_in == phase:
                        self.owner.holding.set()
                        await self.owner.release_hold.wait()
                    if phase == "confirm" and not await self.hooks.await_confirm(None):
                        raise RunCancelled("the operator rejected the post at confirmation")
            except RunCancelled as exc:
                return RunResult(status=RunStatus.CANCELLED, error_code=exc.code,
                                 error_message=str(exc), reached_publish=result.reached_publish)
            return RunResult(status=script.status, error_code=script.error_code,
                             error_message=script.error_message,
                             post_url=script.post_url if script.status is RunStatus.SUCCEEDED
                             else None, reached_publish=True)

        async def record_head(self, page: Any, post: Post,
                              out_dir: Path) -> tuple[str, ...] | None:
            self.owner.reached.append("record_head")
            return self.owner.head

        async def check_recent_posts(self, page: Any, post: Post,
                                     out_dir: Path) -> RecentCheck:
            self.owner.checked.append(post)
            found = post.text in self.owner.clicked + self.owner.live
            return RecentCheck(found, post_url="http://sandbox.test/p/1" if found else None)


# ---- profiles without a browser --------------------------------------------------------


class FakeProfiles:
    """Pages are plain objects; `broken` makes opening a profile fail like Chromium does."""

    def __init__(self) -> None:
        self.broken: str | None = None
        self.busy: set[str] = set()  # account keys open in another browser
        self.opens = 0
        self.released: list[str] = []
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, account: Any) -> asyncio.Lock:
        return self._locks.setdefault(account.key, asyncio.Lock())

    async def page(self, account: Any) -> Any:
        self.opens += 1
        if self.broken is not None:
            raise BrowserError(self.broken)
        if account.key in self.busy:
            raise BrowserError(f"profile of {account.key} is open in process 4242")
        return object()

    async def release(self, account: Any) -> None:
        self.released.append(account.key)

    async def close(self) -> None:
        pass
