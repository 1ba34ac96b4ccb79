"""The chaos runs, shared by the short suite (tests/chaos) and the long one (bench/chaos.py).

Real processes on loopback: the sandbox site (ground truth: its post list), the server and
the daemon from the end-to-end harness (tests/e2e/conftest.py), a real Chromium. The daemon
pauses at a window through the test-only fault hook (runner/device/faults.py, a file read
again at every point, so one daemon process can be sent to the next window), is killed with
SIGKILL inside it, started again, and the job must end once on the platform with its proofs
and logs. Each scenario adds to a `Tally`; every figure but `kills` and the times must be 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import (
    ENROLL,
    OPERATOR,
    ROOT,
    DaemonProcess,
    ServerProcess,
    wait_until,
)

__all__ = ["SERVER_WINDOWS", "UPLOAD_WINDOW", "WINDOWS", "Chaos", "Tally", "run_rounds"]

# Where a daemon kill hurts: claimed but not started, mid-compose (typed, nothing sent),
# inside a media upload (the file handed to the file input, the sandbox holding the upload
# back), after confirm (the before-confirm proof being uploaded), right after the click,
# after verify (the after-publish proof and the completion being uploaded).
UPLOAD_WINDOW = "after_step.attach.upload"
WINDOWS = ("after_claim", "after_phase.compose", UPLOAD_WINDOW, "after_phase.confirm",
           "after_phase.publish", "after_phase.verify")
UPLOAD_HOLD_MS = 60_000  # the sandbox's slow_upload: far longer than the way to the kill
SERVER_WINDOWS = ("after_phase.confirm", "after_phase.publish")  # where the server is killed
TERMINAL = ("SUCCEEDED", "FAILED", "NEEDS_LOGIN", "CANCELLED")
SERVER_OPTIONS = {"claim-timeout": "3", "run-timeout": "6", "recovery-interval": "1",
                  "max-attempts": "5"}


@dataclass
class Tally:
    kills: int = 0
    double_posts: int = 0
    lost_posts: int = 0
    lost_proofs: int = 0
    lost_events: int = 0
    stuck_jobs: int = 0
    jobs: int = 0
    windows: dict[str, int] = field(default_factory=dict)  # kills per window
    resolve_s: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {"kills": self.kills, "jobs": self.jobs, "double_posts": self.double_posts,
                "lost_posts": self.lost_posts, "lost_proofs": self.lost_proofs,
                "lost_events": self.lost_events, "stuck_jobs": self.stuck_jobs,
                "max_resolve_s": round(max(self.resolve_s, default=0.0), 1),
                "windows": dict(sorted(self.windows.items())),
                "problems": self.problems[:20]}


def seed(profile: Path, cookie: dict[str, Any]) -> None:
    from runner.device.profiles import seed_cookies

    asyncio.run(seed_cookies(profile, [cookie]))


class Chaos:
    """One server, one daemon home, one sandbox; scenarios add to `tally`."""

    def __init__(self, folder: Path, sandbox: Any, *, resolve_timeout: float = 120) -> None:
        self.folder = folder
        self.sandbox = sandbox
        self.tally = Tally()
        self.resolve_timeout = resolve_timeout
        self.faults = folder / "faults.json"
        self.set_pause(None)
        self.server = ServerProcess(folder, dict(SERVER_OPTIONS)).start()
        self.daemon = self._daemon(folder / "home")
        self._texts = 0

    def _daemon(self, home: Path) -> DaemonProcess:
        daemon = DaemonProcess(home, self.server, self.sandbox.url,
                               {"PUBLISH_RUNNER_TEST_FAULTS": str(self.faults)})
        home.mkdir(parents=True, exist_ok=True)
        if not daemon.profile.exists():
            seed(daemon.profile, self.sandbox.state.login_cookie("main"))
        return daemon

    def close(self) -> None:
        self.daemon.stop()
        self.server.stop()

    # -- tools ----------------------------------------------------------------------------

    def set_pause(self, point: str | None, seconds: float = 120) -> None:
        pause = {point: seconds} if point else {}
        self.faults.write_text(json.dumps({"reread": True, "pause": pause}), encoding="utf-8")

    def text(self, label: str) -> str:
        self._texts += 1
        return f"chaos {label} #{self._texts} {time.time_ns() % 10**9}"

    def ensure_daemon(self) -> None:
        if self.daemon.proc is None or self.daemon.proc.poll() is not None:
            self.daemon.proc = None
            self.daemon.start()

    def paused_at(self, point: str, since: int) -> bool:
        return len(self.daemon.logs(f"pausing 120.0s at {point}")) > since

    def pauses(self, point: str) -> int:
        return len(self.daemon.logs(f"pausing 120.0s at {point}"))

    def kill_daemon(self) -> None:
        self.daemon.kill()
        self.tally.kills += 1

    def judge(self, job_id: str, text: str, started: float,
              media_sha256: str | None = None) -> None:
        """The job must end, SUCCEEDED, once on the platform (with its one image, when it
        has one), with both proofs and the publish and verify logs of the run that
        succeeded."""
        try:
            job = self.server.wait_job(job_id, *TERMINAL, timeout=self.resolve_timeout)
        except AssertionError:
            self.tally.stuck_jobs += 1
            self.tally.problems.append(f"{job_id} stuck: {self.server.job(job_id)['status']}")
            return
        self.tally.resolve_s.append(time.monotonic() - started)
        live = [p for p in self.sandbox.state.posts() if p.text == text]
        if len(live) > 1:
            self.tally.double_posts += 1
            self.tally.problems.append(f"{job_id} posted {len(live)} times")
        if job["status"] != "SUCCEEDED" or not live:
            self.tally.lost_posts += 1
            self.tally.problems.append(f"{job_id} {job['status']} with {len(live)} posts: "
                                       f"{job.get('lastErrorMessage')}")
            return
        if media_sha256 is not None and \
                [m.sha256 for p in live for m in p.media] != [media_sha256]:
            self.tally.lost_posts += 1
            self.tally.problems.append(f"{job_id} live without its image: "
                                       f"{[[m.sha256[:8] for m in p.media] for p in live]}")
        if job["postUrl"] not in {f"{self.sandbox.url}/p/{p.id}" for p in live}:
            self.tally.lost_posts += 1
            self.tally.problems.append(f"{job_id} holds {job['postUrl']}, not its post")
        won = [r for r in job["runs"] if r["status"] == "SUCCEEDED"]
        proofs = {p["kind"] for r in won for p in r["proofs"]}
        if "after_publish" not in proofs:
            self.tally.lost_proofs += 1
            self.tally.problems.append(f"{job_id} has no after_publish proof")
        phases = {e["phase"] for r in won for e in r["logs"]}
        if not ({"publish", "verify"} <= phases):
            self.tally.lost_events += 1
            self.tally.problems.append(f"{job_id} success logs lack publish/verify: {phases}")
        self.tally.jobs += 1

    def publish(self, text: str, media: list[str] | None = None) -> str:
        post = self.server.publish(text, media=media)
        (job,) = post["jobs"]
        return str(job["id"])

    def image(self) -> tuple[str, str]:
        """A fresh PNG uploaded to the server: (asset id, sha256)."""
        from PIL import Image

        self._texts += 1
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), (self._texts * 37 % 256, 90, 160)).save(buf, "PNG")
        data = buf.getvalue()
        asset = self.server.api("POST", "/api/assets",
                                files={"file": ("chaos.png", data, "image/png")})
        return str(asset["assetId"]), hashlib.sha256(data).hexdigest()

    # -- scenarios ------------------------------------------------------------------------

    def kill_daemon_at(self, point: str) -> None:
        """SIGKILL the daemon inside one window, start it again without pauses. In the
        upload window the post has an image and the sandbox holds its upload back, so the
        kill lands while the upload is in flight (checked: the site has not accepted it)."""
        self.set_pause(point)
        self.ensure_daemon()
        before = self.pauses(point)
        text = self.text(point)
        media, sha = self.image() if point == UPLOAD_WINDOW else (None, None)
        if media is not None:
            self.sandbox.state.set_faults("main", "slow_upload", slow_ms=UPLOAD_HOLD_MS)
        try:
            job_id = self.publish(text, [media] if media else None)
            wait_until(lambda: self.paused_at(point, before), 90, f"the daemon at {point}")
            accepted = [m for m in self.sandbox.state.uploads("main") if m.sha256 == sha]
            self.kill_daemon()
            self.tally.windows[point] = self.tally.windows.get(point, 0) + 1
        finally:
            if media is not None:
                self.sandbox.state.set_faults("main")
        if accepted:
            self.tally.problems.append(f"{job_id}: the kill missed the upload (accepted)")
            self.tally.lost_posts += 1  # the window was not exercised: not a pass
        started = time.monotonic()
        self.set_pause(None)
        self.daemon.start()
        self.judge(job_id, text, started, sha)

    def kill_server_at(self, point: str) -> None:
        """SIGKILL the server while the daemon waits at a window, bring it back after
        `outage` seconds; the daemon keeps its results in its outbox meanwhile."""
        self.set_pause(point, 4)
        self.ensure_daemon()
        before = len(self.daemon.logs(f"pausing 4.0s at {point}"))
        text = self.text(f"server@{point}")
        job_id = self.publish(text)
        wait_until(lambda: len(self.daemon.logs(f"pausing 4.0s at {point}")) > before, 90,
                   f"the daemon at {point}")
        self.server.stop(signal.SIGKILL)
        self.tally.kills += 1
        key = f"server@{point}"
        self.tally.windows[key] = self.tally.windows.get(key, 0) + 1
        started = time.monotonic()
        self.set_pause(None)
        time.sleep(2)
        self.server.start()
        self.judge(job_id, text, started)

    def outage(self, seconds: float) -> None:
        """The server away for `seconds` (shorter or longer than runTimeout, 6 s) while a
        run goes on; it must still end once with its evidence."""
        self.set_pause("after_phase.confirm", 2)
        self.ensure_daemon()
        text = self.text(f"outage {seconds}s")
        job_id = self.publish(text)
        wait_until(lambda: self.daemon.logs("pausing 2.0s at after_phase.confirm"), 90,
                   "the run to reach confirm")
        self.server.stop(signal.SIGKILL)
        self.tally.kills += 1
        self.set_pause(None)
        time.sleep(seconds)
        started = time.monotonic()
        self.server.start()
        self.judge(job_id, text, started)

    def same_text_twice(self) -> None:
        """A published, B rejected after the click, B retried: B must never hold A's URL."""
        self.set_pause(None)
        self.ensure_daemon()
        text = self.text("twice")
        a = self.publish(text)
        self.judge(a, text, time.monotonic())
        self.sandbox.state.set_faults("main", "reject")
        b = self.publish(text)
        try:
            self.server.wait_job(b, "FAILED", timeout=self.resolve_timeout)
        finally:
            self.sandbox.state.set_faults("main")
        self.server.api("POST", f"/api/publishing/jobs/{b}/retry")
        job_b = self.server.wait_job(b, *TERMINAL, timeout=self.resolve_timeout)
        url_a = self.server.job(a)["postUrl"]
        live = [p for p in self.sandbox.state.posts() if p.text == text]
        if job_b["postUrl"] == url_a:
            self.tally.lost_posts += 1
            self.tally.problems.append(f"{b} SUCCEEDED with A's URL {url_a}")
        elif job_b["status"] != "SUCCEEDED" or len(live) != 2:
            self.tally.lost_posts += 1
            self.tally.problems.append(f"{b} {job_b['status']}, {len(live)} posts")
        self.tally.jobs += 1

    def two_daemons_one_profile(self, seconds: float = 8) -> int:
        """A second daemon on the same profile: the first keeps publishing, and the second
        does not cycle claim → release (returns how many releases the server saw)."""
        self.set_pause(None)
        self.ensure_daemon()
        env = {**os.environ, "PUBLISH_RUNNER_HOME": str(self.folder / "home2"),
               "PUBLISH_RUNNER_CONFIG": str(self.folder / "none.yaml"),
               "PUBLISH_RUNNER_HEARTBEAT_S": "1"}
        args = [sys.executable, "-m", "runner", "--log-format", "json", "run",
                "--server-url", self.server.url, "--enroll-token", ENROLL,
                "--account", f"sandbox/main={self.daemon.profile}", "--headless",
                "--base-url", f"sandbox={self.sandbox.url}", "--min-gap", "0",
                "--device-name", "chaos-second"]
        log = (self.folder / "second.log").open("ab")
        second = subprocess.Popen(args, stdout=log, stderr=log, env=env, cwd=ROOT)
        try:
            texts = [self.text("two daemons") for _ in range(2)]
            jobs = [self.publish(t) for t in texts]
            time.sleep(seconds)
            for job_id, text in zip(jobs, texts, strict=True):
                self.judge(job_id, text, time.monotonic())
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(30)
            except subprocess.TimeoutExpired:
                second.kill()
        audit = httpx.get(self.server.url + "/api/audit", params={"action": "JOB_RELEASED"},
                          headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=30)
        audit.raise_for_status()
        return len(audit.json())


def run_rounds(chaos: Chaos, kills: int, log: Callable[[str], None] = print) -> None:
    """Daemon kills round-robin over the windows, with a server kill every sixth."""
    i = daemon_kills = 0
    while chaos.tally.kills < kills:
        if i % 6 == 5:
            chaos.kill_server_at(SERVER_WINDOWS[(i // 6) % len(SERVER_WINDOWS)])
        else:
            chaos.kill_daemon_at(WINDOWS[daemon_kills % len(WINDOWS)])
            daemon_kills += 1
        i += 1
        log(json.dumps({"round": i, **chaos.tally.figures()}))
