"""Claim benchmark: long-polling devices on SQLite or on PostgreSQL with several replicas.

Method: the reference server runs as its own processes (`publish-runner serve`, `--replicas`
of them on one database and one data dir). Jobs are written to the database beforehand with
due times, so the servers learn of them only through their wake-up timers. Latency is due
time → claim reply received; a job claimed twice is a double claim. Three modes:

- steady (default): `--devices` (50) long-poll (`waitSec` 30), spread over the replicas,
  while `--jobs` (2,000) come due at `--rate` per second. On SQLite a baseline follows, as
  before: the same devices polling with `waitSec` 0 every 5 s. On PostgreSQL the SQLite
  figures of the same workload are measured in the same run, for comparison (`sqlite_*`).
- burst (`--burst N`): N jobs due at the same second (the round hour); `last_claim_s` is due
  time → the last claim.
- growth (`--growth`): one process claims through the store directly, with 10⁴, 10⁵ and 10⁶
  finished jobs in the table; the claim's p50 at each size, on both backends.
- ceiling (`--ceiling`): what a bare uvicorn endpoint does for the same devices, and what the
  bare claim statement costs through the store: the floor under the figures above.

The devices are spread over `--client-procs` processes (2), each with one hand-written
keep-alive connection per device, since they share the cores with the server. Every load run
also prints the CPU one claim cost each part (`cpu_ms_per_claim`: the server processes, the
PostgreSQL backends serving them, the devices), `cpu_bound_claims_per_s` (the claims a second
the machine's cores give at that cost with nothing else running), the shares of the cores
each used, and `machine_busy_share` (every process's): on a shared machine the claims a
second are what the server got, the CPU per claim is what it needs.

With no database URL (`--db-url` or `PUBLISH_RUNNER_TEST_POSTGRES_URL`), PostgreSQL is a
throwaway cluster started by `scripts/postgres`, as the tests do.

    python bench/claims.py --backend postgresql --replicas 2 --json
    python bench/claims.py --backend postgresql --replicas 2 --burst 1000 --devices 200 --json
    python bench/claims.py --growth --json
    python bench/claims.py --ceiling --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contract import models as s  # noqa: E402
from server.store import Store  # noqa: E402

OPERATOR, ENROLL = "bench-operator", "bench-enroll"
POLL_EVERY = 5.0  # seconds, the baseline devices' polling period
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]  # no Nagle delay on small requests
GROWTH = [10_000, 100_000, 1_000_000]
GROWTH_CLAIMS = 200  # claims timed at each size
GROWTH_WARMUP = 10  # claims not timed first


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- databases -------------------------------------------------------------------------------


@contextlib.contextmanager
def _postgres(url: str | None) -> Iterator[str]:
    """A PostgreSQL server's URL: the one given, or a throwaway cluster for this run."""
    url = url or os.environ.get("PUBLISH_RUNNER_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    folder = tempfile.mkdtemp(prefix="claims-bench-pg-")
    script = str(ROOT / "scripts" / "postgres")
    out = subprocess.run([script, "start", folder], capture_output=True, text=True, check=True)
    try:
        yield out.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop", folder], capture_output=True, check=False)


_made: list[tuple[str, str]] = []  # (server URL base, database) made by this run


def _new_database(server_url: str) -> str:
    import psycopg

    base = server_url.rsplit("/", 1)[0]
    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _made.append((base, name))
    return f"{base}/{name}"


def _drop_databases() -> None:
    """A given PostgreSQL server is left as it was found."""
    import psycopg

    while _made:
        base, name = _made.pop()
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _open(db: str) -> Store:
    from server.store import open_store

    return open_store(db, Path(db))


def _seed(db: str, platform: str, count: int) -> None:
    """Posts with one job each, due in a year (`_retime` sets the real times)."""
    store = _open(db)
    later = datetime.fromtimestamp(time.time() + 365 * 86_400, timezone.utc)
    for i in range(count):
        post = store.create_post(s.PostCreate(text=f"bench {i}",
                                              targets=[s.Target(platform=platform)]))
        store.transition_post(post.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
        store.schedule(post.id, later, max_attempts=3, online_window=120)
    store.close()


def _retime(db: str, start: float, rate: float | None) -> dict[str, float]:
    """Job k (in creation order) due at start + k / rate, or all at `start` (a burst);
    returns job id → due time. Done once the seeding is over, so its pace does not count."""
    step = 0.0 if rate is None else 1.0 / rate
    if db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(
                "UPDATE publishing_jobs j SET scheduled_at = %s + o.k * %s FROM (SELECT id,"
                " row_number() OVER (ORDER BY rowid) - 1 AS k FROM publishing_jobs) o"
                " WHERE o.id = j.id", (start, step))
            rows = conn.execute("SELECT id, scheduled_at FROM publishing_jobs").fetchall()
    else:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("UPDATE publishing_jobs SET scheduled_at = ? + (SELECT COUNT(*) FROM"
                     " publishing_jobs o WHERE o.rowid < publishing_jobs.rowid) * ?",
                     (start, step))
        rows = conn.execute("SELECT id, scheduled_at FROM publishing_jobs").fetchall()
        conn.close()
    return {str(r[0]): float(r[1]) for r in rows}


# --- servers and devices ---------------------------------------------------------------------


@contextlib.contextmanager
def _servers(db: str, data: Path, replicas: int) -> Iterator[tuple[list[str], list[int]]]:
    procs, urls = [], []
    for _ in range(replicas):
        port = _free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "runner", "--log-level", "WARNING", "serve", "--db", db,
             "--port", str(port), "--data-dir", str(data), "--operator-token", OPERATOR,
             "--enroll-token", ENROLL, "--claim-timeout", "3600", "--run-timeout", "3600",
             "--recovery-interval", "3600"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            for _ in range(200):
                try:
                    httpx.get(f"{url}/openapi.json", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        yield urls, [p.pid for p in procs]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def _register(url: str, name: str, platform: str) -> str:
    r = httpx.post(f"{url}/api/devices/register", json={"name": name, "platforms": [platform]},
                   headers={"Authorization": f"Bearer {ENROLL}"}, timeout=30)
    r.raise_for_status()
    return str(r.json()["deviceToken"])


class _Conn:
    """One device's keep-alive HTTP/1.1 connection, written by hand: the simulated devices
    share the server's cores, so each request should cost the client as little as it can
    (httpx spends several times the server's own time per request)."""

    def __init__(self, url: str, token: str) -> None:
        hostport = url.split("://", 1)[1]
        self.host, _, port = hostport.partition(":")
        self.port = int(port)
        self.head = (f"POST /api/publishing/jobs/claim HTTP/1.1\r\nHost: {hostport}\r\n"
                     f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                     "Content-Length: ").encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def claim(self, body: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):  # the server closes a connection idle past its keep-alive
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(self.head + str(len(body)).encode() + b"\r\n\r\n" + body)
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer.close()
                self.writer = None
                if attempt == 2:
                    raise
                continue
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            return status, await self.reader.readexactly(length) if length else b""
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _device(
    conn: _Conn, platform: str, wait: float, period: float, claims: list[tuple[str, float]],
    offset: float,
) -> None:
    body = json.dumps({"platforms": [platform], "waitSec": wait}).encode()
    await asyncio.sleep(offset)
    while True:
        started = time.monotonic()
        status, reply = await conn.claim(body)
        if status == 200:
            claims.append((json.loads(reply)["job"]["id"], time.time()))
        elif status != 204:
            raise RuntimeError(f"claim failed: {status} {reply[:300]!r}")
        if period:
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))


def _client(
    devices: list[tuple[str, str]], platform: str, wait: float, period: float,
    out: Any, stop: Any,
) -> None:
    """One client process: its share of the devices; claims go to the parent in batches,
    then this process's CPU seconds."""

    async def run() -> None:
        claims: list[tuple[str, float]] = []
        conns = [_Conn(url, token) for url, token in devices]
        tasks = [asyncio.create_task(_device(c, platform, wait, period, claims,
                                             offset=random.uniform(0, period)))
                 for c in conns]
        while not stop.is_set():
            await asyncio.sleep(0.05)
            failed = [t for t in tasks if t.done() and t.exception() is not None]
            if failed:
                out.put(("error", repr(failed[0].exception())))
                break
            if claims:
                out.put(("claims", claims[:]))
                claims.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        out.put(("claims", claims))
        for c in conns:
            c.close()

    cpu = time.process_time()
    asyncio.run(run())
    out.put(("cpu", time.process_time() - cpu))


def _busy() -> tuple[float, float]:
    """The machine's (busy, total) CPU seconds so far, from /proc/stat (all processes)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds these processes used so far (Linux /proc)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (float(stat[11]) + float(stat[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _backends(db: str) -> list[int]:
    """The PostgreSQL server processes serving this database now (the replicas' pools), to
    count the database's CPU per claim; none for SQLite (it runs inside the server)."""
    if not db.startswith("postgresql://"):
        return []
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        return [int(r[0]) for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()").fetchall()]


def _xacts(db: str) -> int:
    """Transactions committed in this database so far (PostgreSQL), 0 for SQLite."""
    if not db.startswith("postgresql://"):
        return 0
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT xact_commit FROM pg_stat_database"
                           " WHERE datname = current_database()").fetchone()
    return int(row[0]) if row else 0


def _phase(
    urls: list[str], platform: str, due: dict[str, float] | Callable[[], dict[str, float]], *,
    devices: int, wait: float, period: float, after_due: float, procs: int,
    server_pids: list[int], db: str,
) -> tuple[dict[str, float], list[tuple[str, float]], dict[str, Any]]:
    """One connection per device, as real devices have; devices round-robin over replicas
    and are spread over `procs` client processes. `due` may be a function called once every
    device is registered (it sets the due times then, so server start-up and registration
    never count as latency). Also returns the CPU shares of the phase."""
    import multiprocessing

    tokens = [(urls[i % len(urls)], _register(urls[i % len(urls)], f"{platform}-{i}", platform))
              for i in range(devices)]
    ctx = multiprocessing.get_context("fork")
    out, stop = ctx.Queue(), ctx.Event()
    procs = max(1, min(procs, devices))
    workers = [ctx.Process(target=_client, args=(tokens[k::procs], platform, wait, period,
                                                 out, stop), daemon=True)
               for k in range(procs)]
    for w in workers:
        w.start()
    if callable(due):
        due = due()
    deadline = max(due.values()) + after_due
    claims: list[tuple[str, float]] = []
    claimed: set[str] = set()
    client_cpu, ended = 0.0, 0

    def drain(timeout: float) -> None:
        nonlocal client_cpu, ended
        import queue

        try:
            kind, value = out.get(timeout=timeout)
        except queue.Empty:
            return
        if kind == "claims":
            claims.extend(value)
            claimed.update(j for j, _ in value)
        elif kind == "cpu":
            client_cpu += value
            ended += 1
        else:
            stop.set()
            raise RuntimeError(f"a simulated device failed: {value}")

    while time.time() < min(due.values()):
        drain(0.01)  # the CPU shares count from the first due time
    busy0, total0, server0, wall0 = *_busy(), _cpu_of(server_pids), time.monotonic()
    pg_before = {pid: _cpu_of([pid]) for pid in _backends(db)}
    xacts0 = _xacts(db)
    while len(claimed) < len(due) and time.time() < deadline:
        drain(0.05)
    busy1, total1, server1, wall1 = *_busy(), _cpu_of(server_pids), time.monotonic()
    pg_cpu = sum(_cpu_of([pid]) - pg_before.get(pid, 0.0) for pid in _backends(db))
    if xacts0:
        time.sleep(1.0)  # backends report their counts about once a second
    xacts = _xacts(db) - xacts0
    stop.set()
    while ended < procs:
        drain(35)
        if not any(w.is_alive() for w in workers) and out.empty():
            break
    for w in workers:
        w.join(timeout=5)
    cores = os.cpu_count() or 1
    wall = max(wall1 - wall0, 1e-9)
    n = max(len(claims), 1)
    per_claim = {"server": round((server1 - server0) * 1000 / n, 3),
                 "postgresql": round(pg_cpu * 1000 / n, 3),
                 "client": round(client_cpu * 1000 / n, 3)}
    shares = {
        "cores": cores,
        "machine_busy_share": round((busy1 - busy0) / max(total1 - total0, 1e-9), 3),
        "server_cpu_share": round((server1 - server0) / (wall * cores), 3),
        "client_cpu_share": round(client_cpu / (wall * cores), 3),
        # CPU milliseconds one claim costs each part (whatever else the machine runs), and
        # the claims a second these cores could give if nothing else ran.
        "cpu_ms_per_claim": per_claim,
        "cpu_bound_claims_per_s": round(cores * 1000 / max(sum(per_claim.values()), 1e-6), 1),
    }
    if db.startswith("postgresql://"):  # statements and transactions (the stats lag ~0.5 s)
        shares["pg_xacts_per_claim"] = round(xacts / n, 2)
    return due, claims, shares


def _nudge(url: str) -> None:
    """Schedule one post (on a platform no device takes) through the API: the server re-arms
    its wake-up timer, as it does whenever something is scheduled; on PostgreSQL the
    notification re-arms every replica."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {OPERATOR}"},
                      timeout=30) as http:
        post_id = http.post("/api/posts", json={
            "text": "nudge", "targets": [{"platform": "nudge"}]}).raise_for_status().json()["id"]
        for step in ("submit", "approve"):
            http.post(f"/api/posts/{post_id}/{step}").raise_for_status()
        later = datetime.fromtimestamp(time.time() + 3600, timezone.utc).isoformat()
        http.post(f"/api/posts/{post_id}/schedule",
                  json={"scheduledAt": later}).raise_for_status()


async def _schedule(
    url: str, platform: str, count: int, first_due: float, rate: float
) -> dict[str, float]:
    """Jobs through the API of the running server (the baseline phase)."""
    due: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {OPERATOR}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        for i in range(count):
            r = await http.post("/api/posts", json={"text": f"baseline {i}",
                                                    "targets": [{"platform": platform}]})
            post_id = r.raise_for_status().json()["id"]
            for step in ("submit", "approve"):
                (await http.post(f"/api/posts/{post_id}/{step}")).raise_for_status()
            at = datetime.fromtimestamp(first_due + i / rate, timezone.utc).isoformat()
            r = await http.post(f"/api/posts/{post_id}/schedule", json={"scheduledAt": at})
            job = r.raise_for_status().json()["jobs"][0]
            due[job["id"]] = datetime.fromisoformat(job["scheduledAt"]).timestamp()
    return due


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _figures(due: dict[str, float], claims: list[tuple[str, float]]) -> dict[str, Any]:
    counts = Counter(j for j, _ in claims)
    latencies = [(at - due[j]) * 1000 for j, at in claims]
    span = max(at for _, at in claims) - min(due.values()) if claims else float("nan")
    return {
        "claimed": len(counts),
        "claims_per_s": round(len(claims) / span, 1) if claims and span > 0 else 0.0,
        "latency_p50_ms": round(_pct(latencies, 0.5), 1),
        "latency_p99_ms": round(_pct(latencies, 0.99), 1),
        "last_claim_s": round(max(latencies) / 1000, 3) if latencies else float("nan"),
        "double_claims": sum(1 for n in counts.values() if n > 1),
    }


# --- the modes -------------------------------------------------------------------------------


def _database(backend: str, pg_url: str | None, folder: Path) -> str:
    if backend == "sqlite":
        return str(folder / "bench.db")
    assert pg_url is not None
    return _new_database(pg_url)


def _run_load(backend: str, pg_url: str | None, replicas: int, devices: int, jobs: int,
              rate: float | None, *, baseline: tuple[int, float] | None,
              procs: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="claims-bench-"))
    db = _database(backend, pg_url, folder)
    _seed(db, "x", jobs)
    out: dict[str, Any] = {"backend": backend, "replicas": replicas, "devices": devices,
                           "jobs": jobs}
    with _servers(db, folder / "data", replicas) as (urls, pids):

        def come_due() -> dict[str, float]:
            times = _retime(db, time.time() + 2.0, rate)
            _nudge(urls[0])
            return times

        due, claims, shares = _phase(urls, "x", come_due, devices=devices, wait=30,
                                     period=0, after_due=60, procs=procs, server_pids=pids,
                                     db=db)
        out.update(_figures(due, claims))
        out.update(shares)
        if baseline is not None:
            count, base_rate = baseline
            start = time.time() + 3.0
            base_due = asyncio.run(_schedule(urls[0], "baseline", count, start, base_rate))
            base_due, polled, _ = _phase(urls, "baseline", base_due, devices=devices,
                                         wait=0, period=POLL_EVERY, after_due=60,
                                         procs=procs, server_pids=pids, db=db)
            base = _figures(base_due, polled)
            out.update({
                "baseline_jobs": count, "baseline_due_rate_per_s": base_rate,
                "baseline_poll_every_s": POLL_EVERY, "baseline_claimed": base["claimed"],
                "baseline_latency_p50_ms": base["latency_p50_ms"],
                "latency_ratio": round(base["latency_p50_ms"]
                                       / max(out["latency_p50_ms"], 0.001), 1),
            })
            out["double_claims"] += base["double_claims"]
    return out


def _growth(backend: str, pg_url: str | None, sizes: list[int]) -> dict[str, float]:
    """Claim p50 (ms) through the store with 10⁴, 10⁵, 10⁶ finished jobs in the table."""
    folder = Path(tempfile.mkdtemp(prefix="claims-growth-"))
    db = _database(backend, pg_url, folder)
    store = _open(db)
    store.close()
    result: dict[str, float] = {}
    have = 0
    for size in sizes:
        _add_finished(backend, db, have, size - have)
        have = size
        store = _open(db)
        try:
            dues = [time.time() - 1] * (GROWTH_CLAIMS + GROWTH_WARMUP)
            _seed_into(store, dues, tag=str(size))
            device = store.register_device(s.RegisterRequest(name=f"g{size}", platforms=["x"]),
                                           f"growth-{size}")
            for _ in range(GROWTH_WARMUP):  # a fresh store: connections, prepared statements
                warm = store.claim(device, ["x"], [])
                assert warm is not None
                store.cancel(warm.job.id)
            timings = []
            for _ in range(GROWTH_CLAIMS):
                started = time.perf_counter()
                got = store.claim(device, ["x"], [])
                timings.append((time.perf_counter() - started) * 1000)
                assert got is not None
                store.cancel(got.job.id)  # finished: it joins the table's history
        finally:
            store.close()
        result[f"{size:.0e}".replace("+0", "")] = round(_pct(timings, 0.5), 2)
    return result


def _seed_into(store: Store, dues: list[float], *, tag: str) -> None:
    for i, at in enumerate(dues):
        post = store.create_post(s.PostCreate(text=f"growth {tag} {i}",
                                              targets=[s.Target(platform="x")]))
        store.transition_post(post.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
        store.schedule(post.id, datetime.fromtimestamp(at, timezone.utc), max_attempts=3,
                       online_window=120)


def _add_finished(backend: str, db: str, offset: int, count: int) -> None:
    """`count` SUCCEEDED jobs of one post, written in bulk (not what we measure)."""
    now = time.time() - 86_400
    if backend == "sqlite":
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN")
        conn.execute("INSERT OR IGNORE INTO posts (id, text, targets, status, created_at,"
                     " updated_at) VALUES ('post_history', 'h', '[]', 'PUBLISHED', ?, ?)",
                     (now, now))
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            " INSERT INTO publishing_jobs (id, post_id, platform, account, status,"
            " scheduled_at, idempotency_key, max_attempts, created_at, updated_at)"
            " SELECT 'hist_' || i, 'post_history', 'x', 'main', 'SUCCEEDED', ? + i * 0.001,"
            " 'hist:' || i, 3, ?, ? FROM n", (offset, offset + count - 1, now, now, now))
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.close()
        return
    import psycopg

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO posts (id, text, targets, status, created_at, updated_at)"
                     " VALUES ('post_history', 'h', '[]', 'PUBLISHED', %s, %s)"
                     " ON CONFLICT DO NOTHING", (now, now))
        conn.execute(
            "INSERT INTO publishing_jobs (id, post_id, platform, account, status,"
            " scheduled_at, idempotency_key, max_attempts, created_at, updated_at)"
            " SELECT 'hist_' || i, 'post_history', 'x', 'main', 'SUCCEEDED', %s + i * 0.001,"
            " 'hist:' || i, 3, %s, %s FROM generate_series(%s::bigint, %s::bigint) AS i",
            (now, now, now, offset, offset + count - 1))
        conn.execute("VACUUM ANALYZE publishing_jobs")  # what autovacuum does in service


# --- the ceiling: what a bare endpoint and a bare claim statement cost here -----------------

def _bare_app_reply() -> bytes:
    job = {k: "x" * 20 for k in ("id", "postId", "platform", "account", "idempotencyKey")}
    post = {"id": "p" * 20, "text": "bench " * 10, "media": [], "targets": [], "warnings": []}
    return json.dumps({"job": {**job, "status": "CLAIMED", "attemptCount": 0},
                       "leaseToken": "t" * 32, "post": post, "verify": None}).encode()


def _bare_endpoint(port: int) -> None:
    """uvicorn (with what `serve` uses: uvloop and httptools when installed) and an ASGI app
    that answers every request with a canned claim-sized reply: no FastAPI, no store."""
    import uvicorn

    reply = _bare_app_reply()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(reply)).encode())]})
        await send({"type": "http.response.body", "body": reply})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _ceiling(pg_url: str | None, devices: int, procs: int, seconds: float) -> dict[str, Any]:
    """Requests a second and CPU per request of the bare endpoint under the same client, and
    claims a second and CPU per claim of the bare claim statement (the store's, one thread)."""
    import multiprocessing

    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_bare_endpoint, args=(port,))
    server.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    ctx = multiprocessing.get_context("fork")
    out, stop = ctx.Queue(), ctx.Event()
    conns = [(url, f"t{i}") for i in range(devices)]
    workers = [ctx.Process(target=_client, args=(conns[k::procs], "x", 0, 0, out, stop),
                           daemon=True) for k in range(procs)]
    for w in workers:
        w.start()
    time.sleep(1.0)  # connected and running
    assert server.pid is not None
    cpu0, wall0, counted = _cpu_of([server.pid]), time.monotonic(), 0
    import queue

    while time.monotonic() - wall0 < seconds:
        with contextlib.suppress(queue.Empty):
            kind, value = out.get(timeout=0.05)
            counted += len(value) if kind == "claims" else 0
    cpu1, wall1 = _cpu_of([server.pid]), time.monotonic()
    stop.set()
    client_cpu, ended = 0.0, 0
    while ended < procs:
        kind, value = out.get(timeout=30)
        if kind == "cpu":
            client_cpu, ended = client_cpu + value, ended + 1
    server.terminate()
    server.join(10)
    wall = wall1 - wall0
    n = max(counted, 1)
    result: dict[str, Any] = {
        "bare_endpoint_requests_per_s": round(counted / wall, 1),
        "bare_endpoint_server_cpu_ms": round((cpu1 - cpu0) * 1000 / n, 3),
        "bare_endpoint_client_cpu_ms": round(client_cpu * 1000 / n, 3),
    }
    if pg_url is not None:
        result.update(_bare_claim(pg_url))
    return result


def _bare_claim(pg_url: str, jobs: int = 2000) -> dict[str, Any]:
    """The store's claim statement alone, one thread, all jobs due: claims a second, and the
    CPU of this process (psycopg, building the reply) and of its PostgreSQL backend."""
    import psycopg

    db = _new_database(pg_url)
    _seed(db, "x", jobs)
    _retime(db, time.time() - 10, None)
    store = _open(db)
    device = store.register_device(s.RegisterRequest(name="bare", platforms=["x"]), "bare")
    store.claim(device, ["x"], [])
    with psycopg.connect(db, autocommit=True) as conn:
        backends = [int(r[0]) for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()").fetchall()]
    pg0, cpu0, wall0, n = _cpu_of(backends), time.process_time(), time.monotonic(), 0
    while store.claim(device, ["x"], []) is not None:
        n += 1
    pg1, cpu1, wall1 = _cpu_of(backends), time.process_time(), time.monotonic()
    store.close()
    n = max(n, 1)
    return {"bare_claim_per_s_one_thread": round(n / (wall1 - wall0), 1),
            "bare_claim_python_cpu_ms": round((cpu1 - cpu0) * 1000 / n, 3),
            "bare_claim_postgresql_cpu_ms": round((pg1 - pg0) * 1000 / n, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--db-url", default=None, help="a PostgreSQL server to use")
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=320.0, help="jobs coming due per second")
    parser.add_argument("--burst", type=int, default=0, help="jobs due at the same second")
    parser.add_argument("--growth", action="store_true", help="claim latency as history grows")
    parser.add_argument("--ceiling", action="store_true",
                        help="what a bare uvicorn endpoint and the bare claim statement do")
    parser.add_argument("--sizes", default=",".join(map(str, GROWTH)),
                        help="finished jobs in the table at each growth step")
    parser.add_argument("--baseline-jobs", type=int, default=100)
    parser.add_argument("--baseline-rate", type=float, default=10.0)
    parser.add_argument("--client-procs", type=int, default=2,
                        help="processes the simulated devices are spread over")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.replicas < 1 or (args.replicas > 1 and args.backend == "sqlite"):
        parser.error("--replicas above 1 needs --backend postgresql (SQLite is one process)")

    sizes = [int(n) for n in args.sizes.split(",") if n]
    need_pg = args.backend == "postgresql" or args.growth or args.ceiling
    with _postgres(args.db_url) if need_pg else contextlib.nullcontext(None) as pg_url, \
            contextlib.ExitStack() as cleanup:
        cleanup.callback(_drop_databases)
        if args.ceiling:
            result: dict[str, Any] = {"mode": "ceiling", "devices": args.devices, **_ceiling(
                pg_url, args.devices, args.client_procs, 10.0)}
        elif args.growth:
            result = {
                "mode": "growth", "claims_timed": GROWTH_CLAIMS,
                "sqlite_claim_p50_ms": _growth("sqlite", None, sizes),
                "postgresql_claim_p50_ms": _growth("postgresql", pg_url, sizes),
            }
        elif args.burst:
            result = {"mode": "burst", **_run_load(
                args.backend, pg_url, args.replicas, args.devices, args.burst, None,
                baseline=None, procs=args.client_procs)}
        else:
            result = {"mode": "steady", "due_rate_per_s": args.rate, **_run_load(
                args.backend, pg_url, args.replicas, args.devices, args.jobs, args.rate,
                baseline=(args.baseline_jobs, args.baseline_rate)
                if args.backend == "sqlite" else None, procs=args.client_procs)}
            if args.backend == "postgresql":  # the same workload on SQLite, for comparison
                lite = _run_load("sqlite", None, 1, args.devices, args.jobs, args.rate,
                                 baseline=None, procs=args.client_procs)
                result.update({f"sqlite_{k}": v for k, v in lite.items()
                               if k in ("claims_per_s", "latency_p50_ms", "latency_p99_ms",
                                        "double_claims", "claimed", "server_cpu_share",
                                        "client_cpu_share", "machine_busy_share",
                                        "cpu_ms_per_claim", "cpu_bound_claims_per_s")})
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
