"""`publish-runner demo`: the whole product on one machine, in about a minute.

An embedded reference server, the sandbox platform and the device daemon, all local: the
demo schedules posts through the operator API (a text post, an image post, a post from an
Arabic account, one for a logged-out account and one where no selector matches), lets the
daemon publish them in real Chromium profiles, and prints each outcome with the proof files
it copied. It exits 0 only when every outcome is the expected one.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw

from contract import models as s
from runner.browser import resolve_headless
from runner.client import ServerClient
from runner.device.daemon import Daemon
from runner.device.profiles import seed_cookies
from runner.device.settings import DaemonSettings


@dataclass(frozen=True)
class DemoCase:
    name: str
    text: str
    account: str
    expected: str
    media: bool = False


@dataclass
class DemoOutcome:
    case: DemoCase
    status: str
    error: str | None = None
    post_url: str | None = None
    proofs: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == self.case.expected


CASES = (
    DemoCase("text post", "Hello from publish-runner 👋 مرحبا", "main", "SUCCEEDED"),
    DemoCase("image post", "A photo, posted by the demo 📷", "main", "SUCCEEDED", media=True),
    DemoCase("Arabic interface", "منشور تجريبي من الواجهة العربية ✨", "arabic", "SUCCEEDED"),
    DemoCase("login wall", "never typed", "expired", "NEEDS_LOGIN"),
    DemoCase("selector failure", "never posted", "redesigned", "FAILED"),
)
# Sandbox accounts the demo adds, with the fault that makes each case happen.
EXTRA_ACCOUNTS = {"expired": ("en", "session_expired"), "redesigned": ("en", "redesign_broken")}
TERMINAL = {"SUCCEEDED", "FAILED", "NEEDS_LOGIN", "CANCELLED"}


def demo_image() -> bytes:
    img = Image.new("RGB", (640, 400), (18, 110, 130))
    ImageDraw.Draw(img).rectangle((40, 40, 600, 360), outline=(255, 255, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


async def _wait_terminal(ops: ServerClient, job_id: str, timeout: float) -> s.JobDetail:
    deadline = time.monotonic() + timeout
    while True:
        job = await ops.get_job(job_id)
        if job.status.value in TERMINAL or time.monotonic() > deadline:
            return job
        await asyncio.sleep(0.3)


async def run_demo(out: Path, headed: bool = False, timeout: float = 120.0) -> list[DemoOutcome]:
    from sandbox import SandboxServer
    from server.serve import ServerThread
    from server.settings import ServerSettings

    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="publish-runner-demo-"))
    operator, enroll = "demo-operator", "demo-enroll"
    with SandboxServer() as sb, ServerThread(ServerSettings(
            port=0, data_dir=home / "server", operator_token=operator,
            enroll_token=enroll)) as srv:
        for name, (locale, fault) in EXTRA_ACCOUNTS.items():
            sb.state.add_account(name, name, locale)
            sb.state.set_faults(name, fault)
        accounts = sorted({c.account for c in CASES})
        settings = DaemonSettings.model_validate({
            "server_url": srv.url, "home": home, "accounts": [f"sandbox/{a}" for a in accounts],
            "headless": resolve_headless(not headed), "base_urls": {"sandbox": sb.url},
            "min_gap_s": 0, "concurrency": {"sandbox": 2}, "max_parallel": 2,
            "notify": False, "device_name": "demo-workstation",
        })
        for account in settings.account_list():  # logged in once, as by an operator
            await seed_cookies(account.profile, [sb.state.login_cookie(account.name)],
                               settings.browser)
        daemon = Daemon(settings, srv.url, enroll_token=enroll)
        running = asyncio.create_task(daemon.run())
        outcomes = []
        async with ServerClient(srv.url, operator) as ops:
            photo = await ops.upload_asset(demo_image(), "demo-photo.png")
            jobs = []
            for case in CASES:
                post = await ops.create_post(s.PostCreate(
                    text=case.text, media=[photo.asset_id] if case.media else [],
                    targets=[s.Target(platform="sandbox", account=case.account)]))
                await ops.submit_post(post.id)
                await ops.approve_post(post.id)
                when = datetime.now(timezone.utc) - timedelta(seconds=1)
                scheduled = await ops.schedule_post(post.id, s.ScheduleRequest(scheduled_at=when))
                jobs.append(scheduled.jobs[0].id)
            for i, (case, job_id) in enumerate(zip(CASES, jobs, strict=True), start=1):
                job = await _wait_terminal(ops, job_id, timeout)
                outcome = DemoOutcome(case, job.status.value, job.last_error_message,
                                      job.post_url)
                for run in job.runs:
                    for proof in run.proofs:
                        data, ctype = await ops.get_asset(proof.asset_id)
                        ext = ".webp" if "webp" in ctype else ".png"
                        target = out / f"{i}-{case.name.replace(' ', '-')}-{proof.kind.value}{ext}"
                        target.write_bytes(data)
                        outcome.proofs[proof.kind.value] = target
                outcomes.append(outcome)
        daemon.request_stop()
        await running
    return outcomes


def render(outcomes: list[DemoOutcome]) -> str:
    lines = []
    for o in outcomes:
        mark = "ok " if o.ok else "BAD"
        lines.append(f"{mark} {o.case.name:18} expected {o.case.expected:11} got {o.status}")
        if o.error and o.status != "SUCCEEDED":
            lines.append(f"      {o.error[:160]}")
        if o.post_url:
            lines.append(f"      post: {o.post_url}")
        for kind, path in o.proofs.items():
            lines.append(f"      proof {kind:15} {path}")
    good = sum(o.ok for o in outcomes)
    lines.append(f"\n{good} of {len(outcomes)} outcomes as expected")
    return "\n".join(lines)
