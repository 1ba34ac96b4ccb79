"""The recovery loop's statements in SQLite (failure playbook §3, §4 and §7).

Candidates are read first, then each is recovered by one UPDATE that re-checks status, lease
and age in its WHERE: if the device completed, started or reported progress in between, the
UPDATE matches no row and the completion stands.
"""

from __future__ import annotations

import sqlite3

from contract import models as s
from server.store.base import Recovered, Stuck
from server.store.sqlite_core import SqliteCore

_REQUEUE = (
    "attempt_count = attempt_count + 1,"
    " status = CASE WHEN attempt_count + 1 < max_attempts THEN 'QUEUED' ELSE 'FAILED' END,"
    " locked_by_device_id = NULL, locked_at = NULL, lease_token = NULL,"
    " confirm_decision = NULL, cancel_requested = 0, updated_at = :now"
)


class SqliteRecovery(SqliteCore):
    def stuck_jobs(self, *, claimed_before: float, silent_before: float) -> list[Stuck]:
        with self._read() as db:
            rows = db.execute(
                "SELECT id, status, lease_token FROM publishing_jobs"
                " WHERE (status = 'CLAIMED' AND locked_at < ?)"
                " OR (status IN ('RUNNING', 'AWAITING_CONFIRM') AND updated_at < ?)"
                " ORDER BY rowid",
                (claimed_before, silent_before),
            ).fetchall()
        return [Stuck(r["id"], s.JobStatus(r["status"]), r["lease_token"]) for r in rows]

    def recover_claimed(self, stuck: Stuck, *, claimed_before: float) -> Recovered | None:
        """Stuck CLAIMED: nothing ran yet, so re-queueing is safe."""
        with self._tx() as db:
            row = db.execute(
                f"UPDATE publishing_jobs SET {_REQUEUE},"
                " last_error_message = 'Timeout - job stuck in CLAIMED'"
                " WHERE id = :id AND status = 'CLAIMED' AND lease_token = :lease"
                " AND locked_at < :cutoff RETURNING *",
                {"now": self.clock(), "id": stuck.job_id, "lease": stuck.lease_token,
                 "cutoff": claimed_before},
            ).fetchone()
            return self._recorded(db, row, stuck, run_id=None, verify_first=False)

    def recover_unacked(self, stuck: Stuck, *, claimed_before: float) -> Recovered | None:
        """A claim never started (its reply may never have reached a device, e.g. a proxy
        that kept a long poll open after its device left): QUEUED again at once, no attempt
        counted, nothing ran."""
        with self._tx() as db:
            row = db.execute(
                "UPDATE publishing_jobs SET status = 'QUEUED', locked_by_device_id = NULL,"
                " locked_at = NULL, lease_token = NULL, confirm_decision = NULL,"
                " cancel_requested = 0, updated_at = :now"
                " WHERE id = :id AND status = 'CLAIMED' AND lease_token = :lease"
                " AND locked_at < :cutoff RETURNING *",
                {"now": self.clock(), "id": stuck.job_id, "lease": stuck.lease_token,
                 "cutoff": claimed_before},
            ).fetchone()
            if row is None:
                return None
            self._audit(db, "JOB_CLAIM_UNACKED", job_id=row["id"], post_id=row["post_id"],
                        attemptCount=row["attempt_count"])
            self._sync_post_status(db, row["post_id"])
            return Recovered(job_id=row["id"], status=s.JobStatus.QUEUED,
                             target=s.Target(platform=row["platform"], account=row["account"]))

    def recover_running(self, stuck: Stuck, *, silent_before: float) -> Recovered | None:
        """Stuck RUNNING (or a silent AWAITING_CONFIRM): the run FAILS with reason Timeout;
        if it had reached publish, the next attempt must verify first."""
        with self._tx() as db:
            run = db.execute(
                "SELECT id, reached_publish FROM publishing_runs"
                " WHERE job_id = ? AND lease_token = ?", (stuck.job_id, stuck.lease_token),
            ).fetchone()
            reached = bool(run and run["reached_publish"])
            row = db.execute(
                f"UPDATE publishing_jobs SET {_REQUEUE},"
                " verify_first = MAX(verify_first, :reached),"
                " last_error_message = 'Timeout - job stuck in RUNNING'"
                " WHERE id = :id AND status IN ('RUNNING', 'AWAITING_CONFIRM')"
                " AND lease_token = :lease AND updated_at < :cutoff RETURNING *",
                {"now": self.clock(), "id": stuck.job_id, "lease": stuck.lease_token,
                 "cutoff": silent_before, "reached": 1 if reached else 0},
            ).fetchone()
            if row is not None and run is not None:
                db.execute(
                    "UPDATE publishing_runs SET status = 'FAILED', error_code = 'TIMEOUT',"
                    " error_message = 'Timeout', ended_at = ? WHERE id = ? AND status = 'RUNNING'",
                    (self.clock(), run["id"]),
                )
            return self._recorded(db, row, stuck, run_id=run["id"] if run else None,
                                  verify_first=reached)

    def _recorded(
        self, db: sqlite3.Connection, row: sqlite3.Row | None, stuck: Stuck,
        *, run_id: str | None, verify_first: bool,
    ) -> Recovered | None:
        if row is None:
            return None
        self._audit(
            db, "JOB_STUCK_RECOVERY", job_id=row["id"], post_id=row["post_id"],
            fromStatus=stuck.status.value, toStatus=row["status"],
            attemptCount=row["attempt_count"], maxAttempts=row["max_attempts"], runId=run_id,
            verifyFirst=bool(row["verify_first"]) or verify_first,
        )
        self._sync_post_status(db, row["post_id"])
        return Recovered(
            job_id=row["id"], status=s.JobStatus(row["status"]),
            target=s.Target(platform=row["platform"], account=row["account"]),
        )

    def correct_post_statuses(self) -> list[tuple[str, str, str]]:
        """Posts whose stored status disagrees with their jobs; returns (post, old, new)."""
        fixed = []
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                "SELECT DISTINCT post_id FROM publishing_jobs").fetchall()]
            for post_id in ids:
                moved = self._sync_post_status(db, post_id)
                if moved is not None:
                    self._audit(db, "POST_STATUS_CORRECTED", post_id=post_id,
                                fromStatus=moved[0], toStatus=moved[1])
                    fixed.append((post_id, *moved))
        return fixed

    def next_due_after(self, after: float) -> float | None:
        with self._read() as db:
            value = db.execute(
                "SELECT MIN(scheduled_at) FROM publishing_jobs"
                " WHERE status = 'QUEUED' AND scheduled_at > ?", (after,),
            ).fetchone()[0]
        return None if value is None else float(value)

    def due_times(
        self, after: float, upto: float, limit: int
    ) -> list[tuple[float, s.Target]]:
        """QUEUED jobs due in (after, upto], earliest first, at most `limit`: when to wake
        whom (the wake-up timer reads a stretch ahead in one look, on the queued index)."""
        with self._read() as db:
            rows = db.execute(
                "SELECT scheduled_at, platform, account FROM publishing_jobs"
                " WHERE status = 'QUEUED' AND scheduled_at > ? AND scheduled_at <= ?"
                " ORDER BY scheduled_at LIMIT ?", (after, upto, limit),
            ).fetchall()
        return [(float(r[0]), s.Target(platform=r[1], account=r[2])) for r in rows]

    def due_targets(self, after: float, upto: float) -> list[s.Target]:
        """Targets of QUEUED jobs that came due in (after, upto]: who to wake up."""
        with self._read() as db:
            rows = db.execute(
                "SELECT platform, account FROM publishing_jobs WHERE status = 'QUEUED'"
                " AND scheduled_at > ? AND scheduled_at <= ?", (after, upto),
            ).fetchall()
        return [s.Target(platform=r[0], account=r[1]) for r in rows]
