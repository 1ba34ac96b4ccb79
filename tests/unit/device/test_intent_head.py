"""The head recorded before a publish click travels in the intent journal (runner.device.
outbox): it survives a killed daemon, stays readable after the completion closes the
intent (a retry on this device places its match against it), and a journal written before
heads existed is upgraded in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from runner.device.items import Completion, RunKey
from runner.device.outbox import Intent, Outbox

HEAD = ("text:aaaa", "https://www.linkedin.com/feed/update/urn:li:share:1/", "text:cccc")


def test_the_head_survives_a_restart_with_the_open_intent(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.write_intent(Intent("job-1", "run-1", "lease", "linkedin", "main", "hello", head=HEAD))
    box.write_intent(Intent("job-2", "run-2", "lease", "sandbox", "main", "dated"))
    box.db.close()  # as a kill leaves it: nothing else was written

    again = Outbox(tmp_path / "outbox.db")
    by_job = {i.job_id: i for i in again.open_intents()}
    assert by_job["job-1"].head == HEAD
    assert by_job["job-1"].at > 0
    assert by_job["job-2"].head is None  # a dated platform records none


def test_the_head_stays_after_the_completion_and_a_later_attempt_replaces_it(
        tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.db")
    box.write_intent(Intent("job-1", "run-1", "lease", "linkedin", "main", "hello", head=HEAD))
    box.add_completion(RunKey("job-1", "run-1", "lease"),
                       Completion.failed("PUBLISH_REJECTED", "rejected after the click"))
    assert box.open_intents() == []
    assert box.intent_head("job-1") == HEAD  # the retry's verify-first reads it
    assert box.intent_head("job-unknown") is None
    box.write_intent(Intent("job-1", "run-2", "lease2", "linkedin", "main", "hello",
                            head=("text:new",)))
    assert box.intent_head("job-1") == ("text:new",)


def test_a_journal_from_before_heads_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE intents (job_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, "
               "lease_token TEXT NOT NULL, platform TEXT NOT NULL, account TEXT NOT NULL, "
               "text TEXT NOT NULL, state TEXT NOT NULL, at REAL NOT NULL)")
    db.execute("INSERT INTO intents VALUES ('old', 'r', 'l', 'linkedin', 'main', 't', "
               "'publishing', 1.0)")
    db.commit()
    db.close()
    box = Outbox(path)
    [old] = box.open_intents()
    assert (old.job_id, old.head, old.at) == ("old", None, 1.0)  # no head: inconclusive
