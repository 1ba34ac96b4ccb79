"""The one configuration model: a section per program, one precedence, one duration rule.

`Config` holds a section for each program: `device` (the daemon, `publish-runner run`),
`operator` (the commands that talk to a server), `server` (the reference server) and
`embedded` (the server `run` starts in-process when it is given no `--server-url`), plus
the `definitions` root. Each section is a frozen pydantic model; a running program never
sees its settings change.

Precedence, lowest first: defaults < config file < environment < flags.

- File: YAML, one mapping per section (`device:`, `operator:`, `server:`, `embedded:`;
  `runner:` is still read as the old name of `device:`), `definitions:` at the top.
- Environment: `PUBLISH_RUNNER_<SECTION>__<FIELD>` (dict fields take one more
  `__<KEY>`). The old names stay accepted, below the new ones: `PUBLISH_RUNNER_<FIELD>` for
  the device and the operator, `PUBLISH_RUNNER_SERVER_<FIELD>` for the server.
- Durations: every duration field ends in `_s` and holds seconds; it accepts a number or a
  string such as "500ms", "30s", "5m", "1h". The server's old names without `_s`
  (`claim_timeout`, …) are accepted everywhere and still readable as attributes.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import platformdirs
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from common.errors import ConfigError

__all__ = [
    "ENV_PREFIX",
    "Account",
    "Config",
    "DeviceSettings",
    "EmbeddedSettings",
    "OperatorSettings",
    "Seconds",
    "Section",
    "ServerSettings",
    "config_file",
    "data_dir",
    "load_config",
    "load_section",
    "parse_duration",
    "read_file",
]

ENV_PREFIX = "PUBLISH_RUNNER_"
S = TypeVar("S", bound="Section")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> Any:
    """Seconds from a number or "500ms" / "30s" / "5m" / "1h"; anything else is left to
    pydantic's float check (so None stays None where a field allows it)."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"{value!r} is not a duration (e.g. 30, '30s', '5m', '1h')")
        return float(match.group(1)) * _UNIT[match.group(2)]
    return value


Seconds = Annotated[float, BeforeValidator(parse_duration)]


