"""Moving a SQLite server's data into PostgreSQL (`publish-runner db copy`).

Both sides are first brought to the newest schema, so their tables match; then every table is
copied in one PostgreSQL transaction (all of it or nothing), in foreign-key order, with the
row order SQLite kept (its `rowid` becomes the jobs' `rowid` column, audit ids stay) and the
identity counters moved past the copied rows. The destination must be empty: a copy never
merges into a live database. Asset bytes are files, not rows: they move with the data
directory (docs/operations.md).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from common.errors import ConfigError
from server.store import pg_migrate
from server.store.migrate import migrate

__all__ = ["TABLES", "copy_sqlite_to_postgres"]

# Foreign-key order. `dashboard_sessions` is left out: sign-ins do not move between servers.
TABLES = ["posts", "assets", "publishing_jobs", "publishing_runs", "run_events", "run_proofs",
          "run_snapshots", "devices", "device_logins", "audit_log", "canary_results",
          "canary_proofs", "definitions_versions", "definitions_current"]
_IDENTITIES = [("publishing_jobs", "rowid"), ("audit_log", "id")]


def _columns(pg: psycopg.Connection[tuple[object, ...]], table: str) -> list[str]:
    rows = pg.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def copy_sqlite_to_postgres(source: Path, url: str) -> dict[str, int]:
    """Copy every row of the SQLite file `source` into the empty database at `url`;
    returns the number of rows per table."""
    if not source.is_file():
        raise ConfigError(f"{source}: no such SQLite file")
    lite = sqlite3.connect(str(source), isolation_level=None)
    try:
        return _copy(lite, url)
    except psycopg.OperationalError as exc:
        raise ConfigError(f"PostgreSQL: {exc}".strip()) from exc
    finally:
        lite.close()


def _copy(lite: sqlite3.Connection, url: str) -> dict[str, int]:
    migrate(lite)
    with psycopg.connect(url) as pg:
        pg_migrate.migrate(pg)
        counts: dict[str, int] = {}
        with pg.transaction():
            for table in TABLES:
                found = pg.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()
                if found and found[0]:
                    raise ConfigError(f"the destination's table {table} is not empty; "
                                      "copy into a new database")
            for table in TABLES:
                counts[table] = _copy_table(lite, pg, table)
            for table, column in _IDENTITIES:
                pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                    f" COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
                )
        return counts


def _copy_table(
    lite: sqlite3.Connection, pg: psycopg.Connection[tuple[object, ...]], table: str
) -> int:
    wanted = _columns(pg, table)
    have = {r[1] for r in lite.execute(f"PRAGMA table_info({table})")}
    if table == "publishing_jobs":
        have.add("rowid")  # SQLite's implicit row id, the jobs' order
    columns = [c for c in wanted if c in have]
    names = ", ".join(columns)
    count = 0
    with pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as out:
        for row in lite.execute(f"SELECT {names} FROM {table} ORDER BY rowid"):
            out.write_row(row)
            count += 1
    return count
