"""Pure parts of the server: state derivation, content sniffing, tokens, settings, wake-ups."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from common.errors import ConfigError
from contract import models as s
from server import auth, settings, wakeup
from server.assets import IMAGE_TYPES, MEDIA_TYPES, sniff
from server.states import derive_post_status
from server.store import SqliteStore, migrate

J, P = s.JobStatus, s.PostStatus


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        ([], None),
        ([J.QUEUED], P.SCHEDULED),
        ([J.RUNNING, J.FAILED], P.PUBLISHING),
        ([J.CLAIMED, J.SUCCEEDED], P.PUBLISHING),
        ([J.SUCCEEDED, J.SUCCEEDED], P.PUBLISHED),
        ([J.SUCCEEDED, J.FAILED], P.FAILED),
        ([J.NEEDS_LOGIN, J.SUCCEEDED], P.SCHEDULED),
        ([J.SUCCEEDED, J.CANCELLED], P.PUBLISHED),
        ([J.CANCELLED], P.APPROVED),
    ],
)
def test_post_status_is_derived_as_the_playbook_says(
    jobs: list[s.JobStatus], expected: s.PostStatus | None
) -> None:
    assert derive_post_status(jobs) == expected


def test_sniff_trusts_magic_bytes_only() -> None:
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff(b"\0\0\0\x18ftypmp42") == "video/mp4"
    assert sniff(b"PK\x03\x04....") == "application/zip"
    # HTML is recognised (failure snapshots) but is no image or medium: those uploads 415.
    assert sniff(b"  <!DOCTYPE html><html>") == "text/html"
    assert "text/html" not in IMAGE_TYPES | MEDIA_TYPES
    assert sniff(b"GIF8") is None and sniff(b"hello") is None


def test_tokens_are_generated_once_and_owner_only(tmp_path: Path) -> None:
    first = auth.ensure_tokens(tmp_path, operator=None, enroll="given")
    assert first.generated == ["operator"] and first.enroll == "given"
    mode = stat.S_IMODE((tmp_path / auth.TOKENS_FILE).stat().st_mode)
    assert mode == 0o600
    again = auth.ensure_tokens(tmp_path, operator=None, enroll=None)
    assert again.operator == first.operator and again.generated == ["enroll"]
    assert auth.saved_operator_token(tmp_path) == first.operator
    assert auth.bearer("Bearer abc") == "abc" and auth.bearer("Basic x") is None


def test_settings_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    file = tmp_path / "c.yaml"
    file.write_text("server:\n  claim_timeout: 10\n  run_timeout: 20\n  max_attempts: 4\n")
    env = {"PUBLISH_RUNNER_SERVER_RUN_TIMEOUT": "30", "PUBLISH_RUNNER_SERVER_MAX_ATTEMPTS": "5"}
    got = settings.load(file=file, environ=env, flags={"max_attempts": 6, "port": None})
    assert (got.claim_timeout, got.run_timeout, got.max_attempts, got.port) == (10, 30, 6, 8700)
    assert got.recovery_interval == 120
    with pytest.raises(ConfigError):
        settings.load(environ={"PUBLISH_RUNNER_SERVER_MAX_ATTEMPTS": "zero"})


def test_migrations_apply_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "a.db")
    newest = migrate.migrations()[-1][0]
    assert store.schema_version == newest
    store.close()
    assert SqliteStore(tmp_path / "a.db").schema_version == newest


def test_wakeup_wakes_one_matching_waiter_per_job(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")

    async def scenario() -> list[s.Target | None]:
        hub = wakeup.Wakeup(store)
        hub.start()
        x = wakeup.matcher(["x"], [])
        ig = wakeup.matcher(["instagram"], [s.Target(platform="instagram", account="b")])
        waits = [asyncio.create_task(hub.wait(m, 5)) for m in (x, x, ig)]
        await asyncio.sleep(0)
        hub.notify([s.Target(platform="x", account="a"),
                    s.Target(platform="instagram", account="a")])  # wrong account for ig
        done, _ = await asyncio.wait(waits, timeout=0.2)
        hub.close()
        return [t.result() for t in waits if t in done] + [await t for t in waits
                                                           if t not in done]

    results = asyncio.run(scenario())
    assert results == [s.Target(platform="x", account="a"), None, None]
