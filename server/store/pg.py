"""The PostgreSQL store: several server processes on one database (a team's deployment).

The parts are the SQLite store's (statements in the SQL both engines speak, see `pg_core`)
with PostgreSQL's own claim (`pg_jobs`), row locks (`pg_core`), dashboard sessions
(`pg_sessions`) and cross-process notifications (`pg_listen`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from server.store.base import Store
from server.store.pg_core import PgCore
from server.store.pg_definitions import PgDefinitions
from server.store.pg_health import PgHealth
from server.store.pg_jobs import PgJobs
from server.store.pg_listen import CHANNEL, WAKE_ACTIONS, Listener
from server.store.pg_sessions import PgSessions
from server.store.sqlite_devices import SqliteDevices
from server.store.sqlite_ops import SqliteOps
from server.store.sqlite_posts import SqlitePosts
from server.store.sqlite_prune import SqlitePrune
from server.store.sqlite_recovery import SqliteRecovery

__all__ = ["PgStore"]


class PgStore(PgJobs, PgDefinitions, SqlitePosts, SqliteOps, SqliteDevices, SqliteRecovery,
              PgHealth, SqlitePrune, PgSessions, PgCore, Store):
    """All parts over one connection pool; `listen` wakes other replicas' long polls."""

    def _audit(
        self, db: sqlite3.Connection, action: str, *, job_id: str | None = None,
        post_id: str | None = None, device_id: str | None = None, **detail: Any,
    ) -> None:
        super()._audit(db, action, job_id=job_id, post_id=post_id, device_id=device_id,
                       **detail)
        if action in WAKE_ACTIONS:  # delivered at commit, with the change (see pg_listen)
            db.execute("SELECT pg_notify(?, ?)", (CHANNEL, action))

    def listen(self, on_change: Callable[[], None]) -> Callable[[], None]:
        return Listener(self.url, on_change).stop
