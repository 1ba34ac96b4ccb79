"""Tokens: the operator and enrollment tokens, per-device tokens stored only as hashes.

Tokens not configured are generated on first start and kept in `tokens.json` under the data
dir with owner-only permissions, so a restart keeps them and they are printed only once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

TOKENS_FILE = "tokens.json"


@dataclass(frozen=True)
class Tokens:
    operator: str
    enroll: str
    generated: list[str] = field(default_factory=list)  # names of tokens made just now


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Device tokens are long random strings, so one SHA-256 is enough (no password KDF)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def ensure_tokens(data_dir: Path, *, operator: str | None, enroll: str | None) -> Tokens:
    """Given tokens win; missing ones come from the tokens file or are generated and saved."""
    path = data_dir / TOKENS_FILE
    saved: dict[str, str] = {}
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
    generated = []
    values = {"operator": operator, "enroll": enroll}
    for name, value in values.items():
        if value is None:
            if name not in saved:
                saved[name] = new_token()
                generated.append(name)
            values[name] = saved[name]
    if generated:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(saved, out)
        os.chmod(path, 0o600)
    return Tokens(operator=str(values["operator"]), enroll=str(values["enroll"]),
                  generated=generated)


def saved_operator_token(data_dir: Path) -> str | None:
    """The operator token a local server saved, for the operator CLI on the same machine."""
    path = data_dir / TOKENS_FILE
    if not path.exists():
        return None
    value = json.loads(path.read_text(encoding="utf-8")).get("operator")
    return str(value) if value else None
