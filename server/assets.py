"""Assets on disk by content hash: size limits, types checked by magic bytes, atomic writes.

A file is streamed to a temporary name while it is hashed and measured, then renamed to
`assets/<sha[:2]>/<sha>`; a refused or broken upload leaves nothing behind. The asset id is the
sha256, so uploading the same bytes twice is the same asset.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from contract import models as s
from server import errors

CHUNK = 64 * 1024  # bytes

_MAGIC: list[tuple[int, bytes, str]] = [
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (4, b"ftyp", "video/mp4"),
    (0, b"PK\x03\x04", "application/zip"),
]
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MEDIA_TYPES = IMAGE_TYPES | {"video/mp4"}
# Failure snapshots: the page's HTML and a Playwright trace (a zip).
SNAPSHOT_TYPES = frozenset({"text/html", "application/zip"})
_HTML_STARTS = (b"<!doctype", b"<!--", b"<html")


class Reader(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


def sniff(head: bytes) -> str | None:
    """The content type the first bytes prove, whatever the client claimed."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_HTML_STARTS):
        return "text/html"
    return None


class AssetFiles:
    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def path(self, asset_id: str) -> Path:
        if len(asset_id) != 64 or any(c not in "0123456789abcdef" for c in asset_id):
            raise errors.NotFound(f"no asset {asset_id}")
        return self.root / asset_id[:2] / asset_id

    async def save(
        self, upload: Reader, *, allowed: frozenset[str], expected_sha256: str | None = None
    ) -> s.Asset:
        """Stream, check and store; 413 past the limit, 415 for an unknown type, 422 when
        the bytes do not match `expected_sha256`."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := await upload.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise errors.TooLarge(f"file is larger than {self.max_bytes} bytes")
                    if len(head) < 16:
                        head += chunk[: 16 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            kind = sniff(head)
            if size == 0:
                raise errors.Invalid("file: empty upload")
            if kind is None or kind not in allowed:
                raise errors.UnsupportedMedia(
                    f"file: not an accepted type ({', '.join(sorted(allowed))})"
                )
            sha = digest.hexdigest()
            if expected_sha256 is not None and expected_sha256.lower() != sha:
                raise errors.Invalid(f"sha256: the file's sha256 is {sha}, not {expected_sha256}")
            final = self.path(sha)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
            return s.Asset(asset_id=sha, content_type=kind, size=size, sha256=sha)
        finally:
            tmp.unlink(missing_ok=True)
