"""Definitions versions: push (the gate), list, the current one, an archive, rollback.

Operators push and roll back; devices read the current version and download its archive
(the heartbeat reply tells them when it changes). Each route parses, calls the definitions
service (`server.services.definitions`) and shapes the reply.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile

from contract import models as s
from server.api.deps import ERROR_RESPONSES, Operator, Svc, operator_or_device

__all__ = ["ops", "router"]

router = APIRouter(responses=ERROR_RESPONSES, tags=["definitions"])
ops = APIRouter(dependencies=[Operator], responses=ERROR_RESPONSES, tags=["definitions"])

Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


@ops.post(
    "/api/definitions", response_model=s.DefinitionsVersion, status_code=201,
    responses={200: {"model": s.DefinitionsVersion,
                     "description": "the same content as the current version: nothing stored"},
               422: {"model": s.ErrorResponse,
                     "description": "refused: REPLAY_FAILED (the failing scenarios are "
                     "listed), LINT_FAILED, REPORT_INCOMPLETE, REPORT_MISMATCH or "
                     "DEFINITIONS_INVALID"}},
)
async def push(
    svc: Svc, response: Response,
    bundle: Annotated[UploadFile, File(description="the set as tar.gz "
                                       "(common.definitions_bundle.pack)")],
    report: Annotated[UploadFile, File(description="JSON DefinitionsReport: the lint and "
                                       "replay results for this set's hash")],
    author: Annotated[str, Form(max_length=s.MAX_AUTHOR)] = "",
) -> s.DefinitionsVersion:
    """Store a set as the next version and make it current, if it passes the gate: the
    attached results are for exactly this set's hash, lint clean, and cover every scenario
    of its `fixtures/*/scenarios.yaml`, all passed. The YAML is re-parsed for its structure
    only (the full lint runs on the pushing client)."""
    version, created = await svc.definitions.push(bundle, report, author)
    if not created:
        response.status_code = 200
    return version


@ops.get("/api/definitions", response_model=list[s.DefinitionsVersion])
async def list_versions(
    svc: Svc, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[s.DefinitionsVersion]:
    """Every stored version, newest first; `current` marks the one devices use."""
    return await svc.definitions.versions(limit)


@router.get("/api/definitions/current", response_model=s.DefinitionsVersion,
            dependencies=[Depends(operator_or_device)])
async def current(svc: Svc) -> s.DefinitionsVersion:
    """The version devices use now (404 when none was pushed)."""
    return await svc.definitions.current()


@router.get(
    "/api/definitions/{version}/bundle", dependencies=[Depends(operator_or_device)],
    response_class=Response,
    responses={200: {"content": {"application/gzip": {}},
                     "description": "the tar.gz; `X-Definitions-Hash` names its content"}},
)
async def bundle(version: Version, svc: Svc) -> Response:
    """A version's archive, as pushed. Check its hash after unpacking it."""
    found, data = await svc.definitions.archive(version)
    return Response(data, media_type="application/gzip", headers={
        "X-Definitions-Hash": found.hash,
        "Content-Disposition": f'attachment; filename="definitions-{version}.tar.gz"'})


@ops.post("/api/definitions/{version}/rollback", response_model=s.DefinitionsVersion)
async def rollback(
    version: Version, svc: Svc,
    author: Annotated[str, Query(max_length=s.MAX_AUTHOR)] = "",
) -> s.DefinitionsVersion:
    """Make a stored version current again; each device switches at its next job."""
    return await svc.definitions.rollback(version, author)
