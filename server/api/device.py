"""Device endpoints: register, heartbeat, login status, and the life of a claimed job.

A device may touch only the jobs it holds (`lockedByDeviceId` and the lease token it got
from claim): another device's job is 403, a lease that is no longer valid is 409.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile

from contract import models as s
from server import auth, errors
from server.api.deps import ERROR_RESPONSES, DeviceId, ServerState, State, require_enroll
from server.assets import IMAGE_TYPES, SNAPSHOT_TYPES
from server.wakeup import matcher

router = APIRouter(responses=ERROR_RESPONSES)

PathDevice = Annotated[str, Path(alias="deviceId", max_length=100)]
JobId = Annotated[str, Path(alias="jobId", max_length=100)]
FormText = Annotated[str, Form(min_length=1, max_length=200)]


def _same_device(path_id: str, caller: str) -> None:
    if path_id != caller:
        raise errors.Forbidden("a device may only act as itself")


@router.post(
    "/api/devices/register",
    response_model=s.RegisterResponse,
    status_code=201,
    dependencies=[Depends(require_enroll)],
    tags=["device"],
)
async def register(body: s.RegisterRequest, state: State) -> s.RegisterResponse:
    """Enroll a device with the server's enrollment token; its token is shown only here."""
    token = auth.new_token()
    device_id = state.store.register_device(body, auth.hash_token(token))
    return s.RegisterResponse(device_id=device_id, device_token=token,
                              heartbeat_interval_sec=state.settings.heartbeat_interval)


@router.post(
    "/api/devices/{deviceId}/heartbeat", response_model=s.HeartbeatResponse, tags=["device"]
)
async def heartbeat(
    device_id: PathDevice, body: s.HeartbeatRequest, state: State, caller: DeviceId
) -> s.HeartbeatResponse:
    """Refresh lastSeenAt; the reply lists jobs to stop and whether to check logins."""
    _same_device(device_id, caller)
    return state.store.heartbeat(device_id, body)


@router.post(
    "/api/devices/{deviceId}/login-status", response_model=s.LoginStatusResponse,
    tags=["device"],
)
async def login_status(
    device_id: PathDevice, body: s.LoginStatusRequest, state: State, caller: DeviceId
) -> s.LoginStatusResponse:
    """Logged in again: this device's NEEDS_LOGIN jobs for that account go back to QUEUED."""
    _same_device(device_id, caller)
    requeued = state.store.report_login(device_id, body)
    state.wakeup.notify(r.target for r in requeued)
    return s.LoginStatusResponse(requeued_job_ids=[r.job_id for r in requeued])


@router.post(
    "/api/publishing/jobs/claim",
    response_model=s.ClaimResponse,
    responses={204: {"description": "nothing came due within waitSec"}},
    tags=["device"],
)
async def claim(
    body: s.ClaimRequest, request: Request, state: State, caller: DeviceId
) -> Response:
    """Long poll: the oldest due matching job, or 204 after `waitSec` (at most 30 s)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + body.wait_sec
    matches = matcher(body.platforms, body.accounts)
    while True:
        got = state.store.claim(caller, body.platforms, body.accounts)
        if got is not None:  # already validated: skip FastAPI's second pass (hot path)
            return Response(got.model_dump_json(by_alias=True), media_type="application/json")
        remaining = deadline - loop.time()
        if remaining <= 0:
            return Response(status_code=204)
        woken_by = await state.wakeup.wait(matches, remaining)
        if await request.is_disconnected():
            if woken_by is not None:  # hand the wake-up on, or that job would wait
                state.wakeup.notify([woken_by])
            return Response(status_code=204)


@router.post("/api/publishing/jobs/{jobId}/start", response_model=s.StartResponse,
             tags=["device"])
async def start(
    job_id: JobId, body: s.LeaseRequest, state: State, caller: DeviceId
) -> s.StartResponse:
    """CLAIMED → RUNNING with a new run (repeating it returns the same run)."""
    return s.StartResponse(run_id=state.store.start(job_id, caller, body.lease_token))


@router.post("/api/publishing/jobs/{jobId}/events", response_model=s.EventsResponse,
             tags=["device"])
async def events(
    job_id: JobId, body: s.EventsRequest, state: State, caller: DeviceId
) -> s.EventsResponse:
    """Idempotent by (runId, seq); every call is progress. The reply says whether to stop
    (`cancelRequested`) and carries the operator's `confirmDecision`."""
    return state.store.add_events(job_id, caller, body)


