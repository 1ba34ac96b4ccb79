"""Packing a definitions set and unpacking one we do not trust."""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
from pathlib import Path

import pytest

from common.definitions_bundle import BadArchive, Limits, pack, unpack, unpack_set
from common.definitions_set import hash_root


def _set(root: Path) -> Path:
    (root / "playbooks").mkdir(parents=True)
    (root / "selectors").mkdir()
    (root / "fixtures" / "x").mkdir(parents=True)
    (root / "playbooks" / "x.yaml").write_text("platform: x\n")
    (root / "selectors" / "x.yaml").write_text("platform: x\nselectors: {}\n")
    (root / "fixtures" / "x" / "compose.html").write_text("<p>مرحبا</p>")
    (root / "fixtures" / "x" / "build.py").write_text("print('not shipped')")
    return root


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_pack_then_unpack_gives_the_same_hash_and_owner_only_files(tmp_path: Path) -> None:
    root = _set(tmp_path / "src")
    archive = pack(root)
    assert pack(root) == archive  # deterministic: one set, one archive
    dest = tmp_path / "out"
    assert unpack_set(archive, dest) == hash_root(root)
    assert not (dest / "fixtures" / "x" / "build.py").exists()
    page = dest / "fixtures" / "x" / "compose.html"
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    assert stat.S_IMODE((dest / "fixtures").stat().st_mode) == 0o700


@pytest.mark.parametrize("name", ["/etc/passwd", "../evil.yaml", "playbooks/../../evil",
                                  "playbooks\\x.yaml", "playbooks//x.yaml", "./playbooks/x"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(BadArchive, match="member"):
        unpack(_tar([_file(name)]), tmp_path / "out")
    assert not (tmp_path / "evil.yaml").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE,
                                  tarfile.FIFOTYPE])
def test_links_folders_and_devices_are_refused(tmp_path: Path, kind: bytes) -> None:
    info = tarfile.TarInfo("playbooks/x.yaml")
    info.type = kind
    info.linkname = "/etc/passwd"
    with pytest.raises(BadArchive, match="not a regular file"):
        unpack(_tar([info_and_none(info)]), tmp_path / "out")


def info_and_none(info: tarfile.TarInfo) -> tuple[tarfile.TarInfo, None]:
    return info, None


def test_counts_and_sizes_are_bounded(tmp_path: Path) -> None:
    small = Limits(files=2, file=10, unpacked=15)
    many = _tar([_file(f"playbooks/{i}.yaml") for i in range(3)])
    with pytest.raises(BadArchive, match="more than 2 files"):
        unpack(many, tmp_path / "a", small)
    with pytest.raises(BadArchive, match="more than 10"):
        unpack(_tar([_file("playbooks/x.yaml", b"y" * 11)]), tmp_path / "b", small)
    with pytest.raises(BadArchive, match="add up to more than 15"):
        unpack(_tar([_file("playbooks/a.yaml", b"y" * 9), _file("playbooks/b.yaml", b"y" * 9)]),
               tmp_path / "c", small)
    with pytest.raises(BadArchive, match="more than 5"):
        unpack(b"z" * 6, tmp_path / "d", Limits(archive=5))


def test_a_bomb_stops_at_the_inflate_limit(tmp_path: Path) -> None:
    limits = Limits(unpacked=1024 * 1024, file=100 * 1024 * 1024)
    # A member whose header claims more than the files may add up to: refused unread.
    big = _tar([_file("fixtures/x/big.html", b"a" * (8 * 1024 * 1024))])
    assert len(big) < 100_000
    with pytest.raises(BadArchive, match="add up to"):
        unpack(big, tmp_path / "a", limits)
    # Tiny files whose headers inflate the stream (1 kB each for 1 byte of content): the
    # counter of decompressed bytes stops it, whatever the members claim.
    headers = _tar([_file(f"fixtures/x/{i}.html") for i in range(3000)])
    with pytest.raises(BadArchive, match="inflates past"):
        unpack(headers, tmp_path / "b", limits)


def test_names_given_twice_even_in_another_case_are_refused(tmp_path: Path) -> None:
    twice = _tar([_file("playbooks/x.yaml"), _file("playbooks/X.yaml")])
    with pytest.raises(BadArchive, match="given twice"):
        unpack(twice, tmp_path / "out")


def test_files_outside_the_set_and_garbage_are_refused(tmp_path: Path) -> None:
    extra = _tar([_file("playbooks/x.yaml"), _file("fixtures/x/build.py")])
    with pytest.raises(BadArchive, match=r"not part of a definitions set.*build\.py"):
        unpack_set(extra, tmp_path / "a")
    with pytest.raises(BadArchive, match="no playbooks"):
        unpack_set(_tar([_file("selectors/x.yaml")]), tmp_path / "b")
    with pytest.raises(BadArchive, match="readable"):
        unpack(b"not an archive at all", tmp_path / "c")
