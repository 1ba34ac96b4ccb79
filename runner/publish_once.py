"""One post, no server: the `publish` command and the first demo.

For a developer trying a playbook live. With the sandbox platform and no base URL, a
sandbox is started for the run and the account logged in, so it works on a fresh machine.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runner.browser import discover, open_page, resolve_headless, start_playwright
from runner.engine import Engine, EngineOptions, Post, RunResult, load_platform


@dataclass
class OnceResult:
    platform: str
    result: RunResult
    out_dir: Path

    @property
    def ok(self) -> bool:
        return self.result.status.value == "SUCCEEDED"

    def summary(self) -> dict[str, Any]:
        r = self.result
        return {
            "platform": self.platform,
            "status": r.status.value,
            "errorCode": r.error_code,
            "error": r.error_message,
            "postUrl": r.post_url,
            "proofs": {p.kind: str(p.path) for p in r.proofs},
            "fallbacks": r.fallbacks,
            "failureHtml": str(r.failure_html) if r.failure_html else None,
            "trace": str(r.trace) if r.trace else None,
            "durationS": round(r.duration_s, 3),
        }

    def describe(self) -> str:
        s = self.summary()
        lines = [f"{self.platform}: {s['status']}" + (f" — {s['error']}" if s["error"] else "")]
        if s["postUrl"]:
            lines.append(f"  post: {s['postUrl']}")
        for kind, path in s["proofs"].items():
            lines.append(f"  proof {kind}: {path}")
        for key in ("failureHtml", "trace"):
            if s[key]:
                lines.append(f"  {key}: {s[key]}")
        if s["fallbacks"]:
            lines.append(f"  fallbacks used: {', '.join(s['fallbacks'])}")
        return "\n".join(lines)


async def publish_once(
    platform: str,
    *,
    text: str,
    media: list[Path] | None = None,
    account: str = "main",
    profile: Path | None = None,
    headless: bool | None = None,
    base_url: str | None = None,
    locale: str = "auto",
    browser: str | None = None,
    out: Path = Path("out"),
) -> OnceResult:
    plat = load_platform(platform)
    headless = resolve_headless(headless)
    out_dir = out / f"{platform}-{time.strftime('%Y%m%d-%H%M%S')}"
    with contextlib.ExitStack() as stack:
        sandbox = None
        if platform == "sandbox" and base_url is None:
            from sandbox import SandboxServer

            sandbox = stack.enter_context(SandboxServer())
            base_url = sandbox.url
        cookies = [sandbox.state.login_cookie(account)] if sandbox is not None else None
        async with start_playwright() as pw, open_page(
                pw, discover(browser), profile=profile, headless=headless,
                cookies=cookies) as page:
            options = EngineOptions.from_settings(None, platform, locale=locale,
                                                  base_url=base_url)
            engine = Engine(plat, options)
            post = Post(text=text, media=tuple(m.resolve() for m in media or []), account=account)
            result = await engine.run(page, post, out_dir)
    return OnceResult(platform, result, out_dir)
