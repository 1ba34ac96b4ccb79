"""The SQLite connection, transactions and row → model conversion shared by the store parts.

One connection in WAL mode, guarded by a lock: SQLite serialises writers anyway, and every
write transaction starts with `BEGIN IMMEDIATE` so two writers never deadlock on an upgrade.
The lock lets the same store be used from the server's event loop and from test threads.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from contract import models as s
from server import errors
from server.states import derive_post_status
from server.store.migrate import migrate

Row = sqlite3.Row


_FIRST, _LAST = s.MIN_TIME.timestamp(), s.MAX_TIME.timestamp()


def to_dt(ts: float | None) -> datetime | None:
    return None if ts is None else must_dt(ts)


def must_dt(ts: float) -> datetime:
    """A stored epoch time as UTC. One past the contract's range (left by a version that did
    not bound times) reads as the nearest end of it, so a page shows it instead of failing."""
    return datetime.fromtimestamp(min(max(ts, _FIRST), _LAST), timezone.utc)


def stored_instant(text: str) -> datetime:
    """A stored ISO time (an event's `at`), held to the contract's range like `must_dt`."""
    return min(max(datetime.fromisoformat(text), s.MIN_TIME), s.MAX_TIME)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


class SqliteCore:
    """Connection, transactions, audit and the conversions every store part uses."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        with self._lock:
            self.schema_version = migrate(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it or nothing (nothing half-written on an error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    # --- audit ---------------------------------------------------------------------------

    def _audit(
        self,
        db: sqlite3.Connection,
        action: str,
        *,
        job_id: str | None = None,
        post_id: str | None = None,
        device_id: str | None = None,
        **detail: Any,
    ) -> None:
        db.execute(
            "INSERT INTO audit_log (at, action, job_id, post_id, device_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.clock(), action, job_id, post_id, device_id, json.dumps(detail)),
        )

    # --- post status ---------------------------------------------------------------------

    def _current_job_statuses(self, db: sqlite3.Connection, post_id: str) -> list[s.JobStatus]:
        """One job per platform: the newest, since older ones were replaced by a reschedule."""
        rows = db.execute(
            "SELECT j.status FROM publishing_jobs j WHERE j.post_id = ? AND NOT EXISTS ("
            " SELECT 1 FROM publishing_jobs n WHERE n.post_id = j.post_id"
            " AND n.platform = j.platform AND n.rowid > j.rowid)",
            (post_id,),
        ).fetchall()
        return [s.JobStatus(r[0]) for r in rows]

    def _sync_post_status(
        self, db: sqlite3.Connection, post_id: str
    ) -> tuple[str, str] | None:
        """Set the post's status to what its jobs imply; returns (old, new) when it moved.

        The update re-checks the old status in its WHERE, like every guarded update here.
        """
        row = db.execute("SELECT status FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None:
            return None
        derived = derive_post_status(self._current_job_statuses(db, post_id))
        if derived is None or derived.value == row[0]:
            return None
        db.execute(
            "UPDATE posts SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
            (derived.value, self.clock(), post_id, row[0]),
        )
        return row[0], derived.value

    # --- conversions ---------------------------------------------------------------------

    def _job(self, r: Row) -> s.Job:
        return s.Job(
            id=r["id"],
            post_id=r["post_id"],
            platform=r["platform"],
            account=r["account"],
            status=s.JobStatus(r["status"]),
            scheduled_at=must_dt(r["scheduled_at"]),
            idempotency_key=r["idempotency_key"],
            attempt_count=r["attempt_count"],
            max_attempts=r["max_attempts"],
            locked_by_device_id=r["locked_by_device_id"],
            locked_at=to_dt(r["locked_at"]),
            last_error_message=r["last_error_message"],
            proof_screenshot_asset_id=r["proof_screenshot_asset_id"],
            post_url=r["post_url"],
            verify_first=bool(r["verify_first"]),
            confirm_mode=s.ConfirmMode(r["confirm_mode"]),
            confirm_decision=(
                s.ConfirmDecision(r["confirm_decision"]) if r["confirm_decision"] else None
            ),
            cancel_requested=bool(r["cancel_requested"]) or r["status"] == "CANCELLED",
            created_at=must_dt(r["created_at"]),
            updated_at=must_dt(r["updated_at"]),
        )

    def _post(self, db: sqlite3.Connection, r: Row) -> s.Post:
        return self._post_of(r, db.execute(
            "SELECT id, platform, account FROM publishing_jobs"
            " WHERE post_id = ? AND status = 'NEEDS_LOGIN'",
            (r["id"],),
        ))

    def _post_of(self, r: Any, needs_login: Iterable[Any]) -> s.Post:
        """The post from its row and its NEEDS_LOGIN jobs' (id, platform, account)."""
        warnings = list(json.loads(r["warnings"]))
        for job_id, platform, account in needs_login:
            warnings.append(
                f"job {job_id} needs login on {platform}/{account}:"
                " log in on the device, then check login"
            )
        return s.Post(
            id=r["id"],
            text=r["text"],
            media=json.loads(r["media"]),
            targets=[s.Target.model_validate(t) for t in json.loads(r["targets"])],
            confirm_mode=s.ConfirmMode(r["confirm_mode"]),
            status=s.PostStatus(r["status"]),
            warnings=warnings,
            created_at=must_dt(r["created_at"]),
            updated_at=must_dt(r["updated_at"]),
        )

    def _post_detail(self, db: sqlite3.Connection, r: Row) -> s.PostDetail:
        jobs = [
            self._job(j)
            for j in db.execute(
                "SELECT * FROM publishing_jobs WHERE post_id = ? ORDER BY rowid", (r["id"],)
            )
        ]
        return s.PostDetail(**self._post(db, r).model_dump(), jobs=jobs)

    def _job_row(self, db: sqlite3.Connection, job_id: str) -> Row | None:
        row: Row | None = db.execute(
            "SELECT * FROM publishing_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return row

    def _require_assets(self, db: sqlite3.Connection, ids: list[str], field: str) -> None:
        missing = [
            i for i in ids
            if db.execute("SELECT 1 FROM assets WHERE id = ?", (i,)).fetchone() is None
        ]
        if missing:
            raise errors.Invalid(f"{field}: unknown asset ids {', '.join(missing)}")
