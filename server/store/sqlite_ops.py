"""The operator side of jobs in SQLite: read, cancel, retry, confirm, and the audit log."""

from __future__ import annotations

import json
import sqlite3

from contract import models as s
from server import errors
from server.states import CANCELLABLE, RETRYABLE
from server.store.sqlite_core import SqliteCore, must_dt, stored_instant, to_dt


class SqliteOps(SqliteCore):
    def get_job(self, job_id: str) -> s.JobDetail:
        with self._read() as db:
            row = self._job_row(db, job_id)
            if row is None:
                raise errors.NotFound(f"no job {job_id}")
            runs = [self._run_model(db, r) for r in db.execute(
                "SELECT * FROM publishing_runs WHERE job_id = ? ORDER BY attempt", (job_id,)
            ).fetchall()]
            return s.JobDetail(**self._job(row).model_dump(), runs=runs)

    def _run_model(self, db: sqlite3.Connection, r: sqlite3.Row) -> s.Run:
        logs = [
            s.Event(seq=e["seq"], at=stored_instant(e["at"]), phase=e["phase"], step=e["step"],
                    level=e["level"], message=e["message"])
            for e in db.execute(
                "SELECT * FROM run_events WHERE run_id = ? ORDER BY seq", (r["id"],)
            )
        ]
        proofs = [
            s.Proof(kind=s.ProofKind(p["kind"]), sha256=p["sha256"], asset_id=p["asset_id"],
                    created_at=must_dt(p["created_at"]))
            for p in db.execute(
                "SELECT * FROM run_proofs WHERE run_id = ? ORDER BY created_at", (r["id"],)
            )
        ]
        snapshots = [
            s.Snapshot(kind=s.SnapshotKind(p["kind"]), sha256=p["sha256"],
                       asset_id=p["asset_id"], content_type=p["content_type"], size=p["size"],
                       created_at=must_dt(p["created_at"]))
            for p in db.execute(
                "SELECT rs.*, a.content_type, a.size FROM run_snapshots rs"
                " JOIN assets a ON a.id = rs.asset_id WHERE rs.run_id = ?"
                " ORDER BY rs.created_at", (r["id"],)
            )
        ]
        return s.Run(
            id=r["id"], attempt=r["attempt"], device_id=r["device_id"],
            status=s.RunStatus(r["status"]), error_code=r["error_code"],
            error_message=r["error_message"], reached_publish=bool(r["reached_publish"]),
            started_at=must_dt(r["started_at"]), ended_at=to_dt(r["ended_at"]),
            definitions_version=r["definitions_version"],
            definitions_hash=r["definitions_hash"],
            logs=logs, proofs=proofs, snapshots=snapshots,
        )

    def list_jobs(
        self,
        *,
        status: s.JobStatus | None = None,
        platform: str | None = None,
        post_id: str | None = None,
        device_id: str | None = None,
        limit: int = 100,
        newest_first: bool = False,
    ) -> list[s.Job]:
        where, args = _equal_filters((("status", status.value if status else None),
                                      ("platform", platform), ("post_id", post_id),
                                      ("locked_by_device_id", device_id)))
        with self._read() as db:
            rows = db.execute(
                f"SELECT * FROM publishing_jobs{where} ORDER BY rowid"
                f"{' DESC' if newest_first else ''} LIMIT ?", [*args, limit]
            ).fetchall()
            return [self._job(r) for r in rows]

    def duplicate_job_ids(self) -> set[str]:
        with self._read() as db:
            rows = db.execute(
                "SELECT j.id FROM publishing_jobs j WHERE j.status <> 'CANCELLED' AND EXISTS ("
                " SELECT 1 FROM publishing_jobs o WHERE o.post_id = j.post_id"
                " AND o.platform = j.platform AND o.id <> j.id AND o.status <> 'CANCELLED')"
            ).fetchall()
        return {r[0] for r in rows}

    def cancel(self, job_id: str) -> s.Job:
        """Any live job → CANCELLED; a device holding it is told through its replies."""
        now = self.clock()
        with self._tx() as db:
            row = self._existing(db, job_id)
            if s.JobStatus(row["status"]) not in CANCELLABLE:
                raise errors.InvalidTransition(f"job {job_id} is {row['status']}; cannot cancel")
            db.execute(
                "UPDATE publishing_jobs SET status = 'CANCELLED', updated_at = ?,"
                " last_error_message = 'Cancelled by operator',"
                " cancel_requested = CASE WHEN status IN ('CLAIMED','RUNNING','AWAITING_CONFIRM')"
                " THEN 1 ELSE 0 END WHERE id = ? AND status = ?",
                (now, job_id, row["status"]),
            )
            db.execute(
                "UPDATE publishing_runs SET status = 'CANCELLED', ended_at = ?"
                " WHERE job_id = ? AND status = 'RUNNING'", (now, job_id),
            )
            self._audit(db, "JOB_CANCELLED", job_id=job_id, post_id=row["post_id"],
                        fromStatus=row["status"])
            self._sync_post_status(db, row["post_id"])
            return self._job(self._existing(db, job_id))

    def retry(self, job_id: str) -> s.Job:
        """FAILED, NEEDS_LOGIN or CANCELLED → QUEUED with a fresh attempt budget. If any
        earlier run reached publish, the next attempt verifies first."""
        now = self.clock()
        with self._tx() as db:
            row = self._existing(db, job_id)
            if s.JobStatus(row["status"]) not in RETRYABLE:
                raise errors.InvalidTransition(f"job {job_id} is {row['status']}; cannot retry")
            published = db.execute(
                "SELECT COUNT(*) FROM publishing_runs WHERE job_id = ? AND reached_publish = 1",
                (job_id,),
            ).fetchone()[0]
            try:
                db.execute(
                    "UPDATE publishing_jobs SET status = 'QUEUED', locked_by_device_id = NULL,"
                    " locked_at = NULL, lease_token = NULL, cancel_requested = 0,"
                    " confirm_decision = NULL, attempt_count = 0, updated_at = ?,"
                    " last_error_message = NULL, verify_first = MAX(verify_first, ?)"
                    " WHERE id = ? AND status = ?",
                    (now, 1 if published else 0, job_id, row["status"]),
                )
            except sqlite3.IntegrityError as exc:
                raise errors.Conflict(
                    f"post {row['post_id']} already has a live job on {row['platform']}"
                ) from exc
            self._audit(db, "JOB_RETRIED", job_id=job_id, post_id=row["post_id"],
                        fromStatus=row["status"])
            self._sync_post_status(db, row["post_id"])
            return self._job(self._existing(db, job_id))

    def confirm(self, job_id: str, approve: bool) -> s.Job:
        """The operator's answer to a manual confirm; the device reads it from its replies."""
        now = self.clock()
        with self._tx() as db:
            row = self._existing(db, job_id)
            if (row["status"] != "AWAITING_CONFIRM" or row["confirm_mode"] != "manual"
                    or row["confirm_decision"] is not None):
                raise errors.InvalidTransition(
                    f"job {job_id} is {row['status']} (confirm {row['confirm_mode']}"
                    f"{', answered' if row['confirm_decision'] else ''}); nothing to confirm"
                )
            if approve:
                db.execute(
                    "UPDATE publishing_jobs SET confirm_decision = 'approved', updated_at = ?"
                    " WHERE id = ? AND status = 'AWAITING_CONFIRM'", (now, job_id),
                )
                db.execute(
                    "UPDATE publishing_runs SET reached_publish = 1"
                    " WHERE job_id = ? AND lease_token = ?", (job_id, row["lease_token"]),
                )
            else:
                db.execute(
                    "UPDATE publishing_jobs SET status = 'CANCELLED', confirm_decision ="
                    " 'rejected', cancel_requested = 1, updated_at = ?,"
                    " last_error_message = 'Rejected by operator'"
                    " WHERE id = ? AND status = 'AWAITING_CONFIRM'", (now, job_id),
                )
                db.execute(
                    "UPDATE publishing_runs SET status = 'CANCELLED', ended_at = ?,"
                    " error_message = 'Rejected by operator' WHERE job_id = ? AND status ="
                    " 'RUNNING'", (now, job_id),
                )
            self._audit(db, "JOB_CONFIRMED" if approve else "JOB_REJECTED", job_id=job_id,
                        post_id=row["post_id"])
            self._sync_post_status(db, row["post_id"])
            return self._job(self._existing(db, job_id))

    def _existing(self, db: sqlite3.Connection, job_id: str) -> sqlite3.Row:
        row = self._job_row(db, job_id)
        if row is None:
            raise errors.NotFound(f"no job {job_id}")
        return row

    def list_audit(
        self, *, job_id: str | None = None, post_id: str | None = None,
        action: str | None = None, limit: int = 500, newest_first: bool = False,
    ) -> list[s.AuditEntry]:
        where, args = _equal_filters((("job_id", job_id), ("post_id", post_id),
                                      ("action", action)))
        with self._read() as db:
            rows = db.execute(
                f"SELECT * FROM audit_log{where} ORDER BY id{' DESC' if newest_first else ''}"
                " LIMIT ?", [*args, limit]
            ).fetchall()
        return [
            s.AuditEntry(id=r["id"], at=must_dt(r["at"]), action=r["action"], job_id=r["job_id"],
                         post_id=r["post_id"], device_id=r["device_id"],
                         detail=json.loads(r["detail"]))
            for r in rows
        ]


def _equal_filters(pairs: tuple[tuple[str, object], ...]) -> tuple[str, list[object]]:
    """` WHERE a = ? AND b = ?` and its arguments for the filters that were given (columns
    come from our own code, never from a request, so they are safe to splice in)."""
    given = [(column, value) for column, value in pairs if value is not None]
    where = " WHERE " + " AND ".join(f"{column} = ?" for column, _ in given) if given else ""
    return where, [value for _, value in given]
