"""Two server processes on one PostgreSQL database: what a team's deployment relies on.

Each replica is a real `publish-runner serve` process on its own port, both on one database
and one data directory (assets and tokens shared, as docs/operations.md sets it up).
Devices are spread over both; every call may reach either.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from contract import models as s
from server.store.pg import PgStore
from server.store.pg_migrate import migrate
from tests.integration.server.conftest import ENROLL, OPERATOR, PNG, Running, now_iso

ROOT = Path(__file__).resolve().parents[3]
STARTUP = 90.0  # seconds a replica may take to answer (imports on a loaded machine are slow)


class Replica(Running):
    """A `serve` process; the operator and device helpers of `Running` speak to it."""

    def __init__(self, url: str, proc: subprocess.Popen[bytes], db: str) -> None:
        self.url = url
        self.proc = proc
        self.db = db
        self.op = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {OPERATOR}"},
                               timeout=30)
        self.devices = []

    def sql(self) -> Any:
        from tests.integration.server.conftest import _pg_sql

        return _pg_sql(self.db)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def replicas(
    new_database: Callable[[], str], tmp_path: Path
) -> Iterator[Callable[..., list[Replica]]]:
    """`replicas(n, **flags)` → n server processes on one fresh database and data dir."""
    started: list[Replica] = []

    def make(n: int = 2, **flags: str) -> list[Replica]:
        db = new_database()
        group = []
        for i in range(n):
            port = _free_port()
            args = [sys.executable, "-m", "runner", "--log-level", "WARNING", "serve",
                    "--db", db, "--port", str(port), "--data-dir", str(tmp_path / "shared"),
                    "--operator-token", OPERATOR, "--enroll-token", ENROLL]
            for key, value in flags.items():
                args += [f"--{key.replace('_', '-')}", value]
            log = (tmp_path / f"replica{i}.log").open("ab")
            proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=log)
            group.append(Replica(f"http://127.0.0.1:{port}", proc, db))
            started.append(group[-1])  # stopped at teardown even if a start fails below
        for i, replica in enumerate(group):
            end = time.monotonic() + STARTUP
            while True:
                if replica.proc.poll() is not None:
                    pytest.fail((tmp_path / f"replica{i}.log").read_text())
                try:
                    if httpx.get(f"{replica.url}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > end:
                    pytest.fail("replica did not start")
                time.sleep(0.1)
        return group

    yield make
    for replica in started:
        replica.close()
        replica.proc.terminate()
    for replica in started:
        replica.proc.wait(timeout=20)


def test_migrations_race_to_one_schema(new_database: Callable[[], str]) -> None:
    """Replicas starting together: the advisory lock lets one migrate, the others wait."""
    url = new_database()
    barrier = threading.Barrier(4)

    def run() -> int:
        with psycopg.connect(url) as conn:
            barrier.wait()
            return migrate(conn)

    with ThreadPoolExecutor(4) as pool:
        versions = list(pool.map(lambda _: run(), range(4)))
    with psycopg.connect(url) as conn:
        applied = [r[0] for r in conn.execute(
            "SELECT version FROM schema_migrations ORDER BY version")]
    assert len(set(versions)) == 1
    assert applied == list(range(1, versions[0] + 1))


def test_no_job_is_claimed_twice_across_replicas(replicas: Callable[..., list[Replica]]) -> None:
    a, b = replicas(2)
    jobs = [a.post(at=now_iso(-1))["jobs"][0]["id"] for _ in range(30)]
    devices = [r.device(f"dev{i}-{n}") for n, r in enumerate((a, b)) for i in range(4)]
    claimed: list[str] = []
    lock = threading.Lock()

    def work(dev: Any) -> None:
        while True:
            got = dev.claim(["x"], wait=0)
            if got is None:
                return
            with lock:
                claimed.append(got["job"]["id"])

    with ThreadPoolExecutor(len(devices)) as pool:
        list(pool.map(work, devices))
    assert Counter(claimed).most_common(1)[0][1] == 1
    assert sorted(claimed) == sorted(jobs)


def test_a_job_scheduled_on_one_replica_wakes_a_long_poll_on_the_other(
    replicas: Callable[..., list[Replica]],
) -> None:
    a, b = replicas(2)
    dev = b.device("waiting-on-b")
    result: dict[str, Any] = {}

    def wait() -> None:
        result["got"] = dev.claim(["x"], wait=20)
        result["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(1.0)  # the long poll is in place on b
    scheduled_at = time.monotonic()
    [job] = a.post(at=now_iso(-1))["jobs"]
    waiter.join(timeout=25)
    assert result["got"]["job"]["id"] == job["id"]
    # NOTIFY, or at worst the fallback poll, must have woken it: never the 20 s timeout.
    assert result["at"] - scheduled_at < 3.0


def test_a_job_due_later_wakes_devices_on_every_replica(
    replicas: Callable[..., list[Replica]],
) -> None:
    a, b = replicas(2)
    dev = b.device("later-on-b")
    [job] = a.post(at=now_iso(1.5))["jobs"]
    started = time.monotonic()
    got = dev.claim(["x"], wait=15)
    assert got is not None and got["job"]["id"] == job["id"]
    assert time.monotonic() - started < 5.0


def test_recovery_on_both_replicas_recovers_each_job_once(
    replicas: Callable[..., list[Replica]],
) -> None:
    a, b = replicas(2, claim_timeout="1", run_timeout="1", recovery_interval="0.2")
    posts = [a.post(at=now_iso(-1)) for _ in range(6)]
    silent = [b.device("silent-a"), a.device("silent-b")]
    held = []
    for i, post in enumerate(posts):
        dev = silent[i % 2]
        got = dev.claim(["x"], wait=2)
        assert got is not None
        if i % 2:
            dev.start(got["job"]["id"], got["leaseToken"])  # RUNNING, then silent
        held.append(post["jobs"][0]["id"])
    for job_id in held:
        a.wait_until(lambda j=job_id: a.job(j)["attemptCount"] == 1, "recovery")
    time.sleep(1.0)  # more passes on both replicas: none may recover a job twice
    for job_id in held:
        assert len(a.audit(job_id, "JOB_STUCK_RECOVERY")) == 1
        assert a.job(job_id)["status"] == "QUEUED"


def test_any_replica_serves_every_call(replicas: Callable[..., list[Replica]]) -> None:
    """Claim on one, start on the other, proofs on the first, complete on the second; the
    proof's bytes are downloadable from both (one shared assets directory)."""
    a, b = replicas(2)
    [job] = a.post(at=now_iso(-1))["jobs"]
    on_a = a.device("roaming")
    on_b = type(on_a)(b.url, on_a.id, on_a.token)
    got = on_a.claim(["x"], wait=2)
    assert got is not None
    lease = got["leaseToken"]
    run_id = on_b.start(job["id"], lease)
    assert on_a.events(job["id"], lease, run_id, "compose").status_code == 200
    proof = on_a.proof(job["id"], lease, run_id, "before_confirm")
    assert proof.status_code == 200, proof.text
    assert on_b.complete(job["id"], lease, run_id, "SUCCEEDED",
                         postUrl="https://x.test/1").status_code == 200
    assert b.job(job["id"])["status"] == "SUCCEEDED"
    asset = proof.json()["assetId"]
    for replica in (a, b):
        r = replica.op.get(f"/api/assets/{asset}")
        assert r.status_code == 200 and r.content == PNG


