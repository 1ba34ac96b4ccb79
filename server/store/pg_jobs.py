"""The device side of a job in PostgreSQL: the claim; every other step is the shared one.

The claim picks the oldest due QUEUED job on the `publishing_jobs_queued` index with
`FOR UPDATE SKIP LOCKED`: a row another claim (or any transaction on that job) holds is
skipped, not waited for, so concurrent claims on every replica each take a different job and
none blocks on another's lock. The UPDATE then re-checks `status = 'QUEUED'`.

It is one statement, a transaction by itself (one round trip, where the shared claim's steps
take eight): the job, the device's lastSeenAt, the audit entry and the post's status move
together, and the reply's post comes back with them. The post's status is the shared rule
(`derive_post_status`) at its one outcome here: a claimed job that is its platform's newest
makes the post PUBLISHING. The post row is updated (so locked, job first then post, as
everywhere) even when it already is, so a transaction on a sibling job that derives the
post's status waits for this claim and then sees the job CLAIMED (see `pg_core`). A claimed
job that is not its platform's newest (replaced by a reschedule) takes the shared rule in a
second transaction.
"""

from __future__ import annotations

import secrets

from contract import models as s
from server.store.pg_core import PgCore
from server.store.sqlite_jobs import HELD_OFF, SqliteJobs

__all__ = ["PgJobs"]

_CLAIM = (
    "WITH picked AS (SELECT id FROM publishing_jobs WHERE {where}"
    " ORDER BY scheduled_at, rowid LIMIT 1 FOR UPDATE SKIP LOCKED),"
    " claimed AS (UPDATE publishing_jobs SET status = 'CLAIMED',"
    " locked_by_device_id = :device, locked_at = :now, lease_token = :lease,"
    " cancel_requested = 0, confirm_decision = NULL, updated_at = :now"
    " WHERE id IN (SELECT id FROM picked) AND status = 'QUEUED' RETURNING *),"
    " seen AS (UPDATE devices SET last_seen_at = :now WHERE id = :device"
    " AND EXISTS (SELECT 1 FROM claimed)),"
    " logged AS (INSERT INTO audit_log (at, action, job_id, post_id, device_id, detail)"
    " SELECT :now, 'JOB_CLAIMED', id, post_id, :device, '{{}}' FROM claimed),"
    " newest AS (SELECT NOT EXISTS (SELECT 1 FROM publishing_jobs n, claimed c"
    " WHERE n.post_id = c.post_id AND n.platform = c.platform AND n.rowid > c.rowid) AS yes),"
    " moved AS (UPDATE posts p SET"
    " status = CASE WHEN newest.yes THEN 'PUBLISHING' ELSE p.status END,"
    " updated_at = CASE WHEN newest.yes AND p.status <> 'PUBLISHING' THEN :now"
    " ELSE p.updated_at END"
    " FROM claimed c, newest WHERE p.id = c.post_id RETURNING p.*)"
    " SELECT c.*, newest.yes AS claim_newest, to_jsonb(moved) AS claim_post,"
    " (SELECT COALESCE(jsonb_agg(jsonb_build_array(w.id, w.platform, w.account)"
    " ORDER BY w.rowid), '[]'::jsonb) FROM publishing_jobs w"
    " WHERE w.post_id = c.post_id AND w.status = 'NEEDS_LOGIN') AS claim_needs_login"
    " FROM claimed c, newest, moved"
)


class PgJobs(SqliteJobs, PgCore):
    def claim(
        self, device_id: str, platforms: list[str], accounts: list[s.Target]
    ) -> s.ClaimResponse | None:
        """Hand the oldest due QUEUED job that matches to this device, or None."""
        if not platforms:
            return None
        now = self.clock()
        where = "status = 'QUEUED' AND scheduled_at <= :now AND platform = ANY(:platforms)"
        args: dict[str, object] = {"now": now, "platforms": platforms, "device": device_id,
                                   "lease": secrets.token_urlsafe(24)}
        if accounts:
            where += " AND (platform || '/' || account) = ANY(:accounts)"
            args["accounts"] = [f"{a.platform}/{a.account}" for a in accounts]
        where += HELD_OFF.replace("?", ":device", 1).replace("?", ":now", 1)
        with self._statement() as db:
            row = db.execute(_CLAIM.format(where=where), args).fetchone()
        if row is None:
            return None
        if row["claim_newest"]:
            post = self._post_of(row["claim_post"], row["claim_needs_login"])
        else:  # replaced by a reschedule: the shared rule decides the post's status
            with self._tx() as db:
                self._sync_post_status(db, row["post_id"])
                post_row = db.execute("SELECT * FROM posts WHERE id = ?",
                                      (row["post_id"],)).fetchone()
                post = self._post(db, post_row)
        verify = None
        if row["verify_first"]:
            with self._read() as db:
                verify = self._verify_hint(db, row)
        return s.ClaimResponse(job=self._job(row), lease_token=str(args["lease"]),
                               post=post, verify=verify)
