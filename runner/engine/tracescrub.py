"""Secrets out of a Playwright trace before it is kept (issue 12, defect 7).

A trace's network log (`*.network`, and request lines in `*.trace`) records every request's
cookies and headers: the platform's live session cookie, any authorization header. A trace
is kept for a failed run and uploaded to the server as a snapshot, so it is scrubbed where it
is written: cookie lists emptied, the values of `Cookie`, `Set-Cookie`, `Authorization` and
`Proxy-Authorization` headers replaced, and the file made owner-only. Network capture stays
(it is what makes a trace useful); only the secrets go.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

__all__ = ["REDACTED", "SECRET_HEADERS", "scrub_trace"]

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "cookies" and isinstance(item, list):
                out[key] = []
            elif (key == "value" and isinstance(value.get("name"), str)
                  and value["name"].lower() in SECRET_HEADERS):
                out[key] = REDACTED
            else:
                out[key] = _scrub(item)
        return out
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    return value


def _scrub_lines(data: bytes) -> bytes:
    lines = []
    for line in data.decode("utf-8", errors="surrogateescape").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            lines.append(line)  # not JSON: kept as it is
            continue
        lines.append(json.dumps(_scrub(record), ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape")


def scrub_trace(path: Path) -> None:
    """Rewrite the trace zip at `path` without cookies or authorization values, 0600."""
    fd, tmp = tempfile.mkstemp(prefix=".trace-", suffix=".zip", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as src, \
                zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename.endswith((".network", ".trace")):
                    data = _scrub_lines(data)
                dst.writestr(info.filename, data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
