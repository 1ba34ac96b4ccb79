"""What every route needs: the server's services and who is calling (operator or device)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from contract import models as s
from server import auth, errors
from server.runtime import ServerState
from server.services import Services

bearer_scheme = HTTPBearer(auto_error=False, description="operator, enrollment or device token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": s.ErrorResponse, "description": why}
    for code, why in (
        (400, "malformed request"),
        (401, "missing or wrong token"),
        (403, "not yours"),
        (404, "unknown id"),
        (409, "invalid transition or lost lease"),
        (413, "upload too large"),
        (415, "upload of an unaccepted type"),
        (422, "invalid input"),
    )
}


async def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


State = Annotated[ServerState, Depends(get_state)]


async def get_services(request: Request) -> Services:
    state: ServerState = request.app.state.server
    return state.services


Svc = Annotated[Services, Depends(get_services)]


def _token(creds: HTTPAuthorizationCredentials | None) -> str | None:
    return creds.credentials if creds is not None else None


async def require_operator(state: State, creds: Credentials) -> None:
    if not auth.same(_token(creds), state.tokens.operator):
        raise errors.Unauthorized("operator token required (Authorization: Bearer …)")


async def require_enroll(state: State, creds: Credentials) -> None:
    if not auth.same(_token(creds), state.tokens.enroll):
        raise errors.Unauthorized("enrollment token required (Authorization: Bearer …)")


async def current_device(state: State, creds: Credentials) -> str:
    device_id = await state.services.devices.identify(_token(creds))
    if device_id is None:
        raise errors.Unauthorized("device token required (Authorization: Bearer …)")
    return device_id


async def operator_or_device(state: State, creds: Credentials) -> None:
    token = _token(creds)
    if auth.same(token, state.tokens.operator):
        return
    if await state.services.devices.identify(token) is not None:
        return
    raise errors.Unauthorized("operator or device token required")


__all__ = [
    "ERROR_RESPONSES", "DeviceId", "Operator", "ServerState", "State", "Svc", "get_services",
    "get_state", "operator_or_device", "require_enroll", "require_operator",
]

Operator = Depends(require_operator)
DeviceId = Annotated[str, Depends(current_device)]
