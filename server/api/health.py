"""Selector-health endpoints: devices report canary results, operators read the health.

Device side (device token, a device acts only as itself): `canary-proofs` stores a canary's
screenshot as an asset, `canary-results` records the result that names those proofs, and
`next-due` tells a device when the account's next job is due, so it never starts a canary
right before one. Operator side: `GET /api/selector-health` (the latest verdict per platform
and account) and `GET /api/canary-results` (the history).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, UploadFile

from contract import models as s
from server import errors
from server.api.deps import ERROR_RESPONSES, DeviceId, Operator, Svc

__all__ = ["ops", "router"]

router = APIRouter(responses=ERROR_RESPONSES, tags=["selector health"])
ops = APIRouter(dependencies=[Operator], responses=ERROR_RESPONSES, tags=["selector health"])

PathDevice = Annotated[str, Path(alias="deviceId", max_length=100)]
NameQuery = Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[\w.@+-]+$")]


def _same_device(path_id: str, caller: str) -> None:
    if path_id != caller:
        raise errors.Forbidden("a device may only act as itself")


@router.post("/api/devices/{deviceId}/canary-proofs", response_model=s.ProofResponse,
             status_code=201)
async def canary_proof(
    device_id: PathDevice, svc: Svc, caller: DeviceId, file: Annotated[UploadFile, File()],
    sha256: Annotated[str, Form(pattern=r"^[0-9a-fA-F]{64}$")],
) -> s.ProofResponse:
    """A canary's screenshot (PNG, JPEG, WebP), stored as an asset before the result that
    names it; idempotent (the asset id is the sha256 of its bytes)."""
    _same_device(device_id, caller)
    return s.ProofResponse(asset_id=await svc.health.add_proof(file, sha256.lower()))


@router.post("/api/devices/{deviceId}/canary-results", response_model=s.CanaryResultResponse,
             status_code=201)
async def canary_result(
    device_id: PathDevice, body: s.CanaryResultRequest, svc: Svc, caller: DeviceId
) -> s.CanaryResultResponse:
    """Record one canary's result: definitions version and hash, platform, account,
    verdict, per-selector findings and the proofs uploaded with `canary-proofs`.
    Idempotent by `id`: a repeated report answers `duplicate: true` and changes nothing."""
    _same_device(device_id, caller)
    return await svc.health.record(caller, body)


@router.get("/api/devices/{deviceId}/next-due", response_model=s.NextDueResponse)
async def next_due(
    device_id: PathDevice, svc: Svc, caller: DeviceId, platform: NameQuery,
    account: NameQuery = s.DEFAULT_ACCOUNT,
) -> s.NextDueResponse:
    """When the account's next job is due (its earliest QUEUED or in-progress job): a
    device asks before a canary, and starts none within its margin before that time."""
    _same_device(device_id, caller)
    return await svc.health.next_due(platform, account)


@ops.get("/api/selector-health", response_model=list[s.SelectorHealth])
async def selector_health(svc: Svc) -> list[s.SelectorHealth]:
    """Per platform and account: the latest canary's verdict, when it was last healthy, and
    the broken selectors with their `file:line` and a link to the proof screenshot."""
    return await svc.health.overview()


@ops.get("/api/canary-results", response_model=list[s.CanaryResult])
async def canary_results(
    svc: Svc, platform: Annotated[str | None, Query(max_length=100)] = None,
    account: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[s.CanaryResult]:
    """The selector-health history, newest first (retention keeps the latest result and the
    latest healthy one of each platform and account)."""
    return await svc.health.history(platform=platform, account=account, limit=limit)
