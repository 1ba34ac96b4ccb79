"""Settings with one explicit precedence: defaults < file < environment < flags.

Each component declares a frozen pydantic model of its settings; `load` merges the sources
in that order and validates once, so a running daemon or server never sees them change.
Environment variables are `PUBLISH_RUNNER_<FIELD>` (nested fields joined with `__`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
import yaml
from pydantic import BaseModel, ValidationError

from common.errors import ConfigError

ENV_PREFIX = "PUBLISH_RUNNER_"
M = TypeVar("M", bound=BaseModel)


def data_dir() -> Path:
    """The user's data directory for publish-runner (profiles, database, proofs)."""
    override = os.environ.get(ENV_PREFIX + "HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir("publish-runner"))


def default_config_file() -> Path:
    override = os.environ.get(ENV_PREFIX + "CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("publish-runner")) / "config.yaml"


def _from_file(path: Path | None, section: str | None) -> dict[str, Any]:
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
    if section is not None:
        doc = doc.get(section) or {}
        if not isinstance(doc, dict):
            raise ConfigError(f"{path}: section '{section}' must be a mapping")
    return doc


def _from_env(model: type[BaseModel], environ: Mapping[str, str], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in model.model_fields:
        key = prefix + name.upper()
        if key in environ:
            out[name] = environ[key]
        nested = {
            k[len(key) + 2 :].lower(): v for k, v in environ.items() if k.startswith(key + "__")
        }
        if nested:
            out.setdefault(name, {})
            if isinstance(out[name], dict):
                out[name].update(nested)
    return out


def load(
    model: type[M],
    *,
    file: Path | None = None,
    section: str | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    env_prefix: str = ENV_PREFIX,
) -> M:
    """Merge defaults < file < environment < flags (flags that are None count as unset)."""
    merged: dict[str, Any] = {}
    merged.update(_from_file(file, section))
    merged.update(_from_env(model, os.environ if environ is None else environ, env_prefix))
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(str(p) for p in err['loc']) or '(settings)'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from exc
