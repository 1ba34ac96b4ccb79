"""The canary results' spool: each result is on disk before it is sent, until acknowledged.

A lost server or a crash must lose no result and no proof, canaries' included. So a canary's
result (its request JSON and copies of its proof screenshots) is written here first, as one
entry folder that appears whole (written under a temporary name, then renamed), and only
then sent. The entry is deleted once the server acknowledged it (2xx; the server is
idempotent by the result's `id`, so a result sent twice after a crash is recorded once).
Leftovers are sent again, oldest first, when the daemon restarts and whenever the canary
task wakes while the server answers, with a growing pause while it does not (never a busy
loop). A result the server refuses for good (a 4xx about the result itself: 400, 409, 413,
415, 422) is moved to `dead/` with the reason, like the outbox's dead items, and the next
one is sent: one bad entry never blocks the rest.

Why not the outbox (a new item kind)? The outbox is a run's journal: every item is keyed by
job, run and lease, delivered strictly in order with the jobs' results, and never dropped.
A canary result has no job, run nor lease (the columns would hold made-up values), must
never wait behind a job's results (nor hold them up), and, unlike a job's result, may be
dropped once newer ones say the same: only the latest health matters, so a server away for
weeks must not fill the disk. That bound (`keep` entries per account, the oldest dropped with
a warning) has no place in the outbox's never-drop design, so the spool is its own small
store: plain files, one folder per entry, owner-only (0700 folders, 0600 files, as the
outbox's), since proofs show the account.

Layout under `folder`: `<platform>__<account>/<stamp>-<id>/` (`entry.json`, `proof-N-<kind>`),
`dead/<stamp>-<id>/` (the same plus `reason.txt`), `tmp-*` (an entry being written; one
left by a crash is removed when the spool is opened).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic

from common.errors import ServerRejected, ServerUnavailable
from contract import models as s

if TYPE_CHECKING:
    from runner.client import ServerClient

__all__ = ["CanarySpool", "DeadEntry"]

log = logging.getLogger(__name__)

ENTRY = "entry.json"
REASON = "reason.txt"
DEAD = "dead"
# Refusals about the device or the server (an unknown token, another device's path, an
# older server without the endpoint), not the result: kept, and tried again later.
NOT_THE_RESULT = frozenset({401, 403, 404})
FIRST_PAUSE = 5.0  # seconds after the first failed delivery; doubled up to MAX_PAUSE
MAX_PAUSE = 300.0


@dataclass(frozen=True)
class DeadEntry:
    """A result set aside for good, kept for the record with the reason."""

    name: str
    account: str
    reason: str


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", text)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(path, 0o600)


class CanarySpool:
    """The folder, and the delivery that empties it."""

    def __init__(self, folder: Path, *, keep: int = 50, keep_dead: int = 50,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = folder
        self.keep = keep
        self.keep_dead = keep_dead
        self._clock = clock
        self._last_stamp = 0
        self._stamping = threading.Lock()  # `put` runs in a worker thread
        self._pause = FIRST_PAUSE
        self._retry_at = 0.0  # monotonic: the next delivery may start then (0: now)
        self._sending = asyncio.Lock()  # one delivery at a time: each entry is sent once
        _private_dir(folder)
        for left in folder.glob("tmp-*"):  # an entry a crash left half written
            log.warning("canary spool: removing a half-written entry %s", left.name)
            shutil.rmtree(left, ignore_errors=True)

    # ---- writing -------------------------------------------------------------------------

    def put(self, req: s.CanaryResultRequest,
            proofs: Sequence[tuple[s.ProofKind, Path]] = ()) -> Path:
        """Write one result and copies of its proof files; returns the entry's folder. A
        proof file that cannot be read is left out (logged): the result still goes."""
        account = f"{req.platform}/{req.account}"
        with self._stamping:  # names sort in the order the results were written
            stamp = self._last_stamp = max(time.time_ns(), self._last_stamp + 1)
        name = f"{stamp:020d}-{req.id}"
        tmp = self.folder / f"tmp-{name}"
        _private_dir(tmp)
        names = []
        for n, (kind, source) in enumerate(proofs):
            file = f"proof-{n}-{kind.value}"
            try:
                _private_write(tmp / file, source.read_bytes())
            except OSError as exc:
                log.warning("canary spool: proof %s of %s not kept: %s", source, req.id, exc)
                continue
            names.append({"kind": kind.value, "file": file})
        entry = {"account": account, "proofs": names,
                 "request": req.model_dump(mode="json", by_alias=True)}
        _private_write(tmp / ENTRY, json.dumps(entry, ensure_ascii=False).encode())
        home = self.folder / _slug(req.platform + "__" + req.account)
        _private_dir(home)
        target = home / name
        os.replace(tmp, target)  # the entry appears whole, or not at all
        self._bound(home, self.keep, f"pending results of {account}")
        return target

    def _bound(self, home: Path, keep: int, what: str) -> None:
        entries = sorted(p for p in home.iterdir() if p.is_dir())
        for old in entries[:max(0, len(entries) - keep)]:
            log.warning("canary spool: more than %d %s, the oldest dropped: %s", keep, what,
                        old.name)
            shutil.rmtree(old, ignore_errors=True)

    # ---- reading -------------------------------------------------------------------------

    def pending(self) -> list[Path]:
        """The entries waiting for the server, oldest first, all accounts together."""
        entries = [e for home in self.folder.iterdir()
                   if home.is_dir() and home.name != DEAD and not home.name.startswith("tmp-")
                   for e in home.iterdir() if e.is_dir()]
        return sorted(entries, key=lambda e: e.name)

    def dead(self) -> list[DeadEntry]:
        """What was set aside for good, oldest first."""
        home = self.folder / DEAD
        if not home.is_dir():
            return []
        out = []
        for entry in sorted(p for p in home.iterdir() if p.is_dir()):
            try:
                account = str(json.loads((entry / ENTRY).read_text()).get("account", "?"))
            except (OSError, ValueError, AttributeError):
                account = "?"
            try:
                reason = (entry / REASON).read_text()
            except OSError:
                reason = ""
            out.append(DeadEntry(entry.name, account, reason))
        return out

    def retry_in(self) -> float | None:
        """Seconds until a delivery may be tried (0: now); None when nothing waits."""
        if not self.pending():
            return None
        return max(0.0, self._retry_at - self._clock())

    # ---- sending -------------------------------------------------------------------------

    async def deliver(self, client: ServerClient, device_id: str, *,
                      force: bool = False) -> int:
        """Send the waiting entries in order; how many the server took. Stops at the first
        one it cannot take now (unreachable, 5xx: the rest waits, and the next try is put
        off, doubling up to `MAX_PAUSE`); a refused one is set aside and the next is sent.
        Does nothing while put off, unless `force` (a new result: one try is worth it)."""
        async with self._sending:
            if not force and self._clock() < self._retry_at:
                return 0
            return await self._deliver(client, device_id)

    async def _deliver(self, client: ServerClient, device_id: str) -> int:
        taken = 0
        for entry in self.pending():
            if not (entry / ENTRY).exists():  # a removal the daemon's end interrupted
                shutil.rmtree(entry, ignore_errors=True)
                continue
            try:
                req, proofs = self._read(entry)
            except (OSError, ValueError, KeyError, TypeError, pydantic.ValidationError) as exc:
                self._set_aside(entry, f"unreadable: {type(exc).__name__}: {exc}")
                continue
            try:
                reply = await client.report_canary(device_id, req, proofs)
            except ServerRejected as exc:
                if exc.status in NOT_THE_RESULT:
                    self._put_off(f"{exc}")
                    return taken
                self._set_aside(entry, str(exc))
                continue
            except ServerUnavailable as exc:
                self._put_off(str(exc))
                return taken
            _forget(entry)
            taken += 1
            log.info("canary result %s reported%s", req.id,
                     " (already recorded)" if reply.duplicate else "")
        self._pause, self._retry_at = FIRST_PAUSE, 0.0
        return taken

    def _read(self, entry: Path) -> tuple[s.CanaryResultRequest,
                                          list[tuple[s.ProofKind, bytes]]]:
        raw = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
        req = s.CanaryResultRequest.model_validate(raw["request"])
        proofs = [(s.ProofKind(p["kind"]), (entry / str(p["file"])).read_bytes())
                  for p in raw["proofs"]]
        return req, proofs

    def _put_off(self, why: str) -> None:
        pause = random.uniform(self._pause / 2, self._pause)
        self._retry_at = self._clock() + pause
        self._pause = min(self._pause * 2, MAX_PAUSE)
        log.warning("canary results kept (%d waiting), trying again in %.0fs: %s",
                    len(self.pending()), pause, why)

    def _set_aside(self, entry: Path, reason: str) -> None:
        """Never deliverable: kept in `dead/` for the record, bounded like the rest."""
        log.warning("canary result %s set aside for good: %s", entry.name, reason)
        home = self.folder / DEAD
        _private_dir(home)
        try:
            _private_write(entry / REASON, reason[:2_000].encode())
            os.replace(entry, home / entry.name)
        except OSError as exc:
            log.error("canary spool: cannot set %s aside (%s), removed", entry.name, exc)
            shutil.rmtree(entry, ignore_errors=True)
        self._bound(home, self.keep_dead, "set-aside canary results")


def _forget(entry: Path) -> None:
    """Acknowledged: the entry file first, so a removal cut short leaves nothing to resend."""
    (entry / ENTRY).unlink(missing_ok=True)
    shutil.rmtree(entry, ignore_errors=True)
