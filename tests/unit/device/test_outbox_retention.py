"""The outbox's retention is a setting (issue 12, defect 7): `outbox_retention_s` in the
device section decides how long delivered items stay; the daemon prunes with it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from runner.device.items import RunKey
from runner.device.outbox import Outbox


def delivered_hours_ago(home: Path, hours: float) -> None:
    box = Outbox(home / "outbox.db")
    box.add_event(RunKey("job", "run", "lease"), phase="p", step="s", level="info",
                  message="m")
    box.db.execute("UPDATE items SET state = 'sent', created_at = ?",
                   (time.time() - hours * 3600,))
    box.db.close()


def items(home: Path) -> int:
    box = Outbox(home / "outbox.db")
    try:
        return int(box.db.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    finally:
        box.db.close()


@pytest.mark.asyncio
async def test_the_daemon_prunes_with_the_configured_retention(rig: Any,
                                                               tmp_path: Path) -> None:
    delivered_hours_ago(tmp_path, 2)
    await rig(start=False)  # the default keeps a week
    assert items(tmp_path) == 1
    await rig(start=False, outbox_retention_s="1h")
    assert items(tmp_path) == 0
