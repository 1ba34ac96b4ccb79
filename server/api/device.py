"""Device endpoints: register, heartbeat, login status, and the life of a claimed job.

Each route parses, calls one service (`server.services`) and shapes the reply. A device may
touch only the jobs it holds: another device's job is 403, a lease no longer valid is 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile

from contract import models as s
from server import errors
from server.api.deps import ERROR_RESPONSES, DeviceId, Svc, require_enroll

__all__ = ["router"]

router = APIRouter(responses=ERROR_RESPONSES)

PathDevice = Annotated[str, Path(alias="deviceId", max_length=100)]
JobId = Annotated[str, Path(alias="jobId", max_length=100)]


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
async def register(body: s.RegisterRequest, svc: Svc) -> s.RegisterResponse:
    """Enroll a device with the server's enrollment token; its token is shown only here."""
    return await svc.devices.register(body)


@router.post(
    "/api/devices/{deviceId}/heartbeat", response_model=s.HeartbeatResponse, tags=["device"],
    response_model_exclude_none=True,  # no `definitions: null` for devices that predate it
)
async def heartbeat(
    device_id: PathDevice, body: s.HeartbeatRequest, svc: Svc, caller: DeviceId
) -> s.HeartbeatResponse:
    """Refresh lastSeenAt; the reply lists jobs to stop and whether to check logins."""
    _same_device(device_id, caller)
    return await svc.devices.heartbeat(device_id, body)


@router.post(
    "/api/devices/{deviceId}/login-status", response_model=s.LoginStatusResponse,
    tags=["device"],
)
async def login_status(
    device_id: PathDevice, body: s.LoginStatusRequest, svc: Svc, caller: DeviceId
) -> s.LoginStatusResponse:
    """Logged in again: this device's NEEDS_LOGIN jobs for that account go back to QUEUED."""
    _same_device(device_id, caller)
    return await svc.devices.report_login(device_id, body)


@router.post(
    "/api/publishing/jobs/claim",
    response_model=s.ClaimResponse,
    responses={204: {"description": "nothing came due within waitSec"}},
    tags=["device"],
)
async def claim(body: s.ClaimRequest, request: Request, svc: Svc, caller: DeviceId) -> Response:
    """Long poll: the oldest due matching job, or 204 after `waitSec` (at most 30 s)."""
    got = await svc.runs.claim(caller, body, request.is_disconnected)
    if got is None:
        return Response(status_code=204)
    # Already validated: skip FastAPI's second pass (the hot path).
    return Response(got.model_dump_json(by_alias=True), media_type="application/json")


@router.post("/api/publishing/jobs/{jobId}/start", response_model=s.StartResponse,
             tags=["device"])
async def start(
    job_id: JobId, body: s.StartRequest, svc: Svc, caller: DeviceId
) -> s.StartResponse:
    """CLAIMED → RUNNING with a new run (repeating it returns the same run); the run records
    the definitions version and hash the device names."""
    return s.StartResponse(run_id=await svc.runs.start(
        job_id, caller, body.lease_token, (body.definitions_version, body.definitions_hash)))


@router.post("/api/publishing/jobs/{jobId}/events", response_model=s.EventsResponse,
             tags=["device"])
async def events(
    job_id: JobId, body: s.EventsRequest, svc: Svc, caller: DeviceId
) -> s.EventsResponse:
    """Idempotent by (runId, seq); every call is progress. The reply says whether to stop
    (`cancelRequested`) and carries the operator's `confirmDecision`."""
    return await svc.runs.events(job_id, caller, body)


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


@router.post("/api/publishing/jobs/{jobId}/proofs", response_model=s.ProofResponse,
             tags=["device"])
async def proofs(
    job_id: JobId, svc: Svc, caller: DeviceId, upload: Annotated[RunFile, Depends()],
    kind: Annotated[s.ProofKind, Form()],
) -> s.ProofResponse:
    """A screenshot (PNG, JPEG, WebP); idempotent by (runId, kind, sha256)."""
    return s.ProofResponse(asset_id=await svc.runs.add_proof(
        job_id, caller, lease=upload.lease_token, run_id=upload.run_id, kind=kind,
        file=upload.file, sha256=upload.sha256))


@router.post("/api/publishing/jobs/{jobId}/snapshots", response_model=s.ProofResponse,
             tags=["device"])
async def snapshots(
    job_id: JobId, svc: Svc, caller: DeviceId, upload: Annotated[RunFile, Depends()],
    kind: Annotated[s.SnapshotKind, Form()],
) -> s.ProofResponse:
    """A failed run's page HTML (`failure_html`) or Playwright trace zip (`trace`), kept for
    diagnosis and for turning into a fixture; idempotent by (runId, kind, sha256)."""
    return s.ProofResponse(asset_id=await svc.runs.add_snapshot(
        job_id, caller, lease=upload.lease_token, run_id=upload.run_id, kind=kind,
        file=upload.file, sha256=upload.sha256))


@router.post(
    "/api/publishing/jobs/{jobId}/awaiting-confirm",
    response_model=s.AwaitingConfirmResponse,
    tags=["device"],
)
async def awaiting_confirm(
    job_id: JobId, body: s.AwaitingConfirmRequest, svc: Svc, caller: DeviceId
) -> s.AwaitingConfirmResponse:
    """RUNNING → AWAITING_CONFIRM; `proceed` at once for auto, else poll events for the
    decision."""
    return await svc.runs.awaiting_confirm(job_id, caller, body)


@router.post("/api/publishing/jobs/{jobId}/release", response_model=s.Job, tags=["device"])
async def release(job_id: JobId, body: s.ReleaseRequest, svc: Svc, caller: DeviceId) -> s.Job:
    """Hand a job back before its publish step (the device is stopping): QUEUED again, for
    any device, without counting an attempt. A run that reached publish must complete."""
    return await svc.runs.release(job_id, caller, body)


@router.post("/api/publishing/jobs/{jobId}/complete", response_model=s.Job, tags=["device"])
async def complete(
    job_id: JobId, body: s.CompleteRequest, svc: Svc, caller: DeviceId
) -> s.Job:
    """Finish the run; repeating it is harmless and a SUCCEEDED job stays SUCCEEDED."""
    return await svc.runs.complete(job_id, caller, body)
