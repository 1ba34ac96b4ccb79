"""The device side of a job in PostgreSQL: the claim; every other step is the shared one.

The claim picks the oldest due QUEUED job on the `publishing_jobs_queued` index with
`FOR UPDATE SKIP LOCKED`: a row another claim (or any transaction on that job) holds is
skipped, not waited for, so concurrent claims on every replica each take a different job and
none blocks on another's lock. The UPDATE then re-checks `status = 'QUEUED'`.
"""

from __future__ import annotations

import secrets

from contract import models as s
from server.store.pg_core import PgCore
from server.store.sqlite_jobs import HELD_OFF, SqliteJobs

__all__ = ["PgJobs"]


class PgJobs(SqliteJobs, PgCore):
    def claim(
        self, device_id: str, platforms: list[str], accounts: list[s.Target]
    ) -> s.ClaimResponse | None:
        """Hand the oldest due QUEUED job that matches to this device, or None."""
        if not platforms:
            return None
        now = self.clock()
        where = "status = 'QUEUED' AND scheduled_at <= ? AND platform = ANY(?)"
        args: list[object] = [now, platforms]
        if accounts:
            where += " AND (platform || '/' || account) = ANY(?)"
            args.append([f"{a.platform}/{a.account}" for a in accounts])
        where += HELD_OFF
        args += [device_id, now]
        lease = secrets.token_urlsafe(24)
        with self._tx() as db:
            # One round trip for the claim, the device's lastSeenAt and the audit entry.
            row = db.execute(
                f"WITH picked AS (SELECT id FROM publishing_jobs WHERE {where}"
                " ORDER BY scheduled_at, rowid LIMIT 1 FOR UPDATE SKIP LOCKED),"
                " claimed AS (UPDATE publishing_jobs SET status = 'CLAIMED',"
                " locked_by_device_id = ?, locked_at = ?, lease_token = ?,"
                " cancel_requested = 0, confirm_decision = NULL, updated_at = ?"
                " WHERE id IN (SELECT id FROM picked) AND status = 'QUEUED' RETURNING *),"
                " seen AS (UPDATE devices SET last_seen_at = ? WHERE id = ?"
                " AND EXISTS (SELECT 1 FROM claimed)),"
                " logged AS (INSERT INTO audit_log (at, action, job_id, post_id, device_id,"
                " detail) SELECT ?, 'JOB_CLAIMED', id, post_id, ?, '{}' FROM claimed)"
                " SELECT * FROM claimed",
                [*args, device_id, now, lease, now, now, device_id, now, device_id],
            ).fetchone()
            if row is None:
                return None
            self._sync_post_status(db, row["post_id"])
            post_row = db.execute("SELECT * FROM posts WHERE id = ?", (row["post_id"],)).fetchone()
            return s.ClaimResponse(job=self._job(row), lease_token=lease,
                                   post=self._post(db, post_row),
                                   verify=self._verify_hint(db, row))
