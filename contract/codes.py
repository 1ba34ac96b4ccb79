"""The stable error codes that cross the wire, in one place.

A run's `errorCode` is for machines (dashboards, retries, alerts) and must not change with
wording; its `errorMessage` is for people. Playbooks may add their own codes (`fail: code:`),
so the field stays a string bounded by `contract.models.MAX_CODE`; these are the codes the
programs themselves use.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ALL",
    "ASSERTION_FAILED",
    "CANCELLED",
    "CHALLENGE",
    "CLICK_INTERCEPTED",
    "INTERRUPTED_PUBLISH",
    "LEASE_LOST",
    "MEDIA_UNAVAILABLE",
    "NEEDS_LOGIN",
    "PLATFORM_REJECTED",
    "PLAYBOOK_INVALID",
    "RELEASED",
    "RESULT_INVALID",
    "SELECTOR_NOT_FOUND",
    "STEP_FAILED",
    "TIMEOUT",
    "UNSUPPORTED_POST",
    "VERIFY_IMPOSSIBLE",
]

# A step of the playbook failed (the engine's error tree carries these as `.code`).
STEP_FAILED: Final = "STEP_FAILED"
SELECTOR_NOT_FOUND: Final = "SELECTOR_NOT_FOUND"
TIMEOUT: Final = "TIMEOUT"
CLICK_INTERCEPTED: Final = "CLICK_INTERCEPTED"
ASSERTION_FAILED: Final = "ASSERTION_FAILED"
PLATFORM_REJECTED: Final = "PLATFORM_REJECTED"
CHALLENGE: Final = "CHALLENGE"
UNSUPPORTED_POST: Final = "UNSUPPORTED_POST"
NEEDS_LOGIN: Final = "NEEDS_LOGIN"
CANCELLED: Final = "CANCELLED"

# The device could not run the job as asked.
PLAYBOOK_INVALID: Final = "PLAYBOOK_INVALID"
MEDIA_UNAVAILABLE: Final = "MEDIA_UNAVAILABLE"
VERIFY_IMPOSSIBLE: Final = "VERIFY_IMPOSSIBLE"
INTERRUPTED_PUBLISH: Final = "INTERRUPTED_PUBLISH"
RESULT_INVALID: Final = "RESULT_INVALID"  # the run's own result broke the contract

# The server's words for what happened to a run.
RELEASED: Final = "RELEASED"
LEASE_LOST: Final = "LEASE_LOST"

ALL: Final = frozenset({
    STEP_FAILED, SELECTOR_NOT_FOUND, TIMEOUT, CLICK_INTERCEPTED, ASSERTION_FAILED,
    PLATFORM_REJECTED, CHALLENGE, UNSUPPORTED_POST, NEEDS_LOGIN, CANCELLED, PLAYBOOK_INVALID,
    MEDIA_UNAVAILABLE, VERIFY_IMPOSSIBLE, INTERRUPTED_PUBLISH, RESULT_INVALID, RELEASED,
    LEASE_LOST,
})
