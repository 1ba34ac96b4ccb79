"""The PostgreSQL connection pool, transactions and locking rules shared by the store parts.

The statements of the store parts are written once, in the SQL both engines speak (the
`sqlite_*` modules); `PgDb` runs them on a psycopg connection, translating only placeholders
(`?` and `:name` to psycopg's `%s` and `%(name)s`) and SQLite's two-argument `MAX` (PostgreSQL's
`GREATEST`). Where PostgreSQL needs a different statement (the claim), a `pg_*` part overrides
the method.

What SQLite gives for free and PostgreSQL does not: SQLite runs one writer at a time, so a
read followed by a guarded write inside one transaction cannot interleave with another
writer. PostgreSQL runs them concurrently (READ COMMITTED), so every write transaction that
reads a job or a post before changing it takes that row's lock first (`SELECT … FOR UPDATE`):
two transactions on one job queue up behind each other exactly as in SQLite, and transactions
on different jobs run in parallel. Locks are always taken job first, then post, so two
transactions never wait on each other in a circle.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

import psycopg
from psycopg.rows import RowMaker
from psycopg_pool import ConnectionPool, PoolTimeout

from common.errors import ConfigError
from server import errors
from server.states import derive_post_status
from server.store import pg_migrate
from server.store.sqlite_core import SqliteCore

__all__ = ["PgCore", "PgDb", "PgRow", "translate"]

CONNECT_TIMEOUT = 10.0  # seconds to wait for the first connection when the store opens
_PLACEHOLDER = re.compile(r"\?|(?<![:\w]):([A-Za-z_]\w*)|%")
_cache: dict[str, str] = {}


def translate(sql: str) -> str:
    """The statement with psycopg's placeholders (a literal % is doubled)."""
    done = _cache.get(sql)
    if done is None:

        def swap(m: re.Match[str]) -> str:
            if m.group(0) == "?":
                return "%s"
            if m.group(0) == "%":
                return "%%"
            return f"%({m.group(1)})s"

        done = _PLACEHOLDER.sub(swap, sql).replace("MAX(verify_first,", "GREATEST(verify_first,")
        _cache[sql] = done
    return done


class PgRow(tuple[Any, ...]):
    """A row readable by position and by column name, as `sqlite3.Row` is."""

    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


_kinds: dict[tuple[bytes | None, ...], type[PgRow]] = {}  # one row class per column list


def _rows(cursor: psycopg.Cursor[Any]) -> RowMaker[PgRow]:
    """The row factory: a PgRow class per column list, made once (read from the result's
    field names, not `cursor.description`, which builds a Column object per column)."""
    result = cursor.pgresult
    fields = tuple(result.fname(i) for i in range(result.nfields)) if result else ()
    kind = _kinds.get(fields)
    if kind is None:
        names = {(f or b"").decode(): i for i, f in enumerate(fields)}
        kind = _kinds[fields] = type("Row", (PgRow,), {"_names": names})
    return cast(RowMaker[PgRow], kind)


class PgDb:
    """The slice of `sqlite3.Connection` the shared statements use, over psycopg."""

    def __init__(self, conn: psycopg.Connection[PgRow], *, writing: bool) -> None:
        self.conn = conn
        self.writing = writing

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        try:
            return self.conn.execute(translate(sql), params or None)
        except psycopg.IntegrityError as exc:
            # The shared statements catch sqlite3's class; one except serves both engines.
            raise sqlite3.IntegrityError(str(exc)) from exc
        except psycopg.DataError as exc:
            if "NUL" in str(exc):  # PostgreSQL's text cannot hold U+0000; SQLite's can
                raise errors.Invalid("text must not contain NUL (U+0000) characters") from exc
            raise

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Any:
        cur = self.conn.cursor()
        cur.executemany(translate(sql), list(seq))
        return cur


def _as_sqlite(db: PgDb) -> sqlite3.Connection:
    """The shared statements are typed against sqlite3; PgDb provides what they call."""
    return cast(sqlite3.Connection, db)


class PgCore(SqliteCore):
    """A pool of connections; every store method is one transaction on one of them."""

    def __init__(
        self, url: str, *, clock: Callable[[], float] = time.time, max_connections: int = 20,
    ) -> None:
        self.url = url
        self.clock = clock
        self._pool: ConnectionPool[psycopg.Connection[PgRow]] = ConnectionPool(
            url, min_size=1, max_size=max_connections, open=True, name="publish-runner",
            # Autocommit: a store method that is one statement (the claim) is its own
            # transaction, without a BEGIN and a COMMIT round trip; `_tx` opens one explicitly.
            kwargs={"row_factory": _rows, "autocommit": True},
        )
        try:
            self._pool.wait(timeout=CONNECT_TIMEOUT)
        except PoolTimeout as exc:
            self._pool.close()
            where = psycopg.conninfo.conninfo_to_dict(url)
            raise ConfigError(
                f"cannot reach PostgreSQL at {where.get('host', 'localhost')}:"
                f"{where.get('port', 5432)}/{where.get('dbname', '')} (see the server log)"
            ) from exc
        with self._pool.connection() as conn:
            self.schema_version = pg_migrate.migrate(cast(psycopg.Connection[object], conn))

    def close(self) -> None:
        self._pool.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back on an error."""
        with self._pool.connection() as conn, conn.transaction():
            yield _as_sqlite(PgDb(conn, writing=True))

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._pool.connection() as conn, conn.transaction():
            yield _as_sqlite(PgDb(conn, writing=False))

    @contextlib.contextmanager
    def _statement(self) -> Iterator[sqlite3.Connection]:
        """A connection for one statement that is a transaction by itself (autocommit): one
        round trip where `_tx` takes three. Only for a single statement: two would be two
        transactions."""
        with self._pool.connection() as conn:
            yield _as_sqlite(PgDb(conn, writing=True))

    # --- the locking rules (module docstring) --------------------------------------------

    def _job_row(self, db: sqlite3.Connection, job_id: str) -> Any:
        if cast(PgDb, db).writing:
            return db.execute(
                "SELECT * FROM publishing_jobs WHERE id = ? FOR UPDATE", (job_id,)
            ).fetchone()
        return super()._job_row(db, job_id)

    def _sync_post_status(self, db: sqlite3.Connection, post_id: str) -> tuple[str, str] | None:
        """The shared rule (see `SqliteCore`), with the post locked before its jobs are
        read: after the lock, every job change of a transaction that held it is visible, so
        the derived status is never stale."""
        row = db.execute("SELECT status FROM posts WHERE id = ? FOR UPDATE",
                         (post_id,)).fetchone()
        if row is None:
            return None
        derived = derive_post_status(self._current_job_statuses(db, post_id))
        if derived is None or derived.value == row[0]:
            return None
        db.execute("UPDATE posts SET status = ?, updated_at = ? WHERE id = ?",
                   (derived.value, self.clock(), post_id))
        return row[0], derived.value
