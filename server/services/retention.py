"""`publish-runner prune`: the server's retention (issue 12, defect 7), run by an operator
where the database and the data folder are (a cron job, a systemd timer).

The store removes the rows (see `server.store.sqlite_prune` for what counts as finished and
what a live job keeps); the asset files of the assets it removed are deleted after its
transaction committed, so a failure half way leaves at worst a file nobody refers to.
"""

from __future__ import annotations

import time

from server.assets import AssetFiles
from server.settings import ServerSettings
from server.store import Pruned, open_store

__all__ = ["prune"]


def prune(settings: ServerSettings, *, older_than_s: float | None = None,
          dry_run: bool = False, now: float | None = None) -> Pruned:
    """Remove what finished more than `older_than_s` (default: the `retention_s` setting)
    ago; with `dry_run`, only count it."""
    keep = settings.retention_s if older_than_s is None else older_than_s
    before = (time.time() if now is None else now) - keep
    data = settings.resolved_data_dir()
    store = open_store(settings.db, data / "server.db")
    try:
        done = store.prune(before=before, dry_run=dry_run)
    finally:
        store.close()
    if not dry_run:
        files = AssetFiles(data / "assets", max_bytes=settings.max_asset_bytes)
        for asset_id in done.assets:
            files.path(asset_id).unlink(missing_ok=True)
    return done