def data_dir() -> Path:
    """The user's data directory for publish-runner (profiles, database, proofs)."""
    override = os.environ.get(ENV_PREFIX + "HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir("publish-runner"))


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """`PUBLISH_RUNNER_CONFIG`, else the user's `config.yaml` (which need not exist)."""
    override = (os.environ if environ is None else environ).get(ENV_PREFIX + "CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("publish-runner")) / "config.yaml"


def read_file(path: Path | None) -> dict[str, Any]:
    """The whole config file as a mapping ({} when there is none); errors name file:line."""
    if path is None or not path.exists():
        return {}
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return doc


def _file_section(doc: Mapping[str, Any], path: Path | None, names: tuple[str, ...]) -> Any:
    for name in names:
        if name in doc:
            section = doc[name] or {}
            if not isinstance(section, dict):
                raise ConfigError(f"{path}: section '{name}' must be a mapping")
            return section
    return {}


def _env_values(names: list[str], environ: Mapping[str, str], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        key = prefix + name.upper()
        if key in environ:
            out[name] = environ[key]
        nested = {k[len(key) + 2:].lower(): v for k, v in environ.items()
                  if k.startswith(key + "__")}
        if nested:
            out.setdefault(name, {})
            if isinstance(out[name], dict):
                out[name].update(nested)
    return out


class Section(BaseModel):
    """A program's settings: frozen, unknown keys refused, old field names accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    SECTION: ClassVar[str] = ""
    FILE_NAMES: ClassVar[tuple[str, ...]] = ()  # older section names in the file
    OLD_ENV_PREFIXES: ClassVar[tuple[str, ...]] = ()
    OLD_NAMES: ClassVar[dict[str, str]] = {}  # old field name → field

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.OLD_NAMES:
            data = dict(data)
            for old, new in cls.OLD_NAMES.items():
                if old in data:
                    value = data.pop(old)
                    data.setdefault(new, value)
        return data

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> Self:
        """As pydantic's, and an update may use an old field name."""
        if update:
            update = {type(self).OLD_NAMES.get(k, k): v for k, v in update.items()}
        return super().model_copy(update=update, deep=deep)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> dict[str, Any]:
        """Old names first, so the new `PUBLISH_RUNNER_<SECTION>__<FIELD>` wins."""
        names = list(cls.model_fields)
        out: dict[str, Any] = {}
        for prefix in cls.OLD_ENV_PREFIXES:
            found = _env_values([*names, *cls.OLD_NAMES], environ, prefix)
            out.update({cls.OLD_NAMES.get(k, k): v for k, v in found.items()})
        out.update(_env_values(names, environ, f"{ENV_PREFIX}{cls.SECTION.upper()}__"))
        return out


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


def _pairs(value: str | list[str] | tuple[str, ...]) -> dict[str, str]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    out = {}
    for part in parts:
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r} must look like key=value")
        out[key.strip()] = val.strip()
    return out


class DeviceSettings(Section):
    """Everything `publish-runner run` can be told; see docs/daemon.md."""

    SECTION: ClassVar[str] = "device"
    FILE_NAMES: ClassVar[tuple[str, ...]] = ("runner",)
    OLD_ENV_PREFIXES: ClassVar[tuple[str, ...]] = (ENV_PREFIX,)

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
    min_gap_s: Seconds = Field(default=60.0, ge=0, description="between posts on one account")
    human: bool | None = Field(default=None, description="none: the playbook decides")
    base_urls: dict[str, str] = Field(default_factory=dict, description="platform → URL")
    locale: str = "auto"
    claim_wait_s: Seconds = Field(default=25.0, ge=0, le=30)
    heartbeat_s: Seconds | None = Field(default=None, description="none: the server's")
    keepalive_s: Seconds = Field(default=20.0, gt=0,
                                 description="progress signal while a step runs long")
    home: Path = Field(default_factory=data_dir)
    notify: bool = True
    db: str | None = Field(default=None, description="embedded server database")
    outbox_retention_s: Seconds = Field(default=7 * 86400.0, gt=0,
                                        description="delivered outbox items kept this long")
    definitions_pin: bool = Field(
        default=False, description="run jobs with the local definitions root, never the "
        "server's versions (an explicit --definitions root pins too)")
    canary_every: dict[str, Seconds] = Field(
        default_factory=dict, description="account (platform/name) → seconds between its "
        "scheduled canaries; an account not named runs none (docs/canary.md)")
    canary_jitter_s: Seconds = Field(default=300.0, ge=0,
                                     description="a scheduled canary starts up to this late")
    canary_margin_s: Seconds = Field(default=600.0, ge=0,
                                     description="no canary this close before a due job")

    @model_validator(mode="before")
    @classmethod
    def _accounts(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            home = Path(data.get("home") or data_dir())
            data["accounts"] = parse_accounts(data.get("accounts"), home)
            for key in ("concurrency", "base_urls", "canary_every"):
                if isinstance(data.get(key), (str, list, tuple)):
                    data[key] = _pairs(data[key])
        return data

    @field_validator("canary_every")
    @classmethod
    def _canary_every(cls, value: dict[str, float]) -> dict[str, float]:
        for key, every in value.items():
            platform, slash, name = key.partition("/")
            if not slash or not platform or not name:
                raise ValueError(f"canary_every: {key!r} must name an account, e.g. x/main")
            if every <= 0:
                raise ValueError(f"canary_every: {key}: the interval must be above 0")
        return value

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


class OperatorSettings(Section):
    """Where the operator commands (`post`, `jobs`, …) find the server, and their token."""

    SECTION: ClassVar[str] = "operator"
    OLD_ENV_PREFIXES: ClassVar[tuple[str, ...]] = (ENV_PREFIX,)
    model_config = ConfigDict(frozen=True, extra="ignore")

    server_url: str = "http://127.0.0.1:8700"
    operator_token: str | None = None


class ServerSettings(Section):
    """The reference server's settings; every recovery threshold is here, so tests can play
    the failure playbook in seconds."""

    SECTION: ClassVar[str] = "server"
    OLD_ENV_PREFIXES: ClassVar[tuple[str, ...]] = (ENV_PREFIX + "SERVER_",)
    OLD_NAMES: ClassVar[dict[str, str]] = {
        "claim_timeout": "claim_timeout_s", "run_timeout": "run_timeout_s",
        "recovery_interval": "recovery_interval_s",
        "heartbeat_interval": "heartbeat_interval_s", "online_window": "online_window_s",
    }

    db: str | None = Field(None, description="SQLite path or sqlite:///path (default: data "
                           "dir), or a PostgreSQL URL postgresql://user@host/db (replicas)")
    host: str = "127.0.0.1"
    port: int = Field(8700, ge=0, le=65535)
    operator_token: str | None = None
    enroll_token: str | None = None
    claim_timeout_s: Seconds = Field(300.0, gt=0, description="how long a job may stay CLAIMED")
    run_timeout_s: Seconds = Field(600.0, gt=0, description="how long a RUNNING job may go silent")
    recovery_interval_s: Seconds = Field(120.0, gt=0, description="between recovery passes")
    max_attempts: int = Field(3, ge=1, le=100)
    data_dir: Path | None = None
    heartbeat_interval_s: Seconds = Field(30.0, gt=0)
    online_window_s: Seconds = Field(120.0, gt=0, description="seen this recently: ONLINE")
    max_asset_bytes: int = Field(20 * 1024 * 1024, gt=0)
    claim_ack_timeout_s: Seconds = Field(
        30.0, gt=0, description="a claim not started this long goes back to QUEUED, no "
        "attempt counted (its reply never reached a device)")
    retention_s: Seconds = Field(
        90 * 86400.0, gt=0, description="finished jobs, their runs, logs, proofs and "
        "snapshots kept this long; `publish-runner prune` removes older ones")

    def resolved_data_dir(self) -> Path:
        return self.data_dir if self.data_dir is not None else data_dir() / "server"

    # The old names, still read by callers written before the `_s` rule.
    @property
    def claim_timeout(self) -> float:
        return self.claim_timeout_s

    @property
    def run_timeout(self) -> float:
        return self.run_timeout_s

    @property
    def recovery_interval(self) -> float:
        return self.recovery_interval_s

    @property
    def heartbeat_interval(self) -> float:
        return self.heartbeat_interval_s

    @property
    def online_window(self) -> float:
        return self.online_window_s


class EmbeddedSettings(Section):
    """The server `run` starts in its own process when no `--server-url` is given. Unset
    fields fall back to the device section's `db` and `operator_token` (their old place)."""

    SECTION: ClassVar[str] = "embedded"

    db: str | None = Field(None, description="default: the data dir's server/ folder")
    host: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535, description="0: any free port")
    operator_token: str | None = None


class Config(BaseModel):
    """Every program's settings, read once from one file and one environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    definitions: Path | None = None
    device: DeviceSettings = Field(default_factory=DeviceSettings)
    operator: OperatorSettings = Field(default_factory=OperatorSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    embedded: EmbeddedSettings = Field(default_factory=EmbeddedSettings)


def _invalid(exc: ValidationError, section: str | None) -> ConfigError:
    lines = [f"{'.'.join(str(p) for p in (section, *err['loc']) if p) or '(settings)'}: "
             f"{err['msg']}" for err in exc.errors()]
    return ConfigError("invalid settings:\n  " + "\n  ".join(lines))


def load_section(model: type[S], *, file: Path | None = None,
                 flags: Mapping[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None,
                 doc: Mapping[str, Any] | None = None) -> S:
    """One section from defaults < file < environment < flags (a flag of None is unset)."""
    doc = read_file(file) if doc is None else doc
    merged: dict[str, Any] = dict(_file_section(doc, file, (model.SECTION, *model.FILE_NAMES)))
    merged = {model.OLD_NAMES.get(k, k): v for k, v in merged.items()}
    merged.update(model.from_env(os.environ if environ is None else environ))
    merged.update({model.OLD_NAMES.get(k, k): v for k, v in (flags or {}).items()
                   if v is not None})
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        raise _invalid(exc, model.SECTION) from exc


def load_config(*, file: Path | None = None,
                flags: Mapping[str, Mapping[str, Any]] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Every section at once; `flags` maps a section name to that section's flags."""
    environ = os.environ if environ is None else environ
    doc = read_file(file)
    flags = flags or {}
    sections: dict[str, Any] = {}
    for name, model in (("device", DeviceSettings), ("operator", OperatorSettings),
                        ("server", ServerSettings), ("embedded", EmbeddedSettings)):
        sections[name] = load_section(model, file=file, flags=flags.get(name), environ=environ,
                                      doc=doc)
    device, embedded = sections["device"], sections["embedded"]
    sections["embedded"] = embedded.model_copy(update={
        "db": embedded.db or device.db,
        "operator_token": embedded.operator_token or device.operator_token})
    definitions = doc.get("definitions")
    if definitions is not None and file is not None:
        definitions = (file.resolve().parent / Path(str(definitions)).expanduser())
    try:
        return Config(definitions=definitions, **sections)
    except ValidationError as exc:
        raise _invalid(exc, None) from exc
