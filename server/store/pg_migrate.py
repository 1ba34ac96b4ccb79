"""Schema versioning for PostgreSQL: the same numbered files as SQLite, under an advisory lock.

Two replicas starting together both call `migrate`; the transaction-scoped advisory lock makes
the second wait until the first has committed, then it finds nothing left to apply. DDL is
transactional in PostgreSQL, so a failed file leaves the previous version intact.
"""

from __future__ import annotations

import logging

import psycopg

from server.store.migrate import migrations

__all__ = ["MIGRATION_LOCK", "current_version", "migrate"]

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x7075626C  # "publ": the advisory lock key every replica agrees on

_VERSIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL"
    " DEFAULT now())"
)


def current_version(conn: psycopg.Connection[object]) -> int:
    row = conn.execute(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
    ).fetchone()
    return int(row[0]) if row else 0  # type: ignore[index]


def migrate(conn: psycopg.Connection[object]) -> int:
    """Bring the schema up to the newest version; returns the version reached."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(_VERSIONS)
        version = current_version(conn)
        for number, name, sql in migrations("postgresql"):
            if number <= version:
                continue
            log.info("applying migration %s", name, extra={"action": "migrate"})
            conn.execute(sql.encode())  # several statements, no parameters
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (number, name)
            )
            version = number
    return version
