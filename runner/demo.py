"""`publish-runner demo`: publish on a local sandbox and show where the proofs are.

The first thing a new user runs. Everything is local: a sandbox site on 127.0.0.1, a real
Chromium, the real playbook and engine. Exits 0 only when every outcome is the expected one.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.async_api import async_playwright

from runner.browser import VIEWPORT, discover, launch, resolve_headless
from runner.engine import Engine, RunResult, load_platform
from runner.engine.engine import EngineOptions, Post


@dataclass(frozen=True)
class DemoCase:
    name: str
    text: str
    account: str
    expected: str
    media: bool = False
    faults: tuple[str, ...] = ()


CASES = (
    DemoCase("text post", "Hello from publish-runner 👋 مرحبا", "main", "SUCCEEDED"),
    DemoCase("image post", "A photo, posted by the demo 📷", "main", "SUCCEEDED", media=True),
    DemoCase("Arabic interface", "منشور تجريبي من الواجهة العربية ✨", "arabic", "SUCCEEDED"),
    DemoCase("logged out", "never typed", "main", "NEEDS_LOGIN", faults=("session_expired",)),
    DemoCase("selector failure", "never posted", "main", "FAILED",
             faults=("redesign_broken",)),
)


@dataclass
class DemoOutcome:
    case: DemoCase
    result: RunResult
    proofs: dict[str, Path]

    @property
    def ok(self) -> bool:
        return self.result.status.value == self.case.expected


def demo_image(folder: Path) -> Path:
    img = Image.new("RGB", (640, 400), (18, 110, 130))
    ImageDraw.Draw(img).rectangle((40, 40, 600, 360), outline=(255, 255, 255), width=6)
    path = folder / "demo-photo.png"
    buf = io.BytesIO()
    img.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


async def run_demo(out: Path, headed: bool = False) -> list[DemoOutcome]:
    from sandbox import SandboxServer

    platform = load_platform("sandbox")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="publish-runner-demo-"))
    photo = demo_image(work)
    outcomes = []
    with SandboxServer() as sb:
        async with async_playwright() as pw:
            browser = await launch(pw, discover(None), headless=resolve_headless(not headed))
            for i, case in enumerate(CASES, start=1):
                sb.state.set_faults(case.account, *case.faults)
                context = await browser.new_context(viewport=VIEWPORT)
                await context.add_cookies([sb.state.login_cookie(case.account)])  # type: ignore[list-item]
                page = await context.new_page()
                engine = Engine(platform, EngineOptions(base_url=sb.url, timeout_scale=0.3))
                post = Post(case.text, (photo,) if case.media else (), case.account)
                result = await engine.run(page, post, work / str(i))
                await context.close()
                sb.state.set_faults(case.account)
                proofs = {}
                for proof in result.proofs:
                    target = out / f"{i}-{case.name.replace(' ', '-')}-{proof.path.name}"
                    shutil.copyfile(proof.path, target)
                    proofs[proof.kind] = target
                outcomes.append(DemoOutcome(case, result, proofs))
            await browser.close()
    shutil.rmtree(work, ignore_errors=True)
    return outcomes


def render(outcomes: list[DemoOutcome]) -> str:
    lines = []
    for o in outcomes:
        mark = "ok " if o.ok else "BAD"
        lines.append(f"{mark} {o.case.name:18} expected {o.case.expected:11} got "
                     f"{o.result.status.value}")
        if o.result.error_message:
            lines.append(f"      {o.result.error_message[:160]}")
        if o.result.post_url:
            lines.append(f"      post: {o.result.post_url}")
        for kind, path in o.proofs.items():
            lines.append(f"      proof {kind:15} {path}")
    good = sum(o.ok for o in outcomes)
    lines.append(f"\n{good} of {len(outcomes)} outcomes as expected")
    return "\n".join(lines)