def test_a_dashboard_session_holds_on_every_replica(
    replicas: Callable[..., list[Replica]],
) -> None:
    a, b = replicas(2)
    web = httpx.Client(base_url=a.url, headers={"Origin": a.url}, timeout=30)
    r = web.post("/app/publishing/login", data={"token": OPERATOR,
                                                 "next": "/app/publishing/jobs"})
    assert r.status_code == 303, r.text
    cookie = web.cookies.get("pr_session")
    assert cookie
    on_b = httpx.Client(base_url=b.url, headers={"Origin": b.url}, timeout=30,
                        cookies={"pr_session": cookie})
    assert on_b.get("/app/publishing/jobs").status_code == 200
    assert httpx.get(f"{b.url}/app/publishing/jobs", timeout=30).status_code == 303
    # signing out on b ends the session on a too
    csrf = re.search(r'name="csrf" value="([^"]+)"', on_b.get("/app/publishing/posts").text)
    assert csrf
    assert on_b.post("/app/publishing/logout", data={"csrf": csrf.group(1)}).status_code == 303
    again = httpx.Client(base_url=a.url, timeout=30, cookies={"pr_session": cookie})
    assert again.get("/app/publishing/jobs").status_code == 303
    for client in (web, on_b, again):
        client.close()


def test_notifications_cross_processes(new_database: Callable[[], str]) -> None:
    """The listener of one store hears a change made through another."""
    url = new_database()
    one, two = PgStore(url), PgStore(url)
    heard = threading.Event()
    stop = one.listen(heard.set)
    try:
        time.sleep(0.5)
        heard.clear()  # the listener's own first look on connecting
        post = two.create_post(s.PostCreate(text="n", targets=[s.Target(platform="x")]))
        two.transition_post(post.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
        assert not heard.wait(0.5)  # no job yet: nothing claimable changed
        two.schedule(post.id, datetime.now(timezone.utc), max_attempts=3, online_window=60)
        assert heard.wait(5)
    finally:
        stop()
        one.close()
        two.close()
