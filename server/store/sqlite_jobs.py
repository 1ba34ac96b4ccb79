"""The device side of a job in SQLite: claim, start, events, proofs, confirm, complete.

Every state change is one UPDATE whose WHERE re-checks the state (and lease) it expects, so a
change that raced it (the recovery loop, an operator, another device) is never overwritten.
"""

from __future__ import annotations

import secrets
import sqlite3

from contract import codes
from contract import models as s
from server import errors
from server.store.sqlite_core import SqliteCore, must_dt, new_id

LIVE_RUN_JOB = ("RUNNING", "AWAITING_CONFIRM")
# A device that handed back this many jobs in a row has its claims held off, first for
# HOLD_BASE_S, doubling with each further release, at most HOLD_MAX_S (issue 12, defect 4).
RELEASE_STREAK = 3
HOLD_BASE_S = 5.0
HOLD_MAX_S = 300.0
# The claim's condition for that (both backends): this device is not held off now.
HELD_OFF = " AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = ? AND d.held_until > ?)"


def hold_for(streak: int) -> float | None:
    """Seconds to hold a device's claims after its `streak`-th release in a row, or None."""
    if streak < RELEASE_STREAK:
        return None
    return min(HOLD_BASE_S * float(2 ** min(streak - RELEASE_STREAK, 16)), HOLD_MAX_S)


