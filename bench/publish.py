"""Sandbox publish time, from `open` to `verify`, in a warm browser.

Each run publishes one text post on the sandbox with human-like delays off (what the demo,
tests and replay use) and sums the phase durations. Baseline, measured in the same run: the
same post with human-like typing and pauses on, as the daemon does for real platforms.

    .venv/bin/python bench/publish.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from _common import emit, median, p


async def measure(runs: int, baseline_runs: int) -> dict[str, float]:
    from runner.browser import VIEWPORT, discover, launch, start_playwright
    from runner.engine import Engine, load_platform
    from runner.engine.engine import EngineOptions, Post
    from sandbox import SandboxServer

    platform = load_platform("sandbox")
    out = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    fast: list[float] = []
    human: list[float] = []
    with SandboxServer() as sb:
        async with start_playwright() as pw:
            browser = await launch(pw, discover(None))
            context = await browser.new_context(viewport=VIEWPORT)
            await context.add_cookies([sb.state.login_cookie("main")])  # type: ignore[list-item]
            page = await context.new_page()
            for i in range(runs + baseline_runs + 1):
                is_human = i > runs
                options = EngineOptions.from_settings(None, "sandbox", base_url=sb.url,
                                                      human=is_human, trace=False)
                engine = Engine(platform, options)
                result = await engine.run(page, Post(f"bench post {i} 👋 مرحبا"), out / str(i))
                if result.status.value != "SUCCEEDED":
                    raise SystemExit(f"run {i} failed: {result.error_message}")
                took = sum(result.phase_durations.values())
                if i == 0:
                    continue  # the first run warms the page and the sandbox
                (human if is_human else fast).append(took)
            await browser.close()
    return {
        "runs": runs,
        "publish_s_p50": round(median(fast), 3),
        "publish_s_p90": round(p(fast, 90), 3),
        "baseline_human_runs": baseline_runs,
        "baseline_human_publish_s_p50": round(median(human), 3),
        "ratio": round(median(human) / median(fast), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-runs", type=int, default=3)
    args = parser.parse_args()
    emit(asyncio.run(measure(args.runs, args.baseline_runs)), args.json)


if __name__ == "__main__":
    main()
