"""A definitions set as one archive: packed by the pushing client, unpacked by the server
that checks it and by the device that runs it.

The archive is a gzip-compressed tar of exactly the files `common.definitions_set` says make
the set (nothing else is packed, and an archive holding anything else is refused), so the
hash computed on the unpacked folder is the hash the pusher computed on its own folder.
Packing is deterministic (sorted names, no owners, no times), so one set gives one archive.

Unpacking trusts nothing in the archive. It is read as a stream through a counter of the
decompressed bytes, so a small archive that inflates to gigabytes (a "zip bomb") stops at
`Limits.unpacked` bytes, not when the disk is full. Each member must be a regular file (no
links, devices, sparse files or folders) with a relative POSIX name without `..`, absolute
parts or backslashes; past `Limits.files` members, `Limits.file` bytes for one file or a
name given twice (also differing only in case) it is refused. Files are written owner-only.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from common.definitions_set import hash_root, iter_files
from common.errors import PublishRunnerError
from contract import models as s

__all__ = ["BadArchive", "Limits", "pack", "unpack", "unpack_set"]

_MAX_PARTS = 16
_MAX_PART = 255


class BadArchive(PublishRunnerError, ValueError):
    """An archive that is not a definitions set we may unpack (the message says why)."""


@dataclass(frozen=True)
class Limits:
    archive: int = s.MAX_DEFINITIONS_ARCHIVE
    unpacked: int = s.MAX_DEFINITIONS_UNPACKED
    files: int = s.MAX_DEFINITIONS_FILES
    file: int = s.MAX_DEFINITIONS_FILE


def pack(root: Path, limits: Limits = Limits()) -> bytes:
    """The set under `root` as tar.gz bytes; BadArchive when it breaks a limit."""
    files = list(iter_files(root))
    if len(files) > limits.files:
        raise BadArchive(f"{root}: {len(files)} files, more than {limits.files}")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in files:
            data = path.read_bytes()
            if len(data) > limits.file:
                raise BadArchive(f"{name}: {len(data)} bytes, more than {limits.file}")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    out = buf.getvalue()
    if len(out) > limits.archive:
        raise BadArchive(f"{root}: the archive is {len(out)} bytes, more than {limits.archive}")
    return out


class _Counted(io.RawIOBase):
    """The decompressed stream, refusing to give more than `limit` bytes."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.inner.read(len(buffer))
        self.seen += len(data)
        if self.seen > self.limit:
            raise BadArchive(f"the archive inflates past {self.limit} bytes")
        buffer[: len(data)] = data
        return len(data)


def _safe_name(name: str) -> str:
    if not name or "\\" in name or "\0" in name or name.startswith("/"):
        raise BadArchive(f"member {name!r}: not a relative POSIX path")
    parts = PurePosixPath(name).parts
    if any(p in ("..", ".", "") for p in name.split("/")) or len(parts) > _MAX_PARTS:
        raise BadArchive(f"member {name!r}: `.`, `..`, empty or too many path parts")
    if any(len(p) > _MAX_PART for p in parts):
        raise BadArchive(f"member {name!r}: a path part longer than {_MAX_PART}")
    return "/".join(parts)


def _folders(dest: Path, folder: Path) -> None:
    """Create `folder` and the folders between `dest` and it, each owner-only."""
    current = dest
    for part in folder.relative_to(dest).parts:
        current = current / part
        if not current.is_dir():
            current.mkdir(mode=0o700)
            current.chmod(0o700)


def unpack(data: bytes, dest: Path, limits: Limits = Limits()) -> list[str]:
    """Write the archive's files under `dest` (created, must not exist) and return their
    names; BadArchive for anything the module docstring refuses. `dest` may be left
    half-written on a refusal: unpack into a temporary folder and rename it on success."""
    if len(data) > limits.archive:
        raise BadArchive(f"the archive is {len(data)} bytes, more than {limits.archive}")
    dest.mkdir(mode=0o700, parents=False)
    dest.chmod(0o700)
    names: list[str] = []
    folded: set[str] = set()
    total = 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz, \
                io.BufferedReader(_Counted(gz, limits.unpacked + 1024 * 1024)) as counted, \
                tarfile.open(fileobj=counted, mode="r|") as tar:
            for member in tar:
                name = _safe_name(member.name)
                if not member.isfile() or member.issparse():
                    raise BadArchive(f"member {name}: not a regular file")
                if len(names) >= limits.files:
                    raise BadArchive(f"more than {limits.files} files")
                if member.size > limits.file:
                    raise BadArchive(f"member {name}: {member.size} bytes, more than "
                                     f"{limits.file}")
                total += member.size
                if total > limits.unpacked:
                    raise BadArchive(f"the files add up to more than {limits.unpacked} bytes")
                if name.casefold() in folded:
                    raise BadArchive(f"member {name}: given twice")
                folded.add(name.casefold())
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    raise BadArchive(f"member {name}: no data")
                target = dest.joinpath(*name.split("/"))
                _folders(dest, target.parent)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(source.read(member.size))
                names.append(name)
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BadArchive(f"not a readable tar.gz archive: {exc}") from exc
    return names


def unpack_set(data: bytes, dest: Path, limits: Limits = Limits()) -> str:
    """`unpack`, then check the archive held the set and nothing else (a file the set rule
    leaves out, such as a build script, is refused rather than silently dropped); returns
    the set's hash."""
    names = sorted(unpack(data, dest, limits))
    kept = [name for name, _ in iter_files(dest)]
    if names != kept:
        extra = sorted(set(names) - set(kept))
        raise BadArchive("the archive holds files that are not part of a definitions set "
                         f"(only playbooks/, selectors/ and fixtures/, no Python): "
                         f"{', '.join(extra[:10])}")
    if not any(name.startswith("playbooks/") for name in names):
        raise BadArchive("the archive holds no playbooks/")
    return hash_root(dest)
