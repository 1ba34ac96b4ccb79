"""Storage behind one interface (`Store`): SQLite for one workstation, PostgreSQL for a team."""

from __future__ import annotations

from pathlib import Path

from common.errors import ConfigError
from server.store.base import Pruned, Recovered, SessionRecords, Shared, Store, Stuck
from server.store.sqlite import SqliteStore

__all__ = [
    "Pruned", "Recovered", "SessionRecords", "Shared", "SqliteStore", "Store", "Stuck",
    "is_postgres", "open_store",
]


def is_postgres(db: str | None) -> bool:
    return db is not None and db.startswith(("postgres://", "postgresql://"))


def open_store(db: str | None, default: Path) -> Store:
    """The store a `--db` value names: a SQLite path, `sqlite:///path`, or a PostgreSQL URL
    (`postgresql://user@host/db`, needs the `psycopg` package)."""
    if db is None:
        return SqliteStore(default)
    if is_postgres(db):
        try:
            from server.store.pg import PgStore  # psycopg is only needed for PostgreSQL
        except ImportError as exc:
            raise ConfigError(
                "PostgreSQL needs psycopg: pip install 'psycopg[binary,pool]'") from exc
        return PgStore(db)
    for prefix in ("sqlite:///", "sqlite://", "sqlite:"):
        if db.startswith(prefix):
            db = db[len(prefix):]
            break
    return SqliteStore(Path(db).expanduser())
