"""Operator endpoints: posts, jobs, devices, assets and the audit log."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import FileResponse

from contract import models as s
from server import errors, states
from server.api.deps import ERROR_RESPONSES, Operator, State, operator_or_device
from server.assets import MEDIA_TYPES

router = APIRouter(responses=ERROR_RESPONSES)
ops = APIRouter(dependencies=[Operator], responses=ERROR_RESPONSES)

PostId = Annotated[str, Path(alias="postId", max_length=100)]
JobId = Annotated[str, Path(alias="jobId", max_length=100)]
Limit = Annotated[int, Query(ge=1, le=1000)]


@ops.post("/api/posts", response_model=s.PostDetail, status_code=201, tags=["posts"])
async def create_post(body: s.PostCreate, state: State) -> s.PostDetail:
    """Create a post in DRAFT."""
    return state.store.create_post(body)


@ops.get("/api/posts", response_model=list[s.PostDetail], tags=["posts"])
async def list_posts(
    state: State, status: s.PostStatus | None = None, limit: Limit = 100
) -> list[s.PostDetail]:
    return state.store.list_posts(status, limit)


@ops.get("/api/posts/{postId}", response_model=s.PostDetail, tags=["posts"])
async def get_post(post_id: PostId, state: State) -> s.PostDetail:
    return state.store.get_post(post_id)


@ops.post("/api/posts/{postId}/submit", response_model=s.PostDetail, tags=["posts"])
async def submit_post(post_id: PostId, state: State) -> s.PostDetail:
    """DRAFT → PENDING_APPROVAL."""
    allowed, to = states.POST_SUBMIT
    return state.store.transition_post(post_id, set(allowed), to)


@ops.post("/api/posts/{postId}/approve", response_model=s.PostDetail, tags=["posts"])
async def approve_post(post_id: PostId, state: State) -> s.PostDetail:
    """PENDING_APPROVAL → APPROVED."""
    allowed, to = states.POST_APPROVE
    return state.store.transition_post(post_id, set(allowed), to)


@ops.post("/api/posts/{postId}/schedule", response_model=s.ScheduleResponse, tags=["posts"])
async def schedule_post(
    post_id: PostId, body: s.ScheduleRequest, state: State
) -> s.ScheduleResponse:
    """One job per target (idempotent UPSERT by `{postId}:{platform}:{scheduledAt}`)."""
    post = state.store.schedule(
        post_id, body.scheduled_at, max_attempts=state.settings.max_attempts,
        online_window=state.settings.online_window,
    )
    now = time.time()
    state.wakeup.notify(
        s.Target(platform=j.platform, account=j.account)
        for j in post.jobs
        if j.status is s.JobStatus.QUEUED and j.scheduled_at.timestamp() <= now
    )
    state.wakeup.rearm()
    return s.ScheduleResponse(**post.model_dump())


@ops.get("/api/publishing/jobs", response_model=list[s.Job], tags=["jobs"])
async def list_jobs(
    state: State,
    status: s.JobStatus | None = None,
    platform: Annotated[str | None, Query(max_length=100)] = None,
    post_id: Annotated[str | None, Query(alias="postId", max_length=100)] = None,
    device_id: Annotated[str | None, Query(alias="deviceId", max_length=100)] = None,
    limit: Limit = 100,
) -> list[s.Job]:
    return state.store.list_jobs(status=status, platform=platform, post_id=post_id,
                                 device_id=device_id, limit=limit)


@ops.get("/api/publishing/jobs/{jobId}", response_model=s.JobDetail, tags=["jobs"])
async def get_job(job_id: JobId, state: State) -> s.JobDetail:
    """The job with its runs, each with its logs and proofs."""
    return state.store.get_job(job_id)


@ops.post("/api/publishing/jobs/{jobId}/cancel", response_model=s.Job, tags=["jobs"])
async def cancel_job(job_id: JobId, state: State) -> s.Job:
    """Any live job → CANCELLED; its device learns it from events and heartbeat replies."""
    return state.store.cancel(job_id)


@ops.post("/api/publishing/jobs/{jobId}/retry", response_model=s.Job, tags=["jobs"])
async def retry_job(job_id: JobId, state: State) -> s.Job:
    """FAILED, NEEDS_LOGIN or CANCELLED → QUEUED (verifyFirst if a run reached publish)."""
    job = state.store.retry(job_id)
    if job.scheduled_at.timestamp() <= time.time():
        state.wakeup.notify([s.Target(platform=job.platform, account=job.account)])
    state.wakeup.rearm()
    return job


@ops.post("/api/publishing/jobs/{jobId}/confirm", response_model=s.Job, tags=["jobs"])
async def confirm_job(job_id: JobId, body: s.ConfirmRequest, state: State) -> s.Job:
    """Answer a manual confirm: approve lets the device publish, reject cancels the job."""
    return state.store.confirm(job_id, body.approve)


@ops.get("/api/devices", response_model=list[s.Device], tags=["devices"])
async def list_devices(state: State) -> list[s.Device]:
    """ONLINE means seen within `online_window` seconds (2 minutes by default)."""
    return state.store.list_devices(online_after=time.time() - state.settings.online_window)


@ops.post(
    "/api/devices/{deviceId}/check-login", response_model=s.CheckLoginResponse, tags=["devices"]
)
async def check_login(
    device_id: Annotated[str, Path(alias="deviceId", max_length=100)], state: State
) -> s.CheckLoginResponse:
    """Ask the device to verify its logins; the next heartbeat reply carries `checkLogin`."""
    state.store.request_check_login(device_id)
    return s.CheckLoginResponse(device_id=device_id, check_login=True)


@ops.post("/api/assets", response_model=s.Asset, status_code=201, tags=["assets"])
async def upload_asset(file: Annotated[UploadFile, File()], state: State) -> s.Asset:
    """Upload post media (images, mp4); the id is the sha256 of the bytes."""
    asset = await state.assets.save(file, allowed=MEDIA_TYPES)
    state.store.add_asset(asset)
    return asset


@router.get(
    "/api/assets/{assetId}",
    dependencies=[Depends(operator_or_device)],
    response_class=FileResponse,
    tags=["assets"],
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "video/mp4": {}}}},
)
async def get_asset(
    asset_id: Annotated[str, Path(alias="assetId", max_length=100)], state: State
) -> FileResponse:
    """The stored bytes with their content type."""
    asset = state.store.get_asset(asset_id)
    path = state.assets.path(asset.asset_id)
    if not path.exists():
        raise errors.NotFound(f"asset {asset_id} is recorded but its file is missing")
    return FileResponse(path, media_type=asset.content_type)


@ops.get("/api/audit", response_model=list[s.AuditEntry], tags=["audit"])
async def list_audit(
    state: State,
    job_id: Annotated[str | None, Query(alias="jobId", max_length=100)] = None,
    post_id: Annotated[str | None, Query(alias="postId", max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 500,
) -> list[s.AuditEntry]:
    """Audit entries in order, e.g. JOB_STUCK_RECOVERY; filter by jobId, postId or action."""
    return state.store.list_audit(job_id=job_id, post_id=post_id, action=action, limit=limit)
