"""Operator endpoints: posts, jobs, devices, assets and the audit log.

Each route parses, calls one service (`server.services`) and shapes the reply.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import FileResponse

from contract import models as s
from server.api.deps import ERROR_RESPONSES, Operator, Svc, operator_or_device

__all__ = ["ops", "router"]

router = APIRouter(responses=ERROR_RESPONSES)
ops = APIRouter(dependencies=[Operator], responses=ERROR_RESPONSES)

PostId = Annotated[str, Path(alias="postId", max_length=100)]
JobId = Annotated[str, Path(alias="jobId", max_length=100)]
Limit = Annotated[int, Query(ge=1, le=1000)]


@ops.post("/api/posts", response_model=s.PostDetail, status_code=201, tags=["posts"])
async def create_post(body: s.PostCreate, svc: Svc) -> s.PostDetail:
    """Create a post in DRAFT."""
    return await svc.posts.create(body)


@ops.get("/api/posts", response_model=list[s.PostDetail], tags=["posts"])
async def list_posts(
    svc: Svc, status: s.PostStatus | None = None, limit: Limit = 100
) -> list[s.PostDetail]:
    return await svc.posts.find(status, limit)


@ops.get("/api/posts/{postId}", response_model=s.PostDetail, tags=["posts"])
async def get_post(post_id: PostId, svc: Svc) -> s.PostDetail:
    return await svc.posts.get(post_id)


@ops.post("/api/posts/{postId}/submit", response_model=s.PostDetail, tags=["posts"])
async def submit_post(post_id: PostId, svc: Svc) -> s.PostDetail:
    """DRAFT → PENDING_APPROVAL."""
    return await svc.posts.submit(post_id)


@ops.post("/api/posts/{postId}/approve", response_model=s.PostDetail, tags=["posts"])
async def approve_post(post_id: PostId, svc: Svc) -> s.PostDetail:
    """PENDING_APPROVAL → APPROVED."""
    return await svc.posts.approve(post_id)


@ops.post("/api/posts/{postId}/schedule", response_model=s.ScheduleResponse, tags=["posts"])
async def schedule_post(
    post_id: PostId, body: s.ScheduleRequest, svc: Svc
) -> s.ScheduleResponse:
    """One job per target (idempotent UPSERT by `{postId}:{platform}:{scheduledAt}`)."""
    return await svc.posts.schedule(post_id, body.scheduled_at)


@ops.get("/api/publishing/jobs", response_model=list[s.Job], tags=["jobs"])
async def list_jobs(
    svc: Svc,
    status: s.JobStatus | None = None,
    platform: Annotated[str | None, Query(max_length=100)] = None,
    post_id: Annotated[str | None, Query(alias="postId", max_length=100)] = None,
    device_id: Annotated[str | None, Query(alias="deviceId", max_length=100)] = None,
    limit: Limit = 100,
) -> list[s.Job]:
    return await svc.jobs.find(status=status, platform=platform, post_id=post_id,
                               device_id=device_id, limit=limit)


@ops.get("/api/publishing/jobs/{jobId}", response_model=s.JobDetail, tags=["jobs"])
async def get_job(job_id: JobId, svc: Svc) -> s.JobDetail:
    """The job with its runs, each with its logs and proofs."""
    return await svc.jobs.get(job_id)


@ops.post("/api/publishing/jobs/{jobId}/cancel", response_model=s.Job, tags=["jobs"])
async def cancel_job(job_id: JobId, svc: Svc) -> s.Job:
    """Any live job → CANCELLED; its device learns it from events and heartbeat replies."""
    return await svc.jobs.cancel(job_id)


@ops.post("/api/publishing/jobs/{jobId}/retry", response_model=s.Job, tags=["jobs"])
async def retry_job(job_id: JobId, svc: Svc) -> s.Job:
    """FAILED, NEEDS_LOGIN or CANCELLED → QUEUED (verifyFirst if a run reached publish)."""
    return await svc.jobs.retry(job_id)


@ops.post("/api/publishing/jobs/{jobId}/confirm", response_model=s.Job, tags=["jobs"])
async def confirm_job(job_id: JobId, body: s.ConfirmRequest, svc: Svc) -> s.Job:
    """Answer a manual confirm: approve lets the device publish, reject cancels the job."""
    return await svc.jobs.confirm(job_id, body.approve)


@ops.get("/api/devices", response_model=list[s.Device], tags=["devices"])
async def list_devices(svc: Svc) -> list[s.Device]:
    """ONLINE means seen within `online_window` seconds (2 minutes by default)."""
    return await svc.devices.find()


@ops.post(
    "/api/devices/{deviceId}/check-login", response_model=s.CheckLoginResponse, tags=["devices"]
)
async def check_login(
    device_id: Annotated[str, Path(alias="deviceId", max_length=100)], svc: Svc
) -> s.CheckLoginResponse:
    """Ask the device to verify its logins; the next heartbeat reply carries `checkLogin`."""
    return await svc.devices.check_login(device_id)


@ops.post("/api/assets", response_model=s.Asset, status_code=201, tags=["assets"])
async def upload_asset(file: Annotated[UploadFile, File()], svc: Svc) -> s.Asset:
    """Upload post media (images, mp4); the id is the sha256 of the bytes."""
    return await svc.media.upload(file)


@router.get(
    "/api/assets/{assetId}",
    dependencies=[Depends(operator_or_device)],
    response_class=FileResponse,
    tags=["assets"],
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "video/mp4": {}}}},
)
async def get_asset(
    asset_id: Annotated[str, Path(alias="assetId", max_length=100)], svc: Svc
) -> FileResponse:
    """The stored bytes with their content type."""
    asset, path = await svc.media.open(asset_id)
    return FileResponse(path, media_type=asset.content_type)


@ops.get("/api/audit", response_model=list[s.AuditEntry], tags=["audit"])
async def list_audit(
    svc: Svc,
    job_id: Annotated[str | None, Query(alias="jobId", max_length=100)] = None,
    post_id: Annotated[str | None, Query(alias="postId", max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 500,
) -> list[s.AuditEntry]:
    """Audit entries in order, e.g. JOB_STUCK_RECOVERY; filter by jobId, postId or action."""
    return await svc.jobs.audit(job_id=job_id, post_id=post_id, action=action, limit=limit)
