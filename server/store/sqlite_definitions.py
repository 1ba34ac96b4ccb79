"""Definitions versions in SQL: the pushed sets, which one is current, and what a run used.

The statements are in the SQL both engines speak; PostgreSQL only adds a lock so two pushes
at once get consecutive numbers (`pg_definitions`). SQLite needs none: every write
transaction starts with `BEGIN IMMEDIATE`, so pushes are one at a time anyway.
"""

from __future__ import annotations

import sqlite3

from contract import models as s
from server import errors
from server.store.sqlite_core import SqliteCore, must_dt

__all__ = ["SqliteDefinitions"]

_COLUMNS = "v.version, v.hash, v.author, v.created_at, v.size, v.files, v.scenarios"


class SqliteDefinitions(SqliteCore):
    def _serialize_definitions(self, db: sqlite3.Connection) -> None:
        """Make concurrent pushes and rollbacks wait for each other (SQLite: they do)."""

    def _current_version(self, db: sqlite3.Connection) -> int | None:
        row = db.execute("SELECT version FROM definitions_current WHERE id = 1").fetchone()
        return None if row is None else int(row["version"])

    def _definitions(self, r: sqlite3.Row, current: int | None) -> s.DefinitionsVersion:
        return s.DefinitionsVersion(
            version=r["version"], hash=r["hash"], author=r["author"],
            created_at=must_dt(r["created_at"]), current=r["version"] == current,
            size=r["size"], files=r["files"], scenarios=r["scenarios"])

    def _version_row(self, db: sqlite3.Connection, version: int) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            f"SELECT {_COLUMNS} FROM definitions_versions v WHERE v.version = ?", (version,)
        ).fetchone()
        if row is None:
            raise errors.NotFound(f"no definitions version {version}")
        return row

    def _make_current(self, db: sqlite3.Connection, version: int, by: str) -> None:
        db.execute(
            "INSERT INTO definitions_current (id, version, changed_at, changed_by)"
            " VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version,"
            " changed_at = excluded.changed_at, changed_by = excluded.changed_by",
            (version, self.clock(), by))

    def add_definitions(
        self, *, hash: str, author: str, archive: bytes, files: int, scenarios: int,
        report: str,
    ) -> tuple[s.DefinitionsVersion, bool]:
        """Store a set that passed the gate as the next version and make it current; the
        same content as the current version changes nothing (False: nothing created)."""
        with self._tx() as db:
            self._serialize_definitions(db)
            current = self._current_version(db)
            if current is not None:
                row = self._version_row(db, current)
                if row["hash"] == hash:
                    return self._definitions(row, current), False
            top = db.execute("SELECT MAX(version) FROM definitions_versions").fetchone()[0]
            version = int(top or 0) + 1
            db.execute(
                "INSERT INTO definitions_versions (version, hash, author, created_at, size,"
                " files, scenarios, report, archive) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (version, hash, author, self.clock(), len(archive), files, scenarios, report,
                 archive))
            self._make_current(db, version, author)
            self._audit(db, "DEFINITIONS_PUSHED", version=version, hash=hash, author=author,
                        previous=current)
            return self._definitions(self._version_row(db, version), version), True

    def refuse_definitions(self, *, hash: str | None, author: str, code: str,
                           reason: str) -> None:
        """Keep a refused push in the audit log: who tried what, and why it was refused."""
        with self._tx() as db:
            self._audit(db, "DEFINITIONS_REFUSED", hash=hash, author=author, code=code,
                        reason=reason[:2000])

    def set_current_definitions(self, version: int, by: str) -> s.DefinitionsVersion:
        """Make an earlier (or any) stored version the current one again (a rollback)."""
        with self._tx() as db:
            self._serialize_definitions(db)
            row = self._version_row(db, version)
            previous = self._current_version(db)
            if previous != version:
                self._make_current(db, version, by)
                self._audit(db, "DEFINITIONS_ROLLED_BACK", version=version, hash=row["hash"],
                            author=by, previous=previous)
            return self._definitions(row, version)

    def list_definitions(self, limit: int = 100) -> list[s.DefinitionsVersion]:
        """Newest first."""
        with self._read() as db:
            current = self._current_version(db)
            rows = db.execute(f"SELECT {_COLUMNS} FROM definitions_versions v"
                              " ORDER BY v.version DESC LIMIT ?", (limit,)).fetchall()
            return [self._definitions(r, current) for r in rows]

    def current_definitions(self) -> s.DefinitionsVersion | None:
        with self._read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM definitions_current c JOIN definitions_versions v"
                " ON v.version = c.version WHERE c.id = 1").fetchone()
            return None if row is None else self._definitions(row, row["version"])

    def definitions_archive(self, version: int) -> tuple[s.DefinitionsVersion, bytes]:
        with self._read() as db:
            row = self._version_row(db, version)
            data = db.execute("SELECT archive FROM definitions_versions WHERE version = ?",
                              (version,)).fetchone()[0]
            return self._definitions(row, self._current_version(db)), bytes(data)

    def record_run_definitions(self, run_id: str, device_id: str, version: int | None,
                               hash: str) -> None:
        """Which definitions a run used, as its device said at start (kept once set)."""
        with self._tx() as db:
            db.execute(
                "UPDATE publishing_runs SET definitions_version = ?, definitions_hash = ?"
                " WHERE id = ? AND device_id = ? AND definitions_hash IS NULL",
                (version, hash, run_id, device_id))
