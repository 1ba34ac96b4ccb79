"""Devices in SQLite: registration, heartbeats, login state and check-login requests."""

from __future__ import annotations

import json
import sqlite3

from contract import models as s
from server import errors
from server.store.base import Recovered
from server.store.sqlite_core import SqliteCore, new_id, to_dt


class SqliteDevices(SqliteCore):
    def register_device(self, req: s.RegisterRequest, token_hash: str) -> str:
        device_id = new_id("dev")
        now = self.clock()
        with self._tx() as db:
            db.execute(
                "INSERT INTO devices (id, name, token_hash, platforms, accounts, version,"
                " last_seen_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (device_id, req.name, token_hash, json.dumps(req.platforms),
                 json.dumps([a.model_dump() for a in req.accounts]), req.version, now, now),
            )
            self._audit(db, "DEVICE_REGISTERED", device_id=device_id, name=req.name)
        return device_id

    def device_for_token(self, token_hash: str) -> str | None:
        with self._read() as db:
            row = db.execute("SELECT id FROM devices WHERE token_hash = ?",
                             (token_hash,)).fetchone()
        return None if row is None else str(row[0])

    def heartbeat(self, device_id: str, req: s.HeartbeatRequest) -> s.HeartbeatResponse:
        """Refresh lastSeenAt and login state; reply with jobs to stop and a login check."""
        now = self.clock()
        with self._tx() as db:
            flag = self._device_row(db, device_id)["check_login_requested"]
            db.execute(
                "UPDATE devices SET last_seen_at = ?, current_job_id = ? WHERE id = ?",
                (now, req.current_job_id, device_id),
            )
            stale = False
            for state in req.login_status:
                at = state.checked_at.timestamp() if state.checked_at else now
                if self._newer_login(db, device_id, state, at):
                    stale = True  # keep the newer news; the device is told to check again
                    continue
                self._save_login(db, device_id, state.platform, state.account, state.logged_in,
                                 at)
            cancel = [r[0] for r in db.execute(
                "SELECT id FROM publishing_jobs WHERE locked_by_device_id = ?"
                " AND cancel_requested = 1 ORDER BY rowid", (device_id,),
            )]
            if req.current_job_id and req.current_job_id not in cancel:
                # The job it thinks it runs was taken from it (recovered, or another device).
                lost = db.execute(
                    "SELECT 1 FROM publishing_jobs WHERE id = ? AND status IN"
                    " ('CLAIMED','RUNNING','AWAITING_CONFIRM')"
                    " AND (locked_by_device_id IS NULL OR locked_by_device_id <> ?)",
                    (req.current_job_id, device_id),
                ).fetchone()
                if lost:
                    cancel.append(req.current_job_id)
        return s.HeartbeatResponse(cancel_job_ids=cancel, check_login=bool(flag) or stale)

    def report_login(
        self, device_id: str, req: s.LoginStatusRequest
    ) -> list[Recovered]:
        """Record the device's login; logged in sends its NEEDS_LOGIN jobs back to QUEUED."""
        now = self.clock()
        with self._tx() as db:
            self._device_row(db, device_id)
            self._save_login(db, device_id, req.platform, req.account, req.logged_in, now)
            db.execute(
                "UPDATE devices SET check_login_requested = 0, last_seen_at = ? WHERE id = ?",
                (now, device_id),
            )
            if not req.logged_in:
                return []
            rows = db.execute(
                "UPDATE publishing_jobs SET status = 'QUEUED', locked_by_device_id = NULL,"
                " locked_at = NULL, lease_token = NULL, last_error_message = NULL, updated_at = ?"
                " WHERE status = 'NEEDS_LOGIN' AND platform = ? AND account = ?"
                " AND locked_by_device_id = ? RETURNING id, post_id, platform, account",
                (now, req.platform, req.account, device_id),
            ).fetchall()
            for r in rows:
                self._audit(db, "JOB_REQUEUED_AFTER_LOGIN", job_id=r["id"], post_id=r["post_id"],
                            device_id=device_id)
                self._sync_post_status(db, r["post_id"])
            return [
                Recovered(job_id=r["id"], status=s.JobStatus.QUEUED,
                          target=s.Target(platform=r["platform"], account=r["account"]))
                for r in rows
            ]

    def request_check_login(self, device_id: str) -> None:
        with self._tx() as db:
            self._device_row(db, device_id)
            db.execute("UPDATE devices SET check_login_requested = 1 WHERE id = ?", (device_id,))
            self._audit(db, "CHECK_LOGIN_REQUESTED", device_id=device_id)

    def list_devices(self, *, online_after: float) -> list[s.Device]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM devices ORDER BY created_at, id").fetchall()
            return [self._device(db, r, online_after) for r in rows]

    def _device(self, db: sqlite3.Connection, r: sqlite3.Row, online_after: float) -> s.Device:
        logins = [
            s.LoginState(platform=x["platform"], account=x["account"],
                         logged_in=bool(x["logged_in"]), checked_at=to_dt(x["checked_at"]))
            for x in db.execute(
                "SELECT * FROM device_logins WHERE device_id = ? ORDER BY platform, account",
                (r["id"],),
            )
        ]
        seen = r["last_seen_at"]
        online = seen is not None and seen >= online_after
        return s.Device(
            id=r["id"], name=r["name"],
            status=s.DeviceStatus.ONLINE if online else s.DeviceStatus.OFFLINE,
            last_seen_at=to_dt(seen), platforms=json.loads(r["platforms"]),
            accounts=[s.Target.model_validate(a) for a in json.loads(r["accounts"])],
            login_status=logins, current_job_id=r["current_job_id"], version=r["version"],
            releases=r["releases"], release_streak=r["release_streak"],
            held_until=to_dt(r["held_until"]),
        )

    def _device_row(self, db: sqlite3.Connection, device_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM devices WHERE id = ?", (device_id,)
        ).fetchone()
        if row is None:
            raise errors.NotFound(f"no device {device_id}")
        return row

    def _newer_login(
        self, db: sqlite3.Connection, device_id: str, state: s.LoginState, at: float
    ) -> bool:
        """Whether the server holds a different, later login state for this account than the
        heartbeat does: news from another process on the device (`publish-runner login` or
        `check-login`) the running daemon has not heard. Its reply then says `checkLogin`, so
        the daemon checks that profile again and claims once it sees the login."""
        known = db.execute(
            "SELECT logged_in, checked_at FROM device_logins WHERE device_id = ?"
            " AND platform = ? AND account = ?", (device_id, state.platform, state.account),
        ).fetchone()
        return (known is not None and known["checked_at"] is not None
                and bool(known["logged_in"]) != state.logged_in and known["checked_at"] > at)

    def _save_login(
        self, db: sqlite3.Connection, device_id: str, platform: str, account: str,
        logged_in: bool, checked_at: float,
    ) -> None:
        db.execute(
            "INSERT INTO device_logins (device_id, platform, account, logged_in, checked_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, platform, account)"
            " DO UPDATE SET logged_in = excluded.logged_in, checked_at = excluded.checked_at",
            (device_id, platform, account, 1 if logged_in else 0, checked_at),
        )
