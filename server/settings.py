"""Settings of the reference server: defaults < file (section `server`) < env < flags.

Environment variables are `PUBLISH_RUNNER_SERVER_<FIELD>` so they never collide with the
daemon's own `PUBLISH_RUNNER_…` settings. Every recovery threshold is here, so tests can play
the failure playbook in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from common import settings as base

ENV_PREFIX = "PUBLISH_RUNNER_SERVER_"
SECTION = "server"


class ServerSettings(BaseModel):
    """Frozen after start: a running server never sees its settings change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    db: str | None = Field(None, description="SQLite path or sqlite:///path (default: data dir)")
    host: str = "127.0.0.1"
    port: int = Field(8700, ge=0, le=65535)
    operator_token: str | None = None
    enroll_token: str | None = None
    claim_timeout: float = Field(300.0, gt=0, description="seconds a job may stay CLAIMED")
    run_timeout: float = Field(600.0, gt=0, description="seconds a RUNNING job may go silent")
    recovery_interval: float = Field(120.0, gt=0, description="seconds between recovery passes")
    max_attempts: int = Field(3, ge=1, le=100)
    data_dir: Path | None = None
    heartbeat_interval: float = Field(30.0, gt=0)
    online_window: float = Field(120.0, gt=0, description="seen this recently means ONLINE")
    max_asset_bytes: int = Field(20 * 1024 * 1024, gt=0)

    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else base.data_dir() / "server"


def load(
    *,
    file: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServerSettings:
    """Merge the sources in their fixed precedence (see module docstring)."""
    return base.load(
        ServerSettings,
        file=file,
        section=SECTION,
        flags=flags,
        environ=environ,
        env_prefix=ENV_PREFIX,
    )
