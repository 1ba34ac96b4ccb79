"""Posts, scheduling (the idempotent UPSERT) and asset records in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone

from contract import models as s
from server import errors
from server.states import SCHEDULABLE_POSTS
from server.store.sqlite_core import SqliteCore, new_id


def canonical_time(at: datetime) -> str:
    """The scheduledAt spelling inside idempotency keys: UTC, `Z`, no needless digits."""
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class SqlitePosts(SqliteCore):
    def create_post(self, req: s.PostCreate) -> s.PostDetail:
        platforms = [t.platform for t in req.targets]
        if len(set(platforms)) != len(platforms):
            raise errors.Invalid("targets: at most one target per platform")
        now = self.clock()
        post_id = new_id("post")
        with self._tx() as db:
            self._require_assets(db, req.media, "media")
            db.execute(
                "INSERT INTO posts (id, text, media, targets, confirm_mode, status,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'DRAFT', ?, ?)",
                (
                    post_id,
                    req.text,
                    json.dumps(req.media),
                    json.dumps([t.model_dump() for t in req.targets]),
                    req.confirm_mode.value,
                    now,
                    now,
                ),
            )
            self._audit(db, "POST_CREATED", post_id=post_id)
            return self._post_detail(db, self._post_row(db, post_id))

    def transition_post(
        self, post_id: str, allowed: set[s.PostStatus], to: s.PostStatus
    ) -> s.PostDetail:
        with self._tx() as db:
            row = self._post_row(db, post_id)
            if s.PostStatus(row["status"]) not in allowed:
                raise errors.InvalidTransition(
                    f"post {post_id} is {row['status']}; cannot move to {to.value}"
                )
            db.execute(
                "UPDATE posts SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                (to.value, self.clock(), post_id, row["status"]),
            )
            self._audit(db, f"POST_{to.value}", post_id=post_id, fromStatus=row["status"])
            return self._post_detail(db, self._post_row(db, post_id))

    def schedule(
        self, post_id: str, at: datetime, *, max_attempts: int, online_window: float,
        extra_warnings: Sequence[str] = (),
    ) -> s.PostDetail:
        """One job per target; calling again returns the same jobs and changes none past
        QUEUED. A live QUEUED job with another time is moved; a live job past QUEUED stays
        and the reply warns. `extra_warnings` (the service's, e.g. a broken canary) are
        kept with the post's own."""
        now = self.clock()
        ts = at.timestamp()
        when = canonical_time(at)
        with self._tx() as db:
            row = self._post_row(db, post_id)
            if s.PostStatus(row["status"]) not in SCHEDULABLE_POSTS:
                raise errors.InvalidTransition(
                    f"post {post_id} is {row['status']}; approve it before scheduling"
                )
            warnings: list[str] = []
            for t in json.loads(row["targets"]):
                target = s.Target.model_validate(t)
                key = f"{post_id}:{target.platform}:{when}"
                warnings += self._schedule_target(db, post_id, target, key, ts, max_attempts)
                warning = self._login_warning(db, target, now - online_window)
                if warning:
                    warnings.append(warning)
            warnings += extra_warnings
            db.execute(
                "UPDATE posts SET status = 'SCHEDULED', warnings = ?, updated_at = ?"
                " WHERE id = ?",
                (json.dumps(warnings), now, post_id),
            )
            self._sync_post_status(db, post_id)
            self._audit(db, "POST_SCHEDULED", post_id=post_id, scheduledAt=when)
            return self._post_detail(db, self._post_row(db, post_id))

    def _schedule_target(
        self,
        db: sqlite3.Connection,
        post_id: str,
        target: s.Target,
        key: str,
        ts: float,
        max_attempts: int,
    ) -> list[str]:
        now = self.clock()
        if db.execute("SELECT 1 FROM publishing_jobs WHERE idempotency_key = ?", (key,)).fetchone():
            # The UPSERT's update half: only a job still QUEUED may change.
            db.execute(
                "UPDATE publishing_jobs SET account = ?, updated_at = ?"
                " WHERE idempotency_key = ? AND status = 'QUEUED' AND account <> ?",
                (target.account, now, key, target.account),
            )
            return []
        live = db.execute(
            "SELECT id, status FROM publishing_jobs WHERE post_id = ? AND platform = ?"
            " AND status IN ('QUEUED','CLAIMED','RUNNING','AWAITING_CONFIRM','NEEDS_LOGIN')",
            (post_id, target.platform),
        ).fetchone()
        if live is not None and live["status"] == "QUEUED":
            db.execute(
                "UPDATE publishing_jobs SET scheduled_at = ?, idempotency_key = ?, account = ?,"
                " updated_at = ? WHERE id = ? AND status = 'QUEUED'",
                (ts, key, target.account, now, live["id"]),
            )
            self._audit(db, "JOB_RESCHEDULED", job_id=live["id"], post_id=post_id)
            return []
        if live is not None:
            return [
                f"{target.platform}: job {live['id']} is {live['status']}; not rescheduled"
            ]
        job_id = new_id("job")
        db.execute(
            "INSERT INTO publishing_jobs (id, post_id, platform, account, status, scheduled_at,"
            " idempotency_key, max_attempts, confirm_mode, created_at, updated_at)"
            " SELECT ?, ?, ?, ?, 'QUEUED', ?, ?, ?, p.confirm_mode, ?, ? FROM posts p"
            " WHERE p.id = ?"
            " ON CONFLICT (idempotency_key) DO UPDATE SET updated_at = excluded.updated_at"
            " WHERE publishing_jobs.status = 'QUEUED'",
            (job_id, post_id, target.platform, target.account, ts, key, max_attempts, now, now,
             post_id),
        )
        self._audit(db, "JOB_CREATED", job_id=job_id, post_id=post_id, idempotencyKey=key)
        return []

    def _login_warning(
        self, db: sqlite3.Connection, target: s.Target, seen_after: float
    ) -> str | None:
        """None when an online device is logged in for the target. An online device that
        carries the account but has not checked its login yet is said as such: that is not
        the same as no device, and it resolves itself at the device's first check."""
        rows = db.execute(
            "SELECT d.name, d.accounts, l.logged_in FROM devices d LEFT JOIN device_logins l"
            " ON l.device_id = d.id AND l.platform = ? AND l.account = ?"
            " WHERE d.last_seen_at >= ? ORDER BY d.created_at, d.id",
            (target.platform, target.account, seen_after),
        ).fetchall()
        key = f"{target.platform}/{target.account}"
        unchecked = []
        for r in rows:
            if r["logged_in"] is not None and bool(r["logged_in"]):
                return None
            carries = any(a.get("platform") == target.platform
                          and a.get("account") == target.account
                          for a in json.loads(r["accounts"]))
            if r["logged_in"] is None and carries:
                unchecked.append(str(r["name"]))
        if unchecked:
            return (f"the login for {key} is not yet checked on online device"
                    f" {', '.join(unchecked)}: it is published once the device sees the login")
        return f"no online device has a logged-in profile for {key}"

    def get_post(self, post_id: str) -> s.PostDetail:
        with self._read() as db:
            return self._post_detail(db, self._post_row(db, post_id))

    def list_posts(
        self, status: s.PostStatus | None, limit: int, *, newest_first: bool = False
    ) -> list[s.PostDetail]:
        sql = "SELECT * FROM posts"
        args: list[object] = []
        if status is not None:
            sql += " WHERE status = ?"
            args.append(status.value)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?" if newest_first else (
            " ORDER BY created_at, id LIMIT ?")
        args.append(limit)
        with self._read() as db:
            return [self._post_detail(db, r) for r in db.execute(sql, args).fetchall()]

    def _post_row(self, db: sqlite3.Connection, post_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM posts WHERE id = ?", (post_id,)
        ).fetchone()
        if row is None:
            raise errors.NotFound(f"no post {post_id}")
        return row

    # --- assets --------------------------------------------------------------------------

    def add_asset(self, asset: s.Asset) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO assets (id, content_type, size, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                (asset.asset_id, asset.content_type, asset.size, self.clock()),
            )

    def get_asset(self, asset_id: str) -> s.Asset:
        with self._read() as db:
            row = db.execute("SELECT * FROM assets WHERE id = ?", (asset_id,)).fetchone()
        if row is None:
            raise errors.NotFound(f"no asset {asset_id}")
        return s.Asset(
            asset_id=row["id"], content_type=row["content_type"], size=row["size"],
            sha256=row["id"],
        )
