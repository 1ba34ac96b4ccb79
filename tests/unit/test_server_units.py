"""Pure parts of the server: state derivation, content sniffing, tokens, settings, wake-ups,
and the claim's long poll over a fake store."""

from __future__ import annotations

import asyncio
import re
import stat
import threading
import time
from pathlib import Path
from typing import cast

import pytest

from common.errors import ConfigError, PublishRunnerError
from contract import models as s
from server import auth, errors, settings, wakeup
from server.assets import IMAGE_TYPES, MEDIA_TYPES, AssetFiles, sniff
from server.recovery import Uptime
from server.services import Parts, Runs
from server.states import derive_post_status
from server.store import SqliteStore, Store, migrate

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


X = s.Target(platform="x", account="a")


def test_a_listener_keeps_a_wake_up_that_came_while_it_looked(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "l.db")

    async def scenario() -> tuple[s.Target | None, s.Target | None, s.Target | None]:
        hub = wakeup.Wakeup(store)
        hub.start()
        with hub.listen(wakeup.matcher(["x"], [])) as ear:
            ear.arm()  # before the look at the store...
            hub.notify([X])  # ...a job comes due while it runs
            kept = ear.woken
            ear.arm()  # the next look acts on it
            after_rearm = ear.woken
            timed_out = await ear.wait(0.05)
        hub.close()
        return kept, after_rearm, timed_out

    assert asyncio.run(scenario()) == (X, None, None)


def test_a_listener_leaving_with_an_unused_wake_up_hands_it_on(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "h.db")

    async def scenario() -> tuple[s.Target | None, s.Target | None, int]:
        hub = wakeup.Wakeup(store)
        hub.start()
        first, second = (hub.listen(wakeup.matcher(["x"], [])) for _ in range(2))
        first.arm()
        second.arm()
        hub.notify([X])  # the first in line gets it...
        got_first_before, got_second_before = first.woken, second.woken
        first.close()  # ...but leaves (its look found another job, or its device went away)
        handed = second.woken
        second.close()
        left = hub.waiting
        hub.close()
        assert (got_first_before, got_second_before) == (X, None)
        return got_first_before, handed, left

    assert asyncio.run(scenario()) == (X, X, 0)


class _SlowClaimStore:
    """Only what a claim touches: the first look finds nothing and takes its time (the test
    makes a job come due meanwhile); the next look finds the job."""

    def __init__(self) -> None:
        self.looking = threading.Event()
        self.go_on = threading.Event()
        self.looks = 0

    def next_due_after(self, after: float) -> float | None:
        return None

    def claim(self, device_id: str, platforms: list[str],
              accounts: list[s.Target]) -> object | None:
        self.looks += 1
        if self.looks == 1:
            self.looking.set()
            self.go_on.wait(5)
            return None
        return "the job"


def test_a_claim_never_sleeps_through_a_job_due_while_it_looked(tmp_path: Path) -> None:
    """The claim's look at the store runs in a worker thread (off the loop); a wake-up that
    arrives during it must send the claim to look again, not to wait out `waitSec`."""
    fake = _SlowClaimStore()
    store = cast(Store, fake)

    async def scenario() -> tuple[object, float]:
        hub = wakeup.Wakeup(store)
        hub.start()
        parts = Parts(settings=settings.ServerSettings(data_dir=tmp_path), store=store,
                      wakeup=hub, assets=AssetFiles(tmp_path / "a", max_bytes=10),
                      uptime=Uptime(), offload_store=True)

        async def gone() -> bool:
            return False

        began = time.monotonic()
        claim = asyncio.create_task(Runs(parts).claim(
            "dev", s.ClaimRequest(platforms=["x"], wait_sec=10), gone))
        assert await asyncio.to_thread(fake.looking.wait, 5)
        hub.notify([X])  # the schedule call's wake-up, while the look is running
        fake.go_on.set()
        got = await asyncio.wait_for(claim, 8)
        hub.close()
        return got, time.monotonic() - began

    got, took = asyncio.run(scenario())
    assert (got, fake.looks) == ("the job", 2)
    assert took < 3, f"the claim waited {took:.1f} s instead of looking again"


def test_the_server_errors_join_the_one_root_and_their_tree_names_each_with_its_status() -> None:
    drawn: dict[str, tuple[str, int, str]] = {}  # name → (parent, status, code)
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        m = re.match(r"^(\s*[│ ]*[├└]── )(\w+)\s+(\d{3}) (\w+)", line)
        if m is None:
            continue
        depth, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        drawn[name] = (stack[-1][1] if stack else "PublishRunnerError", int(m.group(3)),
                       m.group(4))
        stack.append((depth, name))
    defined = {n: c for n, c in vars(errors).items()
               if isinstance(c, type) and issubclass(c, errors.ApiError)}
    assert set(drawn) == set(defined)
    for name, cls in defined.items():
        assert (cls.__bases__[0].__name__, cls.status, cls.code) == drawn[name], name
    assert issubclass(errors.ApiError, PublishRunnerError)