class RunFile:
    """The multipart fields of every file a device uploads for a run (proofs, snapshots)."""

    def __init__(
        self,
        file: Annotated[UploadFile, File()],
        lease_token: Annotated[str, Form(alias="leaseToken", min_length=1, max_length=200)],
        run_id: Annotated[str, Form(alias="runId", min_length=1, max_length=100)],
        sha256: Annotated[str, Form(pattern=r"^[0-9a-fA-F]{64}$")],
    ) -> None:
        self.file = file
        self.lease_token = lease_token
        self.run_id = run_id
        self.sha256 = sha256

    async def save(self, state: ServerState, job_id: str, caller: str,
                   allowed: frozenset[str]) -> s.Asset:
        """Checked as the holder's before a byte is stored; the bytes' type must be allowed."""
        state.store.check_held(job_id, caller, self.lease_token, self.run_id)
        return await state.assets.save(self.file, allowed=allowed, expected_sha256=self.sha256)


@router.post("/api/publishing/jobs/{jobId}/proofs", response_model=s.ProofResponse,
             tags=["device"])
async def proofs(
    job_id: JobId, state: State, caller: DeviceId, upload: Annotated[RunFile, Depends()],
    kind: Annotated[s.ProofKind, Form()],
) -> s.ProofResponse:
    """A screenshot (PNG, JPEG, WebP); idempotent by (runId, kind, sha256)."""
    asset = await upload.save(state, job_id, caller, IMAGE_TYPES)
    return s.ProofResponse(asset_id=state.store.add_proof(
        job_id, caller, upload.lease_token, upload.run_id, kind, asset))


@router.post("/api/publishing/jobs/{jobId}/snapshots", response_model=s.ProofResponse,
             tags=["device"])
async def snapshots(
    job_id: JobId, state: State, caller: DeviceId, upload: Annotated[RunFile, Depends()],
    kind: Annotated[s.SnapshotKind, Form()],
) -> s.ProofResponse:
    """A failed run's page HTML (`failure_html`) or Playwright trace zip (`trace`), kept for
    diagnosis and for turning into a fixture; idempotent by (runId, kind, sha256)."""
    asset = await upload.save(state, job_id, caller, SNAPSHOT_TYPES)
    return s.ProofResponse(asset_id=state.store.add_snapshot(
        job_id, caller, upload.lease_token, upload.run_id, kind, asset))


@router.post(
    "/api/publishing/jobs/{jobId}/awaiting-confirm",
    response_model=s.AwaitingConfirmResponse,
    tags=["device"],
)
async def awaiting_confirm(
    job_id: JobId, body: s.AwaitingConfirmRequest, state: State, caller: DeviceId
) -> s.AwaitingConfirmResponse:
    """RUNNING → AWAITING_CONFIRM; `proceed` at once for auto, else poll events for the
    decision."""
    return state.store.awaiting_confirm(job_id, caller, body)


@router.post("/api/publishing/jobs/{jobId}/release", response_model=s.Job, tags=["device"])
async def release(
    job_id: JobId, body: s.ReleaseRequest, state: State, caller: DeviceId
) -> s.Job:
    """Hand a job back before its publish step (the device is stopping): QUEUED again, for
    any device, without counting an attempt. A run that reached publish must complete."""
    job = state.store.release(job_id, caller, body)
    state.wakeup.notify([s.Target(platform=job.platform, account=job.account)])
    state.wakeup.rearm()
    return job


@router.post("/api/publishing/jobs/{jobId}/complete", response_model=s.Job, tags=["device"])
async def complete(
    job_id: JobId, body: s.CompleteRequest, state: State, caller: DeviceId
) -> s.Job:
    """Finish the run; repeating it is harmless and a SUCCEEDED job stays SUCCEEDED."""
    return state.store.complete(job_id, caller, body)
