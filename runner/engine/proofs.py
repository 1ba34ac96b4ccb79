"""Proof screenshots: legible at 1280×800, small enough to upload from a slow link.

Playwright gives a PNG; Pillow re-encodes it (WebP by default, or an optimised palette PNG)
aiming at 200 KB or less. Encoding runs off the event loop: it is CPU work.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from pathlib import Path

from PIL import Image

from runner.engine.result import Proof

TARGET_BYTES = 200_000
# libwebp effort 0-6: 2 encodes a 1280×800 UI screenshot ~5× faster than 4 for ~3 % more
# bytes (bench/proofs.py measures it).
WEBP_METHOD = 2
FORMATS = {"webp": "image/webp", "png": "image/png"}


def encode(png: bytes, fmt: str = "webp", quality: int = 80) -> tuple[bytes, int, int]:
    """Re-encode a PNG screenshot; returns (bytes, width, height)."""
    with Image.open(io.BytesIO(png)) as img:
        rgb = img.convert("RGB")
    width, height = rgb.size
    out = io.BytesIO()
    if fmt == "webp":
        q = quality
        while True:
            out = io.BytesIO()
            rgb.save(out, "WEBP", quality=q, method=WEBP_METHOD)
            if out.tell() <= TARGET_BYTES or q <= 40:
                break
            q -= 15
    elif fmt == "png":
        rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(
            out, "PNG", optimize=True
        )
    else:
        raise ValueError(f"unknown proof format {fmt!r} (webp or png)")
    return out.getvalue(), width, height


def write(kind: str, png: bytes, folder: Path, fmt: str = "webp") -> Proof:
    """`fmt` "raw" keeps Playwright's PNG as it is: for replay, whose proofs nobody keeps."""
    if fmt == "raw":
        data, (width, height), ext = png, _png_size(png), "png"
    else:
        (data, width, height), ext = encode(png, fmt), fmt
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.{ext}"
    path.write_bytes(data)
    return Proof(
        kind=kind,
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        width=width,
        height=height,
        content_type=FORMATS[ext],
    )


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR), without decoding the image."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


async def write_async(kind: str, png: bytes, folder: Path, fmt: str = "webp") -> Proof:
    return await asyncio.to_thread(write, kind, png, folder, fmt)
