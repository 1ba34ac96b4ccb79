"""A durable local outbox: results are written to disk before they are sent.

Step events, proofs and completions go into a SQLite file first and a sender delivers them
in order whenever the server answers, also after the daemon restarts. So a lost server or a
killed daemon loses no result and no proof. The same file journals publish intents: a run
that wrote an intent and never completed may have published, and must be verified before
anything else happens to its job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import ServerRejected, ServerUnavailable
from contract import models as s

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    lease_token TEXT NOT NULL,
    kind TEXT NOT NULL,                 -- event | proof | snapshot | complete
    payload TEXT NOT NULL,
    file TEXT,
    state TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS items_pending ON items(state, id);
CREATE TABLE IF NOT EXISTS proof_assets (
    run_id TEXT NOT NULL, kind TEXT NOT NULL, asset_id TEXT NOT NULL,
    PRIMARY KEY (run_id, kind)
);
CREATE TABLE IF NOT EXISTS sequences (run_id TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
    job_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    lease_token TEXT NOT NULL,
    platform TEXT NOT NULL,
    account TEXT NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL,                -- publishing | done
    at REAL NOT NULL
);
"""

EVENT_BATCH = 100


@dataclass(frozen=True)
class Intent:
    job_id: str
    run_id: str
    lease_token: str
    platform: str
    account: str
    text: str


