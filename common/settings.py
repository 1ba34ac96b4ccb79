"""Settings loading, as the callers written before `common.config` use it.

`common.config` holds the one configuration model (a section per program); this module
keeps the older entry points: `load(Model, file=…, section=…, flags=…, environ=…)` for
any section model, `data_dir()` and `default_config_file()`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from common.config import (
    ENV_PREFIX,
    Section,
    _env_values,
    _file_section,
    data_dir,
    load_section,
    read_file,
)
from common.config import config_file as default_config_file
from common.errors import ConfigError

__all__ = ["ENV_PREFIX", "data_dir", "default_config_file", "load"]

M = TypeVar("M", bound=BaseModel)


def load(
    model: type[M],
    *,
    file: Path | None = None,
    section: str | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    env_prefix: str = ENV_PREFIX,
) -> M:
    """Merge defaults < file < environment < flags (flags that are None count as unset).
    A section model of `common.config` is loaded by its own rules (its section name, old
    names and environment aliases); any other model by `section` and `env_prefix`."""
    if issubclass(model, Section):
        loaded: Any = load_section(model, file=file, flags=flags, environ=environ)
        return loaded  # type: ignore[no-any-return]
    import os

    doc = read_file(file)
    merged: dict[str, Any] = dict(_file_section(doc, file, (section,)) if section else doc)
    merged.update(_env_values(list(model.model_fields), os.environ if environ is None
                              else environ, env_prefix))
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in err['loc']) or '(settings)'}: {err['msg']}"
                 for err in exc.errors()]
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from exc
