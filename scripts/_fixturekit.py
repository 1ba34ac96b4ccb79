"""What the fixture generators share."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def tiny_png(path: Path, rgb: tuple[int, int, int]) -> None:
    """A 2×2 opaque PNG of one colour: the image the scenarios upload (bytes stay stable)."""
    raw = b"".join(b"\x00" + bytes(rgb * 2) for _ in range(2))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
