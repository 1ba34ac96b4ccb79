"""Schema versioning for SQLite: numbered `sql/NNN_name.sql` files applied once, in order.

The applied version lives in `PRAGMA user_version`; each file runs in its own transaction
together with the version bump, so a crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

import logging
import sqlite3
from importlib import resources

log = logging.getLogger(__name__)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("server.store").joinpath("sql").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to the newest version; returns the version reached."""
    version = current_version(conn)
    for number, name, sql in migrations():
        if number <= version:
            continue
        log.info("applying migration %s", name, extra={"action": "migrate"})
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        version = number
    return version
