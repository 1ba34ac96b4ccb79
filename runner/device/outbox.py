"""A durable local outbox: results are written to disk before they are sent.

Step events, proofs and completions go into a SQLite file first and a sender delivers them
in order whenever the server answers, also after the daemon restarts. So a lost server or a
killed daemon loses no result and no proof. The same file journals publish intents: a run
that wrote an intent and never completed may have published, and must be verified before
anything else happens to its job.

Items are typed (`runner.device.items`) and checked against the contract when they are
written, so a value the server would refuse is refused at the call that made it. The sender
still survives any single bad item (one written by an older version, a file gone, a reply
it cannot read): it is logged, set aside as `dead` with the reason, and delivery goes on.
Only an unreachable server makes it wait; nothing ends it but `stop`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import random
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from common.aio import sleep_or
from common.errors import ServerRejected, ServerUnavailable
from contract import models as s
from runner.device.items import Completion, FileItem, RefusedItem, RunKey, bounded

if TYPE_CHECKING:
    from runner.client import ServerClient

__all__ = ["DeadItem", "Intent", "Outbox"]

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
    at REAL NOT NULL,
    head TEXT                           -- JSON list: the newest posts before the click
);
"""

EVENT_BATCH = 100
Row = tuple[Any, ...]  # id, job_id, run_id, lease_token, kind, payload, file


@dataclass(frozen=True)
class Intent:
    """A publish that began: written right before the click, closed by the completion.
    `head`: where the platform's recent posts carry no dates, the fingerprints of the newest
    ones listed before the click (runner.engine.recent_order), so that a check after a crash
    or on a retry can place a match against them; None: not recorded. `at`: when it was
    written (this device's clock)."""

    job_id: str
    run_id: str
    lease_token: str
    platform: str
    account: str
    text: str
    head: tuple[str, ...] | None = None
    at: float = 0.0


@dataclass(frozen=True)
class DeadItem:
    """An item set aside for good, kept for the record with the reason."""

    id: int
    job_id: str
    kind: str
    error: str