class SqliteJobs(SqliteCore):
    # --- claim ---------------------------------------------------------------------------

    def claim(
        self, device_id: str, platforms: list[str], accounts: list[s.Target]
    ) -> s.ClaimResponse | None:
        """Hand the oldest due QUEUED job that matches to this device, or None.

        In SQLite one UPDATE … WHERE id = (SELECT … LIMIT 1) AND status = 'QUEUED' is atomic
        (writers are serialised); PostgreSQL would use FOR UPDATE SKIP LOCKED in the subquery.
        """
        if not platforms:
            return None
        now = self.clock()
        where = f"status = 'QUEUED' AND scheduled_at <= ? AND platform IN ({_marks(platforms)})"
        args: list[object] = [now, *platforms]
        if accounts:
            where += f" AND (platform || '/' || account) IN ({_marks(accounts)})"
            args += [f"{a.platform}/{a.account}" for a in accounts]
        where += HELD_OFF
        args += [device_id, now]
        lease = secrets.token_urlsafe(24)
        with self._tx() as db:
            row = db.execute(
                "UPDATE publishing_jobs SET status = 'CLAIMED', locked_by_device_id = ?,"
                " locked_at = ?, lease_token = ?, cancel_requested = 0,"
                " confirm_decision = NULL, updated_at = ?"
                f" WHERE id = (SELECT id FROM publishing_jobs WHERE {where}"
                " ORDER BY scheduled_at, rowid LIMIT 1) AND status = 'QUEUED' RETURNING *",
                [device_id, now, lease, now, *args],
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", (now, device_id))
            self._audit(db, "JOB_CLAIMED", job_id=row["id"], post_id=row["post_id"],
                        device_id=device_id)
            self._sync_post_status(db, row["post_id"])
            post_row = db.execute("SELECT * FROM posts WHERE id = ?", (row["post_id"],)).fetchone()
            return s.ClaimResponse(job=self._job(row), lease_token=lease,
                                   post=self._post(db, post_row),
                                   verify=self._verify_hint(db, row))

    def _verify_hint(self, db: sqlite3.Connection, row: sqlite3.Row) -> s.VerifyHint | None:
        """For a job that must verify first: when its earliest attempt that reached publish
        started (any attempt when none is marked), and the URLs other jobs of the same
        platform and account hold, so a post with the same text is not taken for this one's.
        Plain SQL both backends read alike."""
        if not row["verify_first"]:
            return None
        started = db.execute(
            "SELECT MIN(started_at) AS t FROM publishing_runs WHERE job_id = ?"
            " AND reached_publish = 1", (row["id"],)).fetchone()["t"]
        if started is None:
            started = db.execute("SELECT MIN(started_at) AS t FROM publishing_runs"
                                 " WHERE job_id = ?", (row["id"],)).fetchone()["t"]
        urls = [r["post_url"] for r in db.execute(
            "SELECT post_url FROM publishing_jobs WHERE platform = ? AND account = ?"
            " AND id <> ? AND post_url IS NOT NULL ORDER BY updated_at DESC LIMIT ?",
            (row["platform"], row["account"], row["id"], s.MAX_CLAIMED_URLS))]
        return s.VerifyHint(
            publish_started_at=None if started is None else must_dt(float(started)),
            claimed_urls=urls)

    # --- holding a job -------------------------------------------------------------------

    def _held(self, db: sqlite3.Connection, job_id: str, device_id: str, lease: str) -> sqlite3.Row:
        """The job row if this device holds it with this lease; 404, 403 or 409 otherwise."""
        row = self._job_row(db, job_id)
        if row is None:
            raise errors.NotFound(f"no job {job_id}")
        holder = row["locked_by_device_id"]
        if holder is not None and holder != device_id:
            raise errors.Forbidden(f"job {job_id} is held by another device")
        if holder is None or row["lease_token"] != lease:
            raise errors.LeaseLost(
                f"job {job_id} is {row['status']} and no longer held with this lease"
            )
        return row

    def _run(self, db: sqlite3.Connection, job_id: str, run_id: str, lease: str) -> sqlite3.Row:
        run: sqlite3.Row | None = db.execute(
            "SELECT * FROM publishing_runs WHERE id = ? AND job_id = ?", (run_id, job_id)
        ).fetchone()
        if run is None:
            raise errors.NotFound(f"no run {run_id} of job {job_id}")
        if run["lease_token"] != lease:
            raise errors.LeaseLost(f"run {run_id} belongs to an earlier lease")
        return run

    def _evidence_run(
        self, db: sqlite3.Connection, job_id: str, device_id: str, lease: str, run_id: str
    ) -> sqlite3.Row | None:
        """This device's own run, started with this lease, that reached the publish step: it
        may have published, so it keeps the right to deliver its evidence (proofs, logs) after
        its job was taken back (recovered, re-claimed). Nothing it sends moves the job."""
        run: sqlite3.Row | None = db.execute(
            "SELECT * FROM publishing_runs WHERE id = ? AND job_id = ? AND device_id = ?"
            " AND lease_token = ? AND reached_publish = 1",
            (run_id, job_id, device_id, lease),
        ).fetchone()
        return run

    def _attachable(
        self, db: sqlite3.Connection, job_id: str, device_id: str, lease: str, run_id: str
    ) -> bool:
        """Whether files may be attached to this run: the holder's run (True), or a run that
        keeps its right to deliver evidence (False); raises otherwise (404, 403, 409)."""
        try:
            self._held(db, job_id, device_id, lease)
            self._run(db, job_id, run_id, lease)
        except (errors.Forbidden, errors.LeaseLost):
            if self._evidence_run(db, job_id, device_id, lease, run_id) is None:
                raise
            return False
        return True

    def check_held(self, job_id: str, device_id: str, lease: str, run_id: str) -> None:
        """Raise unless the device may attach things to this run (used before writing bytes)."""
        with self._read() as db:
            self._attachable(db, job_id, device_id, lease, run_id)

    def start(self, job_id: str, device_id: str, lease: str) -> str:
        """CLAIMED → RUNNING with a new run; repeating it on the same lease returns that run."""
        now = self.clock()
        with self._tx() as db:
            row = self._held(db, job_id, device_id, lease)
            existing = db.execute(
                "SELECT id FROM publishing_runs WHERE job_id = ? AND lease_token = ?",
                (job_id, lease),
            ).fetchone()
            if existing is not None:
                return str(existing["id"])
            if row["status"] != "CLAIMED":
                raise errors.InvalidTransition(f"job {job_id} is {row['status']}, not CLAIMED")
            attempt = db.execute(
                "SELECT COUNT(*) FROM publishing_runs WHERE job_id = ?", (job_id,)
            ).fetchone()[0] + 1
            run_id = new_id("run")
            db.execute(
                "INSERT INTO publishing_runs (id, job_id, attempt, device_id, lease_token,"
                " status, started_at) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?)",
                (run_id, job_id, attempt, device_id, lease, now),
            )
            db.execute(
                "UPDATE publishing_jobs SET status = 'RUNNING', updated_at = ?"
                " WHERE id = ? AND status = 'CLAIMED' AND lease_token = ?",
                (now, job_id, lease),
            )
            self._audit(db, "JOB_STARTED", job_id=job_id, post_id=row["post_id"],
                        device_id=device_id, runId=run_id, attempt=attempt)
            self._sync_post_status(db, row["post_id"])
            return run_id

    def add_events(self, job_id: str, device_id: str, req: s.EventsRequest) -> s.EventsResponse:
        """Store new events (a repeated (run, seq) is ignored); every call counts as progress.

        A run whose job was taken back after it reached publish still has its events kept
        (its logs say what happened), but the call is refused all the same: 409, stop."""
        now = self.clock()
        refused: errors.ApiError | None = None
        with self._tx() as db:
            try:
                self._held(db, job_id, device_id, req.lease_token)
                self._run(db, job_id, req.run_id, req.lease_token)
            except (errors.Forbidden, errors.LeaseLost) as exc:
                if self._evidence_run(db, job_id, device_id, req.lease_token,
                                      req.run_id) is None:
                    raise
                refused = exc
            db.executemany(
                "INSERT INTO run_events (run_id, seq, at, phase, step, level, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, seq) DO NOTHING",
                [(req.run_id, e.seq, e.at.isoformat(), e.phase, e.step, e.level, e.message)
                 for e in req.events],
            )
            if refused is None:
                if any(e.phase == "publish" for e in req.events):
                    db.execute("UPDATE publishing_runs SET reached_publish = 1 WHERE id = ?",
                               (req.run_id,))
                db.execute(
                    "UPDATE publishing_jobs SET updated_at = ? WHERE id = ? AND lease_token = ?"
                    " AND status IN ('RUNNING', 'AWAITING_CONFIRM')",
                    (now, job_id, req.lease_token),
                )
                db.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?",
                           (now, device_id))
                job = self._job(self._job_row(db, job_id))  # type: ignore[arg-type]
        if refused is not None:
            raise refused  # after the commit: the events stay
        return s.EventsResponse(status=job.status, cancel_requested=job.cancel_requested,
                                confirm_decision=job.confirm_decision)

    def add_proof(
        self, job_id: str, device_id: str, lease: str, run_id: str, kind: s.ProofKind,
        asset: s.Asset,
    ) -> str:
        """Record a stored proof; a repeat of (run, kind, sha256) is the same proof."""
        with self._tx() as db:
            if self._run_file(db, "run_proofs", job_id, device_id, lease, run_id, kind.value,
                              asset):
                db.execute(
                    "UPDATE publishing_jobs SET proof_screenshot_asset_id = ? WHERE id = ?",
                    (asset.asset_id, job_id),
                )
        return asset.asset_id

    def add_snapshot(
        self, job_id: str, device_id: str, lease: str, run_id: str, kind: s.SnapshotKind,
        asset: s.Asset,
    ) -> str:
        """Record a failure snapshot; a repeat of (run, kind, sha256) is the same one."""
        with self._tx() as db:
            self._run_file(db, "run_snapshots", job_id, device_id, lease, run_id, kind.value,
                           asset)
        return asset.asset_id

    def _run_file(self, db: sqlite3.Connection, table: str, job_id: str, device_id: str,
                  lease: str, run_id: str, kind: str, asset: s.Asset) -> bool:
        """A run's stored file (proof or snapshot), checked to belong to the holder's run or
        to a run that keeps its right to deliver evidence; True for the holder's."""
        held = self._attachable(db, job_id, device_id, lease, run_id)
        now = self.clock()
        db.execute(
            "INSERT INTO assets (id, content_type, size, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (asset.asset_id, asset.content_type, asset.size, now),
        )
        assert table in ("run_proofs", "run_snapshots")  # never from input
        db.execute(
            f"INSERT INTO {table} (run_id, kind, sha256, asset_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, kind, sha256) DO NOTHING",
            (run_id, kind, asset.sha256, asset.asset_id, now),
        )
        return held

    def awaiting_confirm(
        self, job_id: str, device_id: str, req: s.AwaitingConfirmRequest
    ) -> s.AwaitingConfirmResponse:
        """RUNNING → AWAITING_CONFIRM. `auto` approves at once; `manual` waits for the operator.

        Once proceeding is allowed the run counts as having reached publish: the device may
        click Publish right after this reply, so a lost attempt must verify before retrying.
        """
        now = self.clock()
        with self._tx() as db:
            row = self._held(db, job_id, device_id, req.lease_token)
            self._run(db, job_id, req.run_id, req.lease_token)
            if req.proof_asset_id is not None:
                self._require_assets(db, [req.proof_asset_id], "proofAssetId")
            status = row["status"]
            if status == "RUNNING":
                auto = row["confirm_mode"] == s.ConfirmMode.AUTO.value
                db.execute(
                    "UPDATE publishing_jobs SET status = 'AWAITING_CONFIRM', updated_at = ?,"
                    " confirm_decision = ?,"
                    " proof_screenshot_asset_id = COALESCE(?, proof_screenshot_asset_id)"
                    " WHERE id = ? AND status = 'RUNNING' AND lease_token = ?",
                    (now, "approved" if auto else None, req.proof_asset_id, job_id,
                     req.lease_token),
                )
                if auto:
                    db.execute("UPDATE publishing_runs SET reached_publish = 1 WHERE id = ?",
                               (req.run_id,))
                self._audit(db, "JOB_AWAITING_CONFIRM", job_id=job_id, post_id=row["post_id"],
                            device_id=device_id, confirmMode=row["confirm_mode"])
                self._sync_post_status(db, row["post_id"])
            elif status not in ("AWAITING_CONFIRM", "CANCELLED"):
                raise errors.InvalidTransition(f"job {job_id} is {status}, not RUNNING")
            job = self._job(self._job_row(db, job_id))  # type: ignore[arg-type]
        return s.AwaitingConfirmResponse(
            proceed=job.status is s.JobStatus.AWAITING_CONFIRM
            and job.confirm_decision is s.ConfirmDecision.APPROVED,
            confirm_decision=job.confirm_decision,
        )

    def complete(self, job_id: str, device_id: str, req: s.CompleteRequest) -> s.Job:
        """Finish a run. Idempotent; a late SUCCEEDED from a stale attempt is accepted as the
        truth about the platform (the post is live), anything else stale is 409."""
        with self._tx() as db:
            row = self._job_row(db, job_id)
            if row is None:
                raise errors.NotFound(f"no job {job_id}")
            run = db.execute(
                "SELECT * FROM publishing_runs WHERE id = ? AND job_id = ?", (req.run_id, job_id)
            ).fetchone()
            if run is None:
                raise errors.NotFound(f"no run {req.run_id} of job {job_id}")
            if run["device_id"] != device_id:
                raise errors.Forbidden(f"run {req.run_id} belongs to another device")
            if run["lease_token"] != req.lease_token:
                raise errors.LeaseLost(f"run {req.run_id} was started with another lease")
            self._require_assets(db, req.proof_asset_ids, "proofAssetIds")
            db.execute("UPDATE devices SET release_streak = 0, held_until = NULL WHERE id = ?"
                       " AND release_streak > 0", (device_id,))  # it finishes runs again
            if row["status"] != "SUCCEEDED":
                self._finish(db, row, run, self._unclaimed(db, row, req))
            elif req.outcome is s.Outcome.SUCCEEDED and run["status"] != "SUCCEEDED":
                self._run_succeeded_too(db, row, run, req)
            self._sync_post_status(db, row["post_id"])
            return self._job(self._job_row(db, job_id))  # type: ignore[arg-type]

    def _finish(
        self, db: sqlite3.Connection, row: sqlite3.Row, run: sqlite3.Row, req: s.CompleteRequest
    ) -> None:
        now = self.clock()
        job_id, status = row["id"], row["status"]
        current = row["lease_token"] == req.lease_token and row["locked_by_device_id"] == run[
            "device_id"]
        proof = req.proof_asset_ids[-1] if req.proof_asset_ids else None
        message = req.error_message or req.error_code
        if current and status in LIVE_RUN_JOB:
            outcome = req.outcome.value
            db.execute(
                "UPDATE publishing_jobs SET status = ?, updated_at = ?, post_url = COALESCE(?,"
                " post_url), proof_screenshot_asset_id = COALESCE(?, proof_screenshot_asset_id),"
                " last_error_message = CASE WHEN ? = 'SUCCEEDED' THEN NULL"
                " ELSE ? END WHERE id = ? AND lease_token = ?"
                " AND status IN ('RUNNING', 'AWAITING_CONFIRM')",
                (outcome, now, req.post_url, proof, outcome, message or outcome, job_id,
                 req.lease_token),
            )
            self._end_run(db, run["id"], outcome, req.error_code, req.error_message)
            self._audit(db, f"JOB_{outcome}", job_id=job_id, post_id=row["post_id"],
                        device_id=run["device_id"], runId=run["id"], errorCode=req.error_code,
                        errorMessage=req.error_message)
        elif req.outcome is s.Outcome.SUCCEEDED:
            # Late truth: this attempt published. Any newer attempt is told to stop, and the
            # record says so: no timeout left on the job or on this run.
            db.execute(
                "UPDATE publishing_jobs SET status = 'SUCCEEDED', updated_at = ?,"
                " last_error_message = NULL, post_url = COALESCE(?, post_url),"
                " proof_screenshot_asset_id = COALESCE(?, proof_screenshot_asset_id),"
                " cancel_requested = CASE WHEN status IN ('CLAIMED','RUNNING','AWAITING_CONFIRM')"
                " THEN 1 ELSE 0 END WHERE id = ? AND status = ?",
                (now, req.post_url, proof, job_id, status),
            )
            db.execute(
                "UPDATE publishing_runs SET status = 'CANCELLED', ended_at = ?,"
                " error_code = 'SUPERSEDED', error_message = ?"
                " WHERE job_id = ? AND id <> ? AND status = 'RUNNING'",
                (now, f"stopped: attempt {run['attempt']} reported that it had published",
                 job_id, run["id"]),
            )
            db.execute(
                "UPDATE publishing_runs SET status = 'SUCCEEDED', ended_at = ?,"
                " error_code = NULL, error_message = NULL WHERE id = ?",
                (now, run["id"]),
            )
            self._audit(db, "JOB_LATE_SUCCESS", job_id=job_id, post_id=row["post_id"],
                        device_id=run["device_id"], runId=run["id"], previousStatus=status)
        elif current and status == "CANCELLED":
            db.execute(
                "UPDATE publishing_jobs SET cancel_requested = 0 WHERE id = ? AND status ="
                " 'CANCELLED'", (job_id,),
            )
            self._end_run(db, run["id"], "CANCELLED", req.error_code, req.error_message)
        elif current and status == req.outcome.value:
            return  # a repeated completion
        else:
            raise errors.LeaseLost(
                f"job {job_id} is {status}; this run's lease is no longer valid"
            )

    def _run_succeeded_too(
        self, db: sqlite3.Connection, row: sqlite3.Row, run: sqlite3.Row, req: s.CompleteRequest
    ) -> None:
        """Another attempt of a SUCCEEDED job reports success too (the one that published,
        reporting late; or a newer one that verified the post is live): its run says so,
        whatever recovery or the other attempt had marked it."""
        now = self.clock()
        db.execute(
            "UPDATE publishing_runs SET status = 'SUCCEEDED', error_code = NULL,"
            " error_message = NULL, ended_at = COALESCE(ended_at, ?) WHERE id = ?",
            (now, run["id"]),
        )
        db.execute(
            "UPDATE publishing_jobs SET last_error_message = NULL,"
            " post_url = COALESCE(post_url, ?) WHERE id = ? AND status = 'SUCCEEDED'",
            (req.post_url, row["id"]),
        )
        self._audit(db, "RUN_SUCCEEDED_LATE", job_id=row["id"], post_id=row["post_id"],
                    device_id=run["device_id"], runId=run["id"],
                    previousRunStatus=run["status"])

    def release(self, job_id: str, device_id: str, req: s.ReleaseRequest) -> s.Job:
        """A job handed back before publish: QUEUED again, its attempt not counted (nothing
        went wrong with it). A run that reached publish must complete instead."""
        now = self.clock()
        with self._tx() as db:
            row = self._held(db, job_id, device_id, req.lease_token)
            run = db.execute(
                "SELECT * FROM publishing_runs WHERE id = ? AND job_id = ? AND lease_token = ?",
                (req.run_id, job_id, req.lease_token),
            ).fetchone()
            if run is None:
                raise errors.NotFound(f"no run {req.run_id} of job {job_id} on this lease")
            if run["reached_publish"]:
                raise errors.InvalidTransition(
                    f"run {req.run_id} reached the publish step; complete it instead")
            moved = db.execute(
                "UPDATE publishing_jobs SET status = 'QUEUED', locked_by_device_id = NULL,"
                " locked_at = NULL, lease_token = NULL, confirm_decision = NULL,"
                " cancel_requested = 0, updated_at = ? WHERE id = ? AND lease_token = ?"
                " AND status IN ('CLAIMED', 'RUNNING', 'AWAITING_CONFIRM') RETURNING id",
                (now, job_id, req.lease_token),
            ).fetchone()
            if moved is None:
                raise errors.InvalidTransition(f"job {job_id} is {row['status']}; not held")
            self._end_run(db, run["id"], "CANCELLED", "RELEASED",
                          f"handed back by the device: {req.reason}".strip(": "))
            self._audit(db, "JOB_RELEASED", job_id=job_id, post_id=row["post_id"],
                        device_id=device_id, runId=run["id"], reason=req.reason)
            self._count_release(db, device_id, now)
            self._sync_post_status(db, row["post_id"])
            return self._job(self._job_row(db, job_id))  # type: ignore[arg-type]

    def _unclaimed(self, db: sqlite3.Connection, row: sqlite3.Row,
                   req: s.CompleteRequest) -> s.CompleteRequest:
        """A success at a URL another job of the account already holds is not this job's
        post (a verify-first that took another post with the same text, from a device that
        predates the claim's verify hint): recorded as inconclusive, for the operator."""
        if req.outcome is not s.Outcome.SUCCEEDED or req.post_url is None:
            return req
        other = db.execute(
            "SELECT id FROM publishing_jobs WHERE platform = ? AND account = ? AND id <> ?"
            " AND post_url = ? LIMIT 1",
            (row["platform"], row["account"], row["id"], req.post_url)).fetchone()
        if other is None:
            return req
        return req.model_copy(update={
            "outcome": s.Outcome.FAILED, "error_code": codes.VERIFY_IMPOSSIBLE, "post_url": None,
            "error_message": f"the device reported {req.post_url}, which job {other[0]} already "
            "holds: this post may not be live; look at the account before retrying"})

    def _count_release(self, db: sqlite3.Connection, device_id: str, now: float) -> None:
        """One more hand-back by this device; past a streak its claims are held off."""
        streak = int(db.execute(
            "UPDATE devices SET releases = releases + 1, release_streak = release_streak + 1"
            " WHERE id = ? RETURNING release_streak", (device_id,)).fetchone()[0])
        hold = hold_for(streak)
        if hold is not None:
            db.execute("UPDATE devices SET held_until = ? WHERE id = ?", (now + hold, device_id))
            self._audit(db, "DEVICE_HELD_OFF", device_id=device_id, releases=streak,
                        seconds=hold)

    def _end_run(
        self, db: sqlite3.Connection, run_id: str, status: str, code: str | None,
        message: str | None,
    ) -> None:
        db.execute(
            "UPDATE publishing_runs SET status = ?, error_code = ?, error_message = ?,"
            " ended_at = ? WHERE id = ? AND status = 'RUNNING'",
            (status, code, message, self.clock(), run_id),
        )


def _marks(values: list[str] | list[s.Target]) -> str:
    return ", ".join("?" for _ in values)
