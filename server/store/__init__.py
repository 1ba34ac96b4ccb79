"""Storage behind one interface (`Store`); SQLite today, PostgreSQL can follow."""

from __future__ import annotations

from pathlib import Path

from common.errors import ConfigError
from server.store.base import Recovered, Store, Stuck
from server.store.sqlite import SqliteStore

__all__ = ["Recovered", "SqliteStore", "Store", "Stuck", "open_store"]


def open_store(db: str | None, default: Path) -> Store:
    """The store a `--db` value names: a SQLite path or `sqlite:///path`."""
    if db is None:
        return SqliteStore(default)
    if db.startswith(("postgres://", "postgresql://")):
        raise ConfigError("PostgreSQL is not supported yet; use a SQLite path")
    for prefix in ("sqlite:///", "sqlite://"):
        if db.startswith(prefix):
            db = db[len(prefix):]
            break
    return SqliteStore(Path(db).expanduser())
