"""The daemon end to end: due → SUCCEEDED on the sandbox, and what it costs when idle.

Starts the reference server and the sandbox in this process and the daemon as its own
process (warm browser, human-like delays off), then:
- schedules posts one at a time and measures due → SUCCEEDED (`publish_p50_s`);
- leaves the daemon idle for `--idle` seconds and samples its own process's CPU and RSS
  (`idle_cpu_percent`, `idle_rss_mb`), reporting the browser's processes apart.
Baseline, measured in the same run: the same posts published by `publish-runner publish`
(a cold browser and no server), the way a script without a daemon would do it.

    .venv/bin/python bench/e2e.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import emit, median

ROOT = Path(__file__).resolve().parents[1]


def proc_stat(pid: int) -> tuple[float, float]:
    """(cpu seconds, rss MB) of one process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss_pages = int(fields[21])
    return cpu, rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(entry.name))
                out.extend(children(int(entry.name)))
    return out


async def measure(posts: int, idle: float, baseline_posts: int) -> dict[str, object]:
    from contract import models as s
    from runner.client import ServerClient
    from runner.device.profiles import seed_cookies
    from sandbox import SandboxServer
    from server.serve import ServerThread
    from server.settings import ServerSettings

    home = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    with SandboxServer() as sb, ServerThread(ServerSettings(
            port=0, data_dir=home / "server", operator_token="op", enroll_token="en")) as srv:
        profile = home / "profiles" / "sandbox" / "main"
        await seed_cookies(profile, [sb.state.login_cookie("main")])
        env = {**os.environ, "PUBLISH_RUNNER_HOME": str(home),
               "PUBLISH_RUNNER_CONFIG": str(home / "none.yaml")}
        log = (home / "daemon.log").open("wb")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "runner", "--log-level", "WARNING", "run",
             "--server-url", srv.url, "--enroll-token", "en",
             "--account", f"sandbox/main={profile}", "--headless", "--min-gap", "0",
             "--base-url", f"sandbox={sb.url}", "--no-human"],
            cwd=ROOT, env=env, stdout=log, stderr=log)
        latencies = []
        try:
            async with ServerClient(srv.url, "op") as ops:
                for i in range(posts + 1):
                    post = await ops.create_post(s.PostCreate(
                        text=f"bench {i} 👋", targets=[s.Target(platform="sandbox",
                                                               account="main")]))
                    await ops.submit_post(post.id)
                    await ops.approve_post(post.id)
                    due = datetime.now(timezone.utc)
                    job = (await ops.schedule_post(post.id, s.ScheduleRequest(
                        scheduled_at=due))).jobs[0]
                    started = time.perf_counter()
                    while (await ops.get_job(job.id)).status.value not in (
                            "SUCCEEDED", "FAILED", "NEEDS_LOGIN"):
                        await asyncio.sleep(0.02)
                    if (await ops.get_job(job.id)).status.value != "SUCCEEDED":
                        raise SystemExit(f"post {i} did not succeed")
                    if i:  # the first one starts the browser
                        latencies.append(time.perf_counter() - started)
            await asyncio.sleep(3)  # let the outbox and the browser settle
            cpu0, _ = proc_stat(daemon.pid)
            t0 = time.monotonic()
            rss = []
            while time.monotonic() - t0 < idle:
                await asyncio.sleep(1)
                rss.append(proc_stat(daemon.pid)[1])
            cpu1, _ = proc_stat(daemon.pid)
            wall = time.monotonic() - t0
            browser_rss = sum(proc_stat(p)[1] for p in children(daemon.pid))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
    baseline = []
    for i in range(baseline_posts):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "runner", "--log-level", "ERROR", "publish",
                        "--platform", "sandbox", "--text", f"baseline {i}", "--headless",
                        "--out", str(home / "baseline")], cwd=ROOT, check=True,
                       capture_output=True)
        baseline.append(time.perf_counter() - t)
    return {
        "posts": posts,
        "publish_p50_s": round(median(latencies), 3),
        "publish_max_s": round(max(latencies), 3),
        "idle_s": round(wall, 1),
        "idle_cpu_percent": round(100 * (cpu1 - cpu0) / wall, 2),
        "idle_rss_mb": round(median(rss), 1),
        "browser_rss_mb": round(browser_rss, 1),
        "baseline_cold_publish_p50_s": round(median(baseline), 3),
        "ratio": round(median(baseline) / median(latencies), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--baseline-posts", type=int, default=3)
    args = parser.parse_args()
    emit(asyncio.run(measure(args.posts, args.idle, args.baseline_posts)), args.json)


if __name__ == "__main__":
    main()