def _head(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return tuple(str(v) for v in value) if isinstance(value, list) else None


class Outbox:
    """The file, and the sender that empties it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = path.parent / "outbox-files"
        self.files.mkdir(parents=True, exist_ok=True)
        os.chmod(self.files, 0o700)  # proofs and traces show the account: owner only
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        os.chmod(path, 0o600)  # leases; SQLite gives its -wal and -shm files the same mode
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(intents)")}
        if "head" not in columns:  # a journal written before heads were recorded
            self.db.execute("ALTER TABLE intents ADD COLUMN head TEXT")
        self._changed = asyncio.Event()
        self._delivered = asyncio.Condition()
        self.on_events_reply: Callable[[str, s.EventsResponse], Awaitable[None]] | None = None

    def close(self) -> None:
        self.db.close()

    # ---- writing -----------------------------------------------------------------------

    def _add(self, key: RunKey, kind: str, payload: dict[str, Any],
             file: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO items (job_id, run_id, lease_token, kind, payload, file, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key.job_id, key.run_id, key.lease_token, kind,
             json.dumps(payload, ensure_ascii=False), file, time.time()),
        )
        self._changed.set()

    def next_seq(self, run_id: str) -> int:
        row = self.db.execute(
            "INSERT INTO sequences (run_id, next_seq) VALUES (?, 2) ON CONFLICT(run_id) "
            "DO UPDATE SET next_seq = next_seq + 1 RETURNING next_seq - 1", (run_id,),
        ).fetchone()
        return int(row[0])

    def make_event(self, key: RunKey, *, phase: str, step: str, level: str,
                   message: str) -> s.Event:
        """The next event of a run, its texts bounded here (the daemon makes them)."""
        try:
            return s.Event(seq=self.next_seq(key.run_id), at=datetime.now(timezone.utc),
                           phase=bounded(phase, s.MAX_PHASE), step=bounded(step, s.MAX_STEP),
                           level=bounded(level, s.MAX_LEVEL),
                           message=bounded(message, s.MAX_MESSAGE))
        except pydantic.ValidationError as exc:
            raise RefusedItem("event", key.job_id, exc) from exc

    def add_event(self, key: RunKey, *, phase: str, step: str, level: str,
                  message: str) -> None:
        event = self.make_event(key, phase=phase, step=step, level=level, message=message)
        self._add(key, "event", event.model_dump(mode="json", by_alias=True))

    def add_file(self, key: RunKey, kind: s.ProofKind | s.SnapshotKind, source: Path,
                 sha256: str | None = None) -> None:
        """A proof or a snapshot. The file is copied into the outbox's own folder (owner
        only): the run's folder may go away before the server is back."""
        target = self.files / f"{key.run_id}-{kind.value}{source.suffix}"
        shutil.copyfile(source, target)
        os.chmod(target, 0o600)
        digest = sha256 or hashlib.sha256(target.read_bytes()).hexdigest()
        try:
            item = FileItem.checked(kind, digest)
        except ValueError as exc:
            target.unlink(missing_ok=True)
            raise RefusedItem(f"{kind.value} file", key.job_id, str(exc)) from exc
        self._add(key, "proof" if item.is_proof else "snapshot", item.payload(), str(target))

    def add_completion(self, key: RunKey, completion: Completion) -> None:
        """Checked against the contract (RefusedItem names what is wrong), then queued with
        the intent closed in the same transaction: either both or neither."""
        completion.check(key)
        with self._tx():
            self._add(key, "complete", completion.payload())
            self.db.execute("UPDATE intents SET state = 'done' WHERE job_id = ?",
                            (key.job_id,))

    def write_intent(self, intent: Intent) -> None:
        """One row per job: the latest attempt's, with its head, in the same write."""
        head = None if intent.head is None else json.dumps(list(intent.head))
        self.db.execute(
            "INSERT OR REPLACE INTO intents (job_id, run_id, lease_token, platform, account,"
            " text, state, at, head) VALUES (?, ?, ?, ?, ?, ?, 'publishing', ?, ?)",
            (intent.job_id, intent.run_id, intent.lease_token, intent.platform,
             intent.account, intent.text, intent.at or time.time(), head),
        )

    def open_intents(self) -> list[Intent]:
        """Publishes that started and never completed: the daemon died in between."""
        rows = self.db.execute(
            "SELECT job_id, run_id, lease_token, platform, account, text, head, at "
            "FROM intents WHERE state = 'publishing'").fetchall()
        return [Intent(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                       head=_head(r[6]), at=float(r[7])) for r in rows]

    def intent_head(self, job_id: str) -> tuple[str, ...] | None:
        """The head recorded before this job's latest publish click on this device (open or
        closed intent); None when none was recorded here."""
        row = self.db.execute("SELECT head FROM intents WHERE job_id = ?",
                              (job_id,)).fetchone()
        return _head(row[0]) if row else None

    def pending(self, job_id: str | None = None) -> int:
        if job_id is None:
            row = self.db.execute("SELECT count(*) FROM items WHERE state = 'pending'")
        else:
            row = self.db.execute(
                "SELECT count(*) FROM items WHERE state = 'pending' AND job_id = ?", (job_id,))
        return int(row.fetchone()[0])

    def dead(self) -> list[DeadItem]:
        """What was set aside for good, oldest first."""
        rows = self.db.execute("SELECT id, job_id, kind, last_error FROM items "
                               "WHERE state = 'dead' ORDER BY id").fetchall()
        return [DeadItem(int(r[0]), str(r[1]), str(r[2]), str(r[3] or "")) for r in rows]

    def prune(self, keep_s: float) -> int:
        """Forget delivered items (and their files) older than `keep_s` seconds, and closed
        intents as old: the server has them. Dead items stay, for the record. Returns how
        many items went."""
        cutoff = time.time() - keep_s
        with self._tx():
            rows = self.db.execute("SELECT id, file FROM items WHERE state = 'sent' "
                                   "AND created_at < ?", (cutoff,)).fetchall()
            self.db.executemany("DELETE FROM items WHERE id = ?", [(r[0],) for r in rows])
            self.db.execute("DELETE FROM intents WHERE state = 'done' AND at < ?", (cutoff,))
        for _, file in rows:
            if file:
                Path(file).unlink(missing_ok=True)
        return len(rows)

    def asset_id(self, run_id: str, kind: str) -> str | None:
        row = self.db.execute("SELECT asset_id FROM proof_assets WHERE run_id = ? AND kind = ?",
                              (run_id, kind)).fetchone()
        return str(row[0]) if row else None

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
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

    async def run_sender(self, client: ServerClient, stop: asyncio.Event) -> None:
        """Deliver pending items in order until `stop`; back off while the server is away.

        Never ends on its own: a bad item is set aside inside `deliver_some`."""
        backoff = 0.5
        while not stop.is_set():
            try:
                progressed = await self.deliver_some(client)
            except ServerUnavailable as exc:
                log.warning("server unavailable, results kept in the outbox: %s", exc)
                await sleep_or(random.uniform(0, backoff), stop)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.5
            if not progressed:
                self._changed.clear()
                if self.pending():
                    continue
                await sleep_or(5.0, stop, self._changed)

    async def deliver_some(self, client: ServerClient) -> bool:
        """Send the item at the head (or a batch of events); False when nothing is pending.
        Raises ServerUnavailable only: every other failure sets the item aside."""
        rows = self.db.execute(
            "SELECT id, job_id, run_id, lease_token, kind, payload, file FROM items "
            "WHERE state = 'pending' ORDER BY id LIMIT ?", (EVENT_BATCH,)).fetchall()
        if not rows:
            return False
        first = rows[0]
        batch = _leading(rows, first) if first[4] == "event" else [first]
        try:
            if first[4] == "event":
                await self._send_events(client, batch)
            elif first[4] in ("proof", "snapshot"):
                await self._send_file(client, first)
            elif first[4] == "complete":
                await self._send_completion(client, first)
            else:
                self._dead([first[0]], f"unknown item kind {first[4]!r}")
        except ServerUnavailable:
            raise
        except ServerRejected as exc:  # a stale lease, a job gone: refused for good
            self._dead([r[0] for r in batch], str(exc))
        except Exception as exc:  # a bug or a broken row: never let it stop delivery
            log.exception("outbox: could not send item %s (%s) of job %s", first[0],
                          first[4], first[1])
            self._dead([r[0] for r in batch], f"{type(exc).__name__}: {exc}")
        async with self._delivered:
            self._delivered.notify_all()
        return True

    async def _send_events(self, client: ServerClient, batch: list[Row]) -> None:
        ids, events = [], []
        for row in batch:
            try:
                events.append(s.Event.model_validate(json.loads(row[5])))
                ids.append(row[0])
            except (ValueError, pydantic.ValidationError) as exc:
                self._dead([row[0]], f"unreadable or out of contract: {_brief(exc)}")
        if not events:
            return
        first = batch[0]
        reply = await client.events(first[1], s.EventsRequest(
            lease_token=first[3], run_id=first[2], events=events))
        self._sent(ids)
        if self.on_events_reply is not None:
            await self.on_events_reply(first[1], reply)

    async def _send_file(self, client: ServerClient, row: Row) -> None:
        item_id, job_id, run_id, lease, item_kind, payload, file = row
        try:
            item = FileItem.from_payload(item_kind, json.loads(payload))
            content = Path(file).read_bytes()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self._dead([item_id], f"unreadable: {_brief(exc)}")
            return
        common: dict[str, Any] = {"lease_token": lease, "run_id": run_id,
                                  "sha256": item.sha256, "data": content,
                                  "filename": Path(file).name}
        if isinstance(item.kind, s.ProofKind):
            asset_id = await client.upload_proof(job_id, kind=item.kind, **common)
            self.db.execute("INSERT OR REPLACE INTO proof_assets VALUES (?, ?, ?)",
                            (run_id, item.kind.value, asset_id))
        else:
            await client.upload_snapshot(job_id, kind=item.kind, **common)
        self._sent([item_id])

    async def _send_completion(self, client: ServerClient, row: Row) -> None:
        item_id, job_id, run_id, lease, _, payload, _ = row
        key = RunKey(job_id, run_id, lease)
        try:
            completion = Completion.from_payload(json.loads(payload))
            completion.check(key)  # rows written by an older version were never checked
        except (RefusedItem, ValueError, KeyError, TypeError) as exc:
            log.error("outbox: the completion of job %s is out of contract, set aside: %s",
                      job_id, exc)
            self._dead([item_id], f"out of contract: {_brief(exc)}")
            return
        assets = [a for k in completion.proof_kinds if (a := self.asset_id(run_id, k.value))]
        await client.complete(job_id, completion.request(key, assets))
        self._sent([item_id])

    def _sent(self, ids: list[int]) -> None:
        self.db.executemany("UPDATE items SET state = 'sent' WHERE id = ?", [(i,) for i in ids])

    def _dead(self, ids: list[int], reason: str) -> None:
        """Never deliverable (refused for good, unreadable): kept for the record, and the
        sender moves on to the next item."""
        log.warning("outbox: %d item(s) set aside for good: %s", len(ids), reason)
        self.db.executemany(
            "UPDATE items SET state = 'dead', last_error = ?, attempts = attempts + 1 "
            "WHERE id = ?", [(bounded(reason, 2_000), i) for i in ids])


def _leading(rows: list[Row], first: Row) -> list[Row]:
    """The run of event rows at the head that belong to the same job, run and lease."""
    out = []
    for row in rows:
        if row[4] != "event" or row[1:4] != first[1:4]:
            break
        out.append(row)
    return out


def _brief(exc: BaseException) -> str:
    return bounded(str(exc).replace("\n", "; "), 500)
