"""The daemon's settings: defaults < config file < `PUBLISH_RUNNER_…` < flags, frozen."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.settings import data_dir


class Account(BaseModel):
    """A platform account and the browser profile (user-data directory) logged in to it."""

    model_config = ConfigDict(frozen=True)
    platform: str
    name: str
    profile: Path

    @property
    def key(self) -> str:
        return f"{self.platform}/{self.name}"


def parse_accounts(value: Any, home: Path) -> dict[str, Path]:
    """`x/main` or `x/main=/path/to/profile`, as a list, a comma string or a mapping."""
    if value is None:
        return {}
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = list(value.items())
    else:
        parts = value.split(",") if isinstance(value, str) else list(value)
        items = []
        for part in parts:
            key, _, path = str(part).strip().partition("=")
            items.append((key.strip(), path.strip() or None))
    out: dict[str, Path] = {}
    for key, path in items:
        platform, slash, name = key.partition("/")
        if not slash or not platform or not name:
            raise ValueError(f"account {key!r} must look like platform/account, e.g. x/main")
        out[key] = Path(path).expanduser() if path else home / "profiles" / platform / name
    return out


class DaemonSettings(BaseModel):
    """Everything `publish-runner run` can be told; see docs/daemon.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    server_url: str | None = Field(default=None, description="none: embedded server")
    enroll_token: str | None = None
    operator_token: str | None = Field(default=None, description="embedded server only")
    device_name: str = Field(default_factory=socket.gethostname)
    accounts: dict[str, Path] = Field(default_factory=dict)
    headless: bool = False
    browser: str | None = None
    cdp_url: str | None = None
    concurrency: dict[str, int] = Field(default_factory=dict, description="per platform")
    max_parallel: int = Field(default=2, ge=1, description="profiles working at once")
    min_gap_s: float = Field(default=60.0, ge=0, description="between posts on one account")
    human: bool | None = Field(default=None, description="none: the playbook decides")
    base_urls: dict[str, str] = Field(default_factory=dict, description="platform → URL")
    locale: str = "auto"
    claim_wait_s: float = Field(default=25.0, ge=0, le=30)
    heartbeat_s: float | None = Field(default=None, description="none: the server's")
    keepalive_s: float = Field(default=20.0, gt=0,
                               description="progress signal while a step runs long")
    home: Path = Field(default_factory=data_dir)
    notify: bool = True
    db: str | None = Field(default=None, description="embedded server database")
    # Fault injection for the end-to-end tests: widen the windows in which a crash is
    # hardest to handle (between claim and start, right after the publish click).
    debug_pause_after_claim_s: float = 0.0
    debug_pause_after_publish_s: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _accounts(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            home = Path(data.get("home") or data_dir())
            data["accounts"] = parse_accounts(data.get("accounts"), home)
            for key in ("concurrency", "base_urls"):
                if isinstance(data.get(key), (str, list, tuple)):
                    data[key] = _pairs(data[key])
        return data

    @field_validator("server_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    def account_list(self) -> list[Account]:
        return [Account(platform=k.split("/", 1)[0], name=k.split("/", 1)[1], profile=p)
                for k, p in sorted(self.accounts.items())]

    def platform_limit(self, platform: str) -> int:
        return max(1, self.concurrency.get(platform, 1))

    @property
    def identity_file(self) -> Path:
        return self.home / "device.json"

    @property
    def outbox_file(self) -> Path:
        return self.home / "outbox.db"


def _pairs(value: str | list[str] | tuple[str, ...]) -> dict[str, str]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    out = {}
    for part in parts:
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} must look like key=value")
        out[key.strip()] = val.strip()
    return out
