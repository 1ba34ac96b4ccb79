"""Settings of the reference server: the `server` section of the one configuration model.

Precedence defaults < file (section `server`) < env < flags. Environment variables are
`PUBLISH_RUNNER_SERVER__<FIELD>`; the old `PUBLISH_RUNNER_SERVER_<FIELD>` still work. Every
duration ends in `_s` (the old names such as `claim_timeout` are accepted and readable).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from common.config import ServerSettings, load_section

__all__ = ["ENV_PREFIX", "SECTION", "ServerSettings", "load"]

ENV_PREFIX = "PUBLISH_RUNNER_SERVER_"
SECTION = "server"


def load(
    *,
    file: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServerSettings:
    """Merge the sources in their fixed precedence (see module docstring)."""
    return load_section(ServerSettings, file=file, flags=flags, environ=environ)
