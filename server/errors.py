"""Domain errors of the server, each carrying the HTTP status and stable code it maps to.

The store and the services raise these; the app turns them into the contract's
`{"error": {"code", "message"}}` shape. They never leave the server process.
"""

from __future__ import annotations


class ApiError(Exception):
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
