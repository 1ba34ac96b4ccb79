"""Retention (issue 12, defect 7): what `publish-runner prune` removes, in plain SQL both
backends read alike.

Only what no live job needs goes: a post is removed with its jobs, runs, logs, proofs and
snapshots when every one of its jobs is finished (SUCCEEDED, FAILED or CANCELLED) and
nothing about it changed since the cutoff; a post with a job still QUEUED, CLAIMED,
RUNNING, AWAITING_CONFIRM or NEEDS_LOGIN is kept whole, and so is a post with no job yet (a
draft). An asset goes when nothing left refers to it (no post's media, proof, snapshot or
job's proof screenshot) and it is older than the cutoff too, so one just uploaded for a post
being written is never taken. The audit log is kept: it is the record.
"""

from __future__ import annotations

import json
import sqlite3
from typing import ClassVar

from server.store.base import Pruned
from server.store.sqlite_core import SqliteCore

__all__ = ["SqlitePrune"]

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")


class _DryRun(Exception):
    """Raised inside the transaction of a dry run: everything it did is rolled back."""


class SqlitePrune(SqliteCore):
    # What refers to an asset besides a post's media (a part keeping assets of its own, as
    # the selector-health history does, adds its query).
    ASSET_REFS: ClassVar[tuple[str, ...]] = (
        "SELECT asset_id FROM run_proofs", "SELECT asset_id FROM run_snapshots",
        "SELECT proof_screenshot_asset_id FROM publishing_jobs"
        " WHERE proof_screenshot_asset_id IS NOT NULL")

    def prune(self, *, before: float, dry_run: bool = False) -> Pruned:
        """Remove what finished before `before` (epoch seconds); a dry run counts the same
        and keeps everything (its transaction is rolled back)."""
        done = Pruned()
        try:
            with self._tx() as db:
                self._prune(db, before, done)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return done

    def _prune(self, db: sqlite3.Connection, before: float, done: Pruned) -> None:
        marks = ", ".join("?" for _ in FINISHED)
        posts = [r[0] for r in db.execute(
            "SELECT p.id FROM posts p WHERE p.updated_at < ?"
            " AND EXISTS (SELECT 1 FROM publishing_jobs j WHERE j.post_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM publishing_jobs j WHERE j.post_id = p.id"
            f" AND (j.status NOT IN ({marks}) OR j.updated_at >= ?))",
            (before, *FINISHED, before)).fetchall()]
        for post_id in posts:
            jobs = [r[0] for r in db.execute(
                "SELECT id FROM publishing_jobs WHERE post_id = ?", (post_id,)).fetchall()]
            runs = [r[0] for job in jobs for r in db.execute(
                "SELECT id FROM publishing_runs WHERE job_id = ?", (job,)).fetchall()]
            done.posts += 1
            done.jobs += len(jobs)
            done.runs += len(runs)
            for run in runs:
                for table, attr in (("run_events", "events"), ("run_proofs", "proofs"),
                                    ("run_snapshots", "snapshots")):
                    n = db.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?",
                                   (run,)).fetchone()[0]
                    setattr(done, attr, getattr(done, attr) + int(n))
                    db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run,))
            for job in jobs:
                db.execute("DELETE FROM publishing_runs WHERE job_id = ?", (job,))
                db.execute("DELETE FROM publishing_jobs WHERE id = ?", (job,))
            db.execute("DELETE FROM posts WHERE id = ?", (post_id,))
        used: set[str] = set()
        for row in db.execute("SELECT media FROM posts").fetchall():
            used.update(json.loads(row[0]))
        for query in self.ASSET_REFS:
            used.update(r[0] for r in db.execute(query).fetchall())
        for row in db.execute("SELECT id FROM assets WHERE created_at < ?", (before,)).fetchall():
            if row[0] not in used:
                done.assets.append(row[0])
                db.execute("DELETE FROM assets WHERE id = ?", (row[0],))
