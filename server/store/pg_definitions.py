"""Definitions versions in PostgreSQL: the shared statements, with pushes serialised.

Under READ COMMITTED two pushes at once would both read the same highest version and one
would fail on the primary key; a transaction-scoped advisory lock makes the second wait for
the first to commit, so versions stay consecutive and the current row is never raced.
"""

from __future__ import annotations

import sqlite3

from server.store.pg_core import PgCore
from server.store.sqlite_definitions import SqliteDefinitions

__all__ = ["DEFINITIONS_LOCK", "PgDefinitions"]

DEFINITIONS_LOCK = 0x70756264  # "pubd": the advisory lock key every replica agrees on


class PgDefinitions(SqliteDefinitions, PgCore):
    def _serialize_definitions(self, db: sqlite3.Connection) -> None:
        db.execute("SELECT pg_advisory_xact_lock(?)", (DEFINITIONS_LOCK,))
