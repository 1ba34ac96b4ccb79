"""The manual recovery SQL in docs/server.md runs on our real schema and does what it says."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from contract import models as s
from server.store import SqliteStore

DOC = Path(__file__).resolve().parents[2] / "docs" / "server.md"


def _blocks() -> dict[str, str]:
    found = re.findall(r"```sql\n-- manual: (\w+)\n(.*?)```", DOC.read_text(), re.S)
    return dict(found)


def _job(store: SqliteStore, platform: str) -> str:
    post = store.create_post(s.PostCreate(text="t", targets=[s.Target(platform=platform)]))
    store.transition_post(post.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
    at = datetime(2020, 1, 1, tzinfo=timezone.utc)
    return store.schedule(post.id, at, max_attempts=2, online_window=120).jobs[0].id


def test_manual_recovery_statements(tmp_path: Path) -> None:
    blocks = _blocks()
    assert set(blocks) == {"claimed", "running", "duplicates"}
    store = SqliteStore(tmp_path / "s.db")
    stuck_claim, fresh_claim, stuck_run = (_job(store, p) for p in ("x", "instagram", "tiktok"))
    for job_id in (stuck_claim, fresh_claim):
        assert store.claim("dev", [store.get_job(job_id).platform], []) is not None
    claimed = store.claim("dev", ["tiktok"], [])
    assert claimed is not None
    store.start(stuck_run, "dev", claimed.lease_token)
    db = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    db.execute("UPDATE publishing_jobs SET locked_at = locked_at - 3600 WHERE id = ?",
               (stuck_claim,))
    db.execute("UPDATE publishing_jobs SET updated_at = updated_at - 3600 WHERE id = ?",
               (stuck_run,))

    db.executescript(blocks["claimed"])
    db.executescript(blocks["running"])
    assert db.execute(blocks["duplicates"]).fetchall() == []
    db.close()

    requeued = store.get_job(stuck_claim)
    assert (requeued.status, requeued.attempt_count, requeued.locked_by_device_id) == (
        s.JobStatus.QUEUED, 1, None)
    assert store.get_job(fresh_claim).status is s.JobStatus.CLAIMED
    failed = store.get_job(stuck_run)
    assert failed.status is s.JobStatus.FAILED
    assert failed.last_error_message == "Timeout - job stuck in RUNNING"
    assert failed.runs[0].status is s.RunStatus.FAILED
    assert failed.runs[0].error_message == "Timeout"
    assert [a.job_id for a in store.list_audit(action="JOB_STUCK_RECOVERY")] == [stuck_claim]
    store.close()
