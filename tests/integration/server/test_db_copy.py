"""`publish-runner db copy` and `db migrate`: a SQLite server's data moves to PostgreSQL whole.

The SQLite side is filled through the store (posts, a finished job with a run, events and a
proof, a queued job, devices and logins, the audit log); after the copy the PostgreSQL store
must answer every read the same way, keep the order, and go on numbering after the copy.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from contract import models as s
from server.store import SqliteStore
from server.store.pg import PgStore

ROOT = Path(__file__).resolve().parents[3]
SHA = "ab" * 32


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runner", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, check=False)


def _fill(store: SqliteStore) -> tuple[str, str]:
    """Two posts: one published through a whole run, one queued; returns (post, job) ids."""
    dev = store.register_device(s.RegisterRequest(name="phone", platforms=["x", "threads"]),
                                "token-hash")
    store.heartbeat(dev, s.HeartbeatRequest(login_status=[
        s.LoginState(platform="x", account="main", logged_in=True)]))
    now = datetime.now(timezone.utc)
    first = store.create_post(s.PostCreate(text="مرحبا 1", targets=[
        s.Target(platform="x"), s.Target(platform="threads")]))
    store.transition_post(first.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
    store.schedule(first.id, now - timedelta(seconds=5), max_attempts=3, online_window=60)
    got = store.claim(dev, ["x"], [])
    assert got is not None
    run = store.start(got.job.id, dev, got.lease_token)
    store.add_events(got.job.id, dev, s.EventsRequest(lease_token=got.lease_token, run_id=run,
                     events=[s.Event(seq=1, at=now, phase="publish", step="click",
                                     level="info", message="clicked")]))
    store.add_proof(got.job.id, dev, got.lease_token, run, s.ProofKind.AFTER_PUBLISH,
                    s.Asset(asset_id=SHA, content_type="image/png", size=10, sha256=SHA))
    store.complete(got.job.id, dev, s.CompleteRequest(
        lease_token=got.lease_token, run_id=run, outcome=s.Outcome.SUCCEEDED,
        post_url="https://x.test/1", proof_asset_ids=[SHA]))
    second = store.create_post(s.PostCreate(text="later", targets=[s.Target(platform="x")]))
    store.transition_post(second.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
    store.schedule(second.id, now + timedelta(hours=1), max_attempts=3, online_window=60)
    return first.id, got.job.id


def test_copy_moves_every_row_and_the_stores_agree(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    path = tmp_path / "server.db"
    lite = SqliteStore(path)
    post_id, job_id = _fill(lite)
    url = new_database()

    done = _cli("db", "copy", "--from", f"sqlite:{path}", "--to", url)
    assert done.returncode == 0, done.stderr
    assert "publishing_jobs: 3" in done.stdout

    pg = PgStore(url)
    try:
        assert pg.get_post(post_id) == lite.get_post(post_id)
        assert pg.get_job(job_id) == lite.get_job(job_id)
        assert pg.list_posts(None, 100) == lite.list_posts(None, 100)
        assert pg.list_jobs(newest_first=True) == lite.list_jobs(newest_first=True)
        assert pg.list_audit() == lite.list_audit()
        assert pg.list_devices(online_after=0) == lite.list_devices(online_after=0)
        assert pg.duplicate_job_ids() == lite.duplicate_job_ids()
        assert pg.next_due_after(0) == lite.next_due_after(0)
        # numbering goes on after the copied rows
        last_audit = pg.list_audit(newest_first=True, limit=1)[0].id
        extra = pg.create_post(s.PostCreate(text="after", targets=[s.Target(platform="x")]))
        assert pg.list_audit(newest_first=True, limit=1)[0].id == last_audit + 1
        pg.transition_post(extra.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
        pg.schedule(extra.id, datetime.now(timezone.utc), max_attempts=3, online_window=60)
        newest = pg.list_jobs(newest_first=True, limit=1)[0]
        assert newest.post_id == extra.id
    finally:
        pg.close()
        lite.close()


def test_copy_refuses_a_database_that_has_data(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    path = tmp_path / "server.db"
    _fill(SqliteStore(path))
    url = new_database()
    assert _cli("db", "copy", "--from", f"sqlite:{path}", "--to", url).returncode == 0
    again = _cli("db", "copy", "--from", f"sqlite:{path}", "--to", url)
    assert again.returncode == 2
    assert "not empty" in again.stderr and "Traceback" not in again.stderr


def test_copy_and_migrate_refuse_bad_arguments(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    url = new_database()
    missing = _cli("db", "copy", "--from", f"sqlite:{tmp_path / 'none.db'}", "--to", url)
    assert missing.returncode == 2 and "no such SQLite file" in missing.stderr
    wrong = _cli("db", "copy", "--from", str(tmp_path / "x.db"), "--to", url)
    assert wrong.returncode == 2 and "sqlite:PATH" in wrong.stderr

    migrated = _cli("db", "migrate", "--db", url)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.strip() == f"schema version {PgStore(url).schema_version}"
    unreachable = _cli("db", "migrate", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.returncode == 2
    assert "cannot reach PostgreSQL" in unreachable.stderr
