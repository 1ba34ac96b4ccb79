"""The SQLite store: the default backend, one file in WAL mode, migrated on open."""

from __future__ import annotations

from server.store.base import Store
from server.store.sqlite_definitions import SqliteDefinitions
from server.store.sqlite_devices import SqliteDevices
from server.store.sqlite_health import SqliteHealth
from server.store.sqlite_jobs import SqliteJobs
from server.store.sqlite_ops import SqliteOps
from server.store.sqlite_posts import SqlitePosts
from server.store.sqlite_prune import SqlitePrune
from server.store.sqlite_recovery import SqliteRecovery


class SqliteStore(SqlitePosts, SqliteJobs, SqliteOps, SqliteDevices, SqliteRecovery, SqliteHealth,
                  SqlitePrune, SqliteDefinitions, Store):
    """All parts over one connection (see `sqlite_core` for the locking rules)."""
