"""The selector-health history on PostgreSQL: the shared statements (`sqlite_health`), with
the latest result per platform and account read by `DISTINCT ON`, which PostgreSQL answers
from the `canary_results_latest` index in one ordered pass instead of the shared statement's
anti-join (one lookup per row)."""

from __future__ import annotations

from typing import ClassVar

from server.store.sqlite_health import SqliteHealth

__all__ = ["PgHealth"]


class PgHealth(SqliteHealth):
    LATEST_SQL: ClassVar[str] = (
        "SELECT DISTINCT ON (platform, account) * FROM canary_results"
        " ORDER BY platform, account, received_at DESC, id DESC"
    )
