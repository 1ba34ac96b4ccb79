"""Dashboard sessions in PostgreSQL: every replica signs in and out the same operators.

Only the sha256 of a session id is stored; expired rows are deleted as new sessions are made.
"""

from __future__ import annotations

from server.store.pg_core import PgCore

__all__ = ["PgSessions"]

MAX_SESSIONS = 1000  # the oldest are dropped past this, as in the in-memory sessions


class PgSessions(PgCore):
    def save_session(self, id_hash: str, csrf: str, expires_at: float) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM dashboard_sessions WHERE expires_at <= ?", (self.clock(),))
            db.execute(
                "DELETE FROM dashboard_sessions WHERE id_hash IN (SELECT id_hash FROM"
                " dashboard_sessions ORDER BY expires_at DESC OFFSET ?)", (MAX_SESSIONS - 1,),
            )
            db.execute(
                "INSERT INTO dashboard_sessions (id_hash, csrf, expires_at) VALUES (?, ?, ?)",
                (id_hash, csrf, expires_at),
            )

    def load_session(self, id_hash: str) -> tuple[str, float] | None:
        with self._read() as db:
            row = db.execute(
                "SELECT csrf, expires_at FROM dashboard_sessions"
                " WHERE id_hash = ? AND expires_at > ?", (id_hash, self.clock()),
            ).fetchone()
        return None if row is None else (str(row[0]), float(row[1]))

    def drop_session(self, id_hash: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM dashboard_sessions WHERE id_hash = ?", (id_hash,))
