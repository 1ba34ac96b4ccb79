"""The claim's reply and its effects, alike on both backends (PostgreSQL's claim is one
statement of its own, SQLite's the shared steps): the job CLAIMED to this device, the post
PUBLISHING, the reply's post as the store reads it afterwards (with a sibling's NEEDS_LOGIN
warning), the audit entry and the device's lastSeenAt; nothing for a held-off device."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

from contract import models as s
from server.store import Store, open_store


def _sql(url: str | None, path: Path, statement: str, *args: object) -> None:
    if url is None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute(statement, args)
        conn.close()
        return
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(statement.replace("?", "%s"), args)


def test_the_claim_reply_is_what_the_store_holds_after_it(
    database: Callable[[], str | None], tmp_path: Path,
) -> None:
    url, path = database(), tmp_path / "server.db"
    store: Store = open_store(url, path)
    try:
        post = store.create_post(s.PostCreate(
            text="two targets", targets=[s.Target(platform="x"), s.Target(platform="y")]))
        store.transition_post(post.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
        at = datetime.now(timezone.utc) - timedelta(seconds=5)
        jobs = {j.platform: j for j in store.schedule(post.id, at, max_attempts=3,
                                                      online_window=60).jobs}
        _sql(url, path, "UPDATE publishing_jobs SET status = 'NEEDS_LOGIN' WHERE id = ?",
             jobs["y"].id)
        device = store.register_device(s.RegisterRequest(name="d", platforms=["x"]), "h")
        before = time.time()
        got = store.claim(device, ["x"], [])
        assert got is not None
        assert got.job.id == jobs["x"].id and got.job.status is s.JobStatus.CLAIMED
        assert got.job.locked_by_device_id == device and got.lease_token
        held = store.get_post(post.id)
        assert got.post.status is s.PostStatus.PUBLISHING == held.status
        assert got.post == s.Post.model_validate(held.model_dump(include=set(s.Post.model_fields)))
        assert any(jobs["y"].id in w and "needs login" in w for w in got.post.warnings)
        assert got.verify is None
        (entry,) = store.list_audit(job_id=got.job.id, action="JOB_CLAIMED")
        assert entry.device_id == device
        (seen,) = [d for d in store.list_devices(online_after=0) if d.id == device]
        assert seen.last_seen_at is not None and seen.last_seen_at.timestamp() >= before - 1
        assert store.claim(device, ["x"], []) is None  # nothing else due for it
    finally:
        store.close()


def test_a_held_off_device_claims_nothing(
    database: Callable[[], str | None], tmp_path: Path,
) -> None:
    url, path = database(), tmp_path / "server.db"
    store: Store = open_store(url, path)
    try:
        post = store.create_post(s.PostCreate(text="t", targets=[s.Target(platform="x")]))
        store.transition_post(post.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
        store.schedule(post.id, datetime.now(timezone.utc) - timedelta(seconds=5),
                       max_attempts=3, online_window=60)
        device = store.register_device(s.RegisterRequest(name="d", platforms=["x"]), "h")
        _sql(url, path, "UPDATE devices SET held_until = ? WHERE id = ?",
             time.time() + 60, device)
        assert store.claim(device, ["x"], []) is None
        _sql(url, path, "UPDATE devices SET held_until = ? WHERE id = ?", time.time() - 1,
             device)
        assert store.claim(device, ["x"], []) is not None
    finally:
        store.close()
