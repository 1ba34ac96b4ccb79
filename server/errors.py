"""Domain errors of the server, each carrying the HTTP status and stable code it maps to.

The store and the services raise these; the app (and the dashboard) turn them into the
contract's `{"error": {"code", "message"}}` shape with `status`. They join the project's one
exception root, so `except PublishRunnerError` in the wiring place (the CLI) catches them too;
they never cross the wire as exceptions (the runner's client has its own classes, built from
the reply: `ServerRejected`, `LeaseLost`).

    PublishRunnerError (common.errors)
    └── ApiError               400 BAD_REQUEST: a refusal a client can act on
        ├── Unauthorized       401 UNAUTHORIZED: missing or wrong token
        ├── Forbidden          403 FORBIDDEN: not yours (another device's job)
        ├── NotFound           404 NOT_FOUND: unknown id
        ├── Conflict           409 CONFLICT: the state does not allow it
        │   ├── InvalidTransition  409 INVALID_TRANSITION
        │   └── LeaseLost      409 LEASE_LOST: the lease is no longer valid
        ├── TooLarge           413 TOO_LARGE: an upload past the limit
        ├── UnsupportedMedia   415 UNSUPPORTED_MEDIA_TYPE: bytes of an unaccepted type
        └── Invalid            422 VALIDATION_ERROR: input the contract refuses
"""

from __future__ import annotations

from common.errors import PublishRunnerError

__all__ = [
    "ApiError", "Conflict", "Forbidden", "Invalid", "InvalidTransition", "LeaseLost",
    "NotFound", "TooLarge", "Unauthorized", "UnsupportedMedia",
]


class ApiError(PublishRunnerError):
    """A refusal a client can act on."""

    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Unauthorized(ApiError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(ApiError):
    status = 403
    code = "FORBIDDEN"


class NotFound(ApiError):
    status = 404
    code = "NOT_FOUND"


class Conflict(ApiError):
    status = 409
    code = "CONFLICT"


class InvalidTransition(Conflict):
    code = "INVALID_TRANSITION"


class LeaseLost(Conflict):
    code = "LEASE_LOST"


class TooLarge(ApiError):
    status = 413
    code = "TOO_LARGE"


class UnsupportedMedia(ApiError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class Invalid(ApiError):
    status = 422
    code = "VALIDATION_ERROR"