class Outbox:
    """The file, and the sender that empties it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = path.parent / "outbox-files"
        self.files.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process
        self.db.executescript(SCHEMA)
        self._changed = asyncio.Event()
        self._delivered = asyncio.Condition()
        self.on_events_reply: Callable[[str, s.EventsResponse], Awaitable[None]] | None = None

    def close(self) -> None:
        self.db.close()

    # ---- writing -----------------------------------------------------------------------

    def _add(self, job_id: str, run_id: str, lease: str, kind: str, payload: dict[str, Any],
             file: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO items (job_id, run_id, lease_token, kind, payload, file, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (job_id, run_id, lease, kind, json.dumps(payload, ensure_ascii=False), file,
             time.time()),
        )
        self._changed.set()

    def next_seq(self, run_id: str) -> int:
        row = self.db.execute(
            "INSERT INTO sequences (run_id, next_seq) VALUES (?, 2) ON CONFLICT(run_id) "
            "DO UPDATE SET next_seq = next_seq + 1 RETURNING next_seq - 1", (run_id,),
        ).fetchone()
        return int(row[0])

    def add_event(self, job_id: str, run_id: str, lease: str, *, phase: str, step: str,
                  level: str, message: str, at: str | None = None) -> None:
        event = {"seq": self.next_seq(run_id), "at": at or _now(), "phase": phase,
                 "step": step[:200], "level": level, "message": message[:10_000]}
        self._add(job_id, run_id, lease, "event", event)

    def add_proof(self, job_id: str, run_id: str, lease: str, *, kind: str, sha256: str,
                  source: Path) -> None:
        """The file is copied into the outbox's own folder: the run's folder may go away."""
        target = self.files / f"{run_id}-{kind}{source.suffix}"
        shutil.copyfile(source, target)
        self._add(job_id, run_id, lease, "proof", {"kind": kind, "sha256": sha256},
                  str(target))

    def add_snapshot(self, job_id: str, run_id: str, lease: str, *, kind: str,
                     source: Path) -> None:
        """A failed run's page HTML or trace, copied like a proof."""
        import hashlib

        target = self.files / f"{run_id}-{kind}{source.suffix}"
        shutil.copyfile(source, target)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        self._add(job_id, run_id, lease, "snapshot", {"kind": kind, "sha256": digest},
                  str(target))

    def add_completion(self, job_id: str, run_id: str, lease: str, *, outcome: str,
                       error_code: str | None, error_message: str | None,
                       post_url: str | None, proof_kinds: list[str]) -> None:
        """Queued with the intent closed in the same transaction: either both or neither."""
        with self._tx():
            self._add(job_id, run_id, lease, "complete", {
                "outcome": outcome, "errorCode": error_code,
                "errorMessage": (error_message or "")[:10_000] or None,
                "postUrl": post_url, "proofKinds": proof_kinds,
            })
            self.db.execute("UPDATE intents SET state = 'done' WHERE job_id = ?", (job_id,))

    def write_intent(self, intent: Intent) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO intents VALUES (?, ?, ?, ?, ?, ?, 'publishing', ?)",
            (intent.job_id, intent.run_id, intent.lease_token, intent.platform,
             intent.account, intent.text, time.time()),
        )

    def open_intents(self) -> list[Intent]:
        """Publishes that started and never completed: the daemon died in between."""
        rows = self.db.execute(
            "SELECT job_id, run_id, lease_token, platform, account, text FROM intents "
            "WHERE state = 'publishing'").fetchall()
        return [Intent(*row) for row in rows]

    def pending(self, job_id: str | None = None) -> int:
        if job_id is None:
            row = self.db.execute("SELECT count(*) FROM items WHERE state = 'pending'")
        else:
            row = self.db.execute(
                "SELECT count(*) FROM items WHERE state = 'pending' AND job_id = ?", (job_id,))
        return int(row.fetchone()[0])

    def asset_id(self, run_id: str, kind: str) -> str | None:
        row = self.db.execute("SELECT asset_id FROM proof_assets WHERE run_id = ? AND kind = ?",
                              (run_id, kind)).fetchone()
        return str(row[0]) if row else None

    @contextlib.contextmanager
    def _tx(self) -> Any:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- sending -----------------------------------------------------------------------

    async def flush(self, job_id: str | None, timeout: float) -> bool:
        """Wait until this job's items (None: all items) are delivered (True) or time is up."""
        deadline = time.monotonic() + timeout
        self._changed.set()
        async with self._delivered:
            while self.pending(job_id):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._delivered.wait(), remaining)
        return True

    async def run_sender(self, client: Any, stop: asyncio.Event) -> None:
        """Deliver pending items in order until `stop`; back off while the server is away."""
        backoff = 0.5
        while not stop.is_set():
            try:
                progressed = await self.deliver_some(client)
            except ServerUnavailable as exc:
                log.warning("server unavailable, results kept in the outbox: %s", exc)
                await _sleep_or(stop, random.uniform(0, backoff))
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.5
            if not progressed:
                self._changed.clear()
                if self.pending():
                    continue
                await _sleep_or(stop, 5.0, self._changed)

    async def deliver_some(self, client: Any) -> bool:
        rows = self.db.execute(
            "SELECT id, job_id, run_id, lease_token, kind, payload, file FROM items "
            "WHERE state = 'pending' ORDER BY id LIMIT ?", (EVENT_BATCH,)).fetchall()
        if not rows:
            return False
        first = rows[0]
        if first[4] == "event":
            batch = [r for r in _leading(rows, first)]
            ids = [r[0] for r in batch]
            events = [s.Event.model_validate(json.loads(r[5])) for r in batch]
            try:
                reply = await client.events(first[1], s.EventsRequest(
                    lease_token=first[3], run_id=first[2], events=events))
            except ServerRejected as exc:
                self._dead(ids, exc)
            else:
                self._sent(ids)
                if self.on_events_reply is not None:
                    await self.on_events_reply(first[1], reply)
        elif first[4] in ("proof", "snapshot"):
            await self._send_file(client, first)
        else:
            await self._send_completion(client, first)
        async with self._delivered:
            self._delivered.notify_all()
        return True

    async def _send_file(self, client: Any, row: tuple[Any, ...]) -> None:
        item_id, job_id, run_id, lease, item_kind, payload, file = row
        data = json.loads(payload)
        try:
            content = Path(file).read_bytes()
        except OSError as exc:
            self._dead([item_id], exc)
            return
        common = {"lease_token": lease, "run_id": run_id, "sha256": data["sha256"],
                  "data": content, "filename": Path(file).name}
        try:
            if item_kind == "proof":
                asset_id = await client.upload_proof(
                    job_id, kind=s.ProofKind(data["kind"]), **common)
            else:
                asset_id = await client.upload_snapshot(
                    job_id, kind=s.SnapshotKind(data["kind"]), **common)
        except ServerRejected as exc:
            self._dead([item_id], exc)
            return
        if item_kind == "proof":
            self.db.execute("INSERT OR REPLACE INTO proof_assets VALUES (?, ?, ?)",
                            (run_id, data["kind"], asset_id))
        self._sent([item_id])

    async def _send_completion(self, client: Any, row: tuple[Any, ...]) -> None:
        item_id, job_id, run_id, lease, _, payload, _ = row
        data = json.loads(payload)
        assets = [a for k in data.pop("proofKinds", []) if (a := self.asset_id(run_id, k))]
        request = s.CompleteRequest.model_validate(
            {**data, "leaseToken": lease, "runId": run_id, "proofAssetIds": assets})
        try:
            await client.complete(job_id, request)
        except ServerRejected as exc:
            self._dead([item_id], exc)
            return
        self._sent([item_id])

    def _sent(self, ids: list[int]) -> None:
        self.db.executemany("UPDATE items SET state = 'sent' WHERE id = ?", [(i,) for i in ids])

    def _dead(self, ids: list[int], exc: BaseException) -> None:
        """Refused for good (a stale lease, a job gone): keep it for the record, move on."""
        log.warning("outbox: the server refused %d item(s) for good: %s", len(ids), exc)
        self.db.executemany(
            "UPDATE items SET state = 'dead', last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?", [(str(exc), i) for i in ids])


def _leading(rows: list[Any], first: Any) -> list[Any]:
    """The run of event rows at the head that belong to the same job, run and lease."""
    out = []
    for row in rows:
        if row[4] != "event" or row[1:4] != first[1:4]:
            break
        out.append(row)
    return out


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat()


async def _sleep_or(stop: asyncio.Event, seconds: float,
                    wake: asyncio.Event | None = None) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
