"""The device's identity on a server, kept in a file only the user can read."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Identity:
    server_url: str
    device_id: str
    device_token: str


def load(path: Path, server_url: str) -> Identity | None:
    """The saved identity for this server, or None (another server's does not count)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = Identity(**data)
    except (OSError, ValueError, TypeError):
        return None
    return found if found.server_url == server_url else None


def save(path: Path, identity: Identity) -> None:
    """Written with 0600 from the start: the token must never be readable by others."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(identity), fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
