"""Claim benchmark: long-polling devices vs devices polling every 5 s, in one run.

Method: the reference server runs as its own process (`publish-runner serve`) on a fresh
SQLite file. Jobs are written to that file beforehand with due times at a steady rate, so the
server learns of them only through its wake-up timer. Phase 1: 50 devices long-poll
(`waitSec` 30) while 2,000 jobs come due at `--rate` per second. Phase 2 (baseline, shorter):
50 devices each poll with `waitSec` 0 every 5 s while `--baseline-jobs` come due. Latency is
due time → claim reply received. A job claimed twice is a double claim.

    python bench/claims.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import httpx

from contract import models as s
from server.store import SqliteStore

OPERATOR, ENROLL = "bench-operator", "bench-enroll"
DEVICES = 50
POLL_EVERY = 5.0  # seconds, the baseline devices' polling period
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]  # no Nagle delay on small requests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(db: Path, platform: str, count: int, first_due: float, rate: float) -> dict[str, float]:
    """Posts with one job each, due at a steady rate; returns job id → due time."""
    store = SqliteStore(db)
    due: dict[str, float] = {}
    for i in range(count):
        post = store.create_post(s.PostCreate(text=f"bench {i}",
                                              targets=[s.Target(platform=platform)]))
        store.transition_post(post.id, {s.PostStatus.DRAFT}, s.PostStatus.APPROVED)
        at = datetime.fromtimestamp(first_due + i / rate, timezone.utc)
        [job] = store.schedule(post.id, at, max_attempts=3, online_window=120).jobs
        due[job.id] = job.scheduled_at.timestamp()
    store.close()
    return due


async def _schedule(
    url: str, platform: str, count: int, first_due: float, rate: float
) -> dict[str, float]:
    """Like `_seed`, but through the API of the running server (for the later phase)."""
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


async def _register(http: httpx.AsyncClient, name: str, platform: str) -> str:
    r = await http.post("/api/devices/register", json={"name": name, "platforms": [platform]},
                        headers={"Authorization": f"Bearer {ENROLL}"})
    r.raise_for_status()
    return str(r.json()["deviceToken"])


async def _device(
    http: httpx.AsyncClient, token: str, platform: str, wait: float, period: float,
    claims: list[tuple[str, float]], done: asyncio.Event, offset: float,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    await asyncio.sleep(offset)
    while not done.is_set():
        started = time.monotonic()
        r = await http.post("/api/publishing/jobs/claim", headers=headers,
                            json={"platforms": [platform], "waitSec": wait})
        if r.status_code == 200:
            claims.append((r.json()["job"]["id"], time.time()))
        elif r.status_code != 204:
            raise RuntimeError(f"claim failed: {r.status_code} {r.text}")
        if period:
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))


async def _phase(
    url: str, platform: str, due: dict[str, float], *, wait: float, period: float,
    deadline: float,
) -> list[tuple[str, float]]:
    """One client per device, as real devices have (httpx pools slow down when shared)."""
    claims: list[tuple[str, float]] = []
    done = asyncio.Event()
    clients = [httpx.AsyncClient(base_url=url, timeout=60,
                                 transport=httpx.AsyncHTTPTransport(socket_options=NODELAY))
               for _ in range(DEVICES)]
    try:
        tokens = [await _register(c, f"{platform}-{i}", platform) for i, c in enumerate(clients)]
        tasks = [asyncio.create_task(_device(c, t, platform, wait, period, claims, done,
                                             offset=random.uniform(0, period)))
                 for i, (c, t) in enumerate(zip(clients, tokens, strict=True))]
        while len({c[0] for c in claims}) < len(due) and time.time() < deadline:
            await asyncio.sleep(0.05)  # a progress check, not a wait for one event
        done.set()
        await asyncio.wait(tasks, timeout=35)
        for task in tasks:
            task.cancel()
    finally:
        for client in clients:
            await client.aclose()
    return claims


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=320.0, help="jobs coming due per second")
    parser.add_argument("--baseline-jobs", type=int, default=100)
    parser.add_argument("--baseline-rate", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="claims-bench-"))
    db, port = tmp / "bench.db", _free_port()
    start = time.time() + 6.0  # leaves the server and the devices time to get ready
    main_due = _seed(db, "x", args.jobs, start, args.rate)
    server = subprocess.Popen(
        [sys.executable, "-m", "runner", "--log-level", "WARNING", "serve", "--db", str(db),
         "--port", str(port), "--data-dir", str(tmp), "--operator-token", OPERATOR,
         "--enroll-token", ENROLL, "--claim-timeout", "3600", "--run-timeout", "3600",
         "--recovery-interval", "3600"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        claims = asyncio.run(_phase(url, "x", main_due, wait=30, period=0,
                                    deadline=start + args.jobs / args.rate + 60))
        base_start = time.time() + 3.0
        base_due = asyncio.run(_schedule(url, "baseline", args.baseline_jobs, base_start,
                                         args.baseline_rate))
        baseline = asyncio.run(_phase(url, "baseline", base_due, wait=0, period=POLL_EVERY,
                                      deadline=base_start + args.baseline_jobs
                                      / args.baseline_rate + 60))
    finally:
        server.terminate()
        server.wait(timeout=30)

    counts = Counter(j for j, _ in claims + baseline)
    latencies = [(at - main_due[j]) * 1000 for j, at in claims]
    base_lat = [(at - base_due[j]) * 1000 for j, at in baseline]
    span = max(at for _, at in claims) - min(main_due.values()) if claims else float("nan")
    result = {
        "devices": DEVICES,
        "jobs": args.jobs,
        "due_rate_per_s": args.rate,
        "claimed": len({j for j, _ in claims}),
        "claims_per_s": round(len(claims) / span, 1) if claims else 0.0,
        "latency_p50_ms": round(_pct(latencies, 0.5), 1),
        "latency_p99_ms": round(_pct(latencies, 0.99), 1),
        "baseline_jobs": args.baseline_jobs,
        "baseline_due_rate_per_s": args.baseline_rate,
        "baseline_poll_every_s": POLL_EVERY,
        "baseline_claimed": len({j for j, _ in baseline}),
        "baseline_latency_p50_ms": round(_pct(base_lat, 0.5), 1),
        "latency_ratio": round(_pct(base_lat, 0.5) / max(_pct(latencies, 0.5), 0.001), 1),
        "double_claims": sum(1 for n in counts.values() if n > 1),
        "note": "baseline: same 50 devices polling every 5 s, fewer jobs to keep the run short",
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
