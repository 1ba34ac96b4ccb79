"""The sandbox platform: a small, realistic local social site that publish-runner publishes
to in the demo, the tests and the benchmarks. See docs/sandbox.md for its DOM contract,
fault modes and control API."""

from __future__ import annotations

from sandbox.app import create_app
from sandbox.server import SandboxServer
from sandbox.state import (
    CHALLENGE,
    COOKIE_BANNER,
    FAULTS,
    REDESIGN_BROKEN,
    REDESIGN_FALLBACK,
    REJECT,
    SESSION_COOKIE,
    SESSION_EXPIRED,
    SESSION_MAX_AGE_S,
    SLOW,
    SLOW_UPLOAD,
    Account,
    MediaInfo,
    RecordedPost,
    SandboxError,
    SandboxState,
)

__all__ = [
    "CHALLENGE",
    "COOKIE_BANNER",
    "FAULTS",
    "REDESIGN_BROKEN",
    "REDESIGN_FALLBACK",
    "REJECT",
    "SESSION_COOKIE",
    "SESSION_EXPIRED",
    "SESSION_MAX_AGE_S",
    "SLOW",
    "SLOW_UPLOAD",
    "Account",
    "MediaInfo",
    "RecordedPost",
    "SandboxError",
    "SandboxServer",
    "SandboxState",
    "create_app",
]
