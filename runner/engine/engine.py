"""Running a playbook on one Playwright page: the engine's front door.

`Engine(platform, options, hooks).run(page, post, out_dir)` walks the phases
(`runner.engine.walk`) and returns a `RunResult`; it never raises for a failed post. The
parts: step actions (`actions/`, one function per step kind), evidence (`evidence.py`),
Playwright error translation (`translate.py`), selector resolution (`locate.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from runner.engine.hooks import EngineHooks
from runner.engine.options import EngineOptions
from runner.engine.post import Post
from runner.engine.result import RecentCheck, RunResult
from runner.engine.urls import glob_to_regex
from runner.engine.walk import Run

if TYPE_CHECKING:
    from playwright.async_api import Page

    from runner.engine.definitions import Platform


@dataclass(frozen=True)
class CanaryOutcome:
    """A canary's three answers: the run up to `confirm`, the discard, the recent posts."""

    result: RunResult
    discard: RecentCheck  # found True: discarded; False: the discard steps failed
    recent: RecentCheck  # found False: nothing was posted


class Engine:
    """Runs one platform's playbook. Reusable across pages and posts; holds no page state."""

    def __init__(self, platform: Platform, options: EngineOptions | None = None,
                 hooks: EngineHooks | None = None) -> None:
        self.platform = platform
        self.options = options or EngineOptions()
        self.hooks = hooks or EngineHooks()

    def _run(self, page: Page, post: Post, out_dir: Path) -> Run:
        return Run(self.platform, self.options, self.hooks, page, post, out_dir)

    async def run(self, page: Page, post: Post, out_dir: Path) -> RunResult:
        return await self._run(page, post, out_dir).execute()

    async def canary(self, page: Page, post: Post, out_dir: Path,
                     before_discard: Callable[[RunResult], Awaitable[None]] | None = None
                     ) -> CanaryOutcome:
        """A dry run: the phases up to `confirm` in canary mode (runner.engine.canary), the
        playbook's `discard` steps, then the recent-posts check for the canary's text.
        `before_discard` sees the page as the run left it (a diagnosis looks at it there)."""
        run = Run(self.platform, replace(self.options, canary=True), self.hooks, page, post,
                  out_dir)
        result = await run.execute()
        if before_discard is not None:
            await before_discard(result)
        discarded = await run.discard()
        recent = await run.recent_posts()
        return CanaryOutcome(result, discarded, recent)

    async def check_recent_posts(self, page: Page, post: Post, out_dir: Path) -> RecentCheck:
        return await self._run(page, post, out_dir).recent_posts()

    async def record_head(self, page: Page, post: Post, out_dir: Path) -> tuple[str, ...] | None:
        """Before publishing where the recent posts carry no dates: what the newest ones are
        (runner.engine.recent_order), for a retry to place its match against."""
        return await self._run(page, post, out_dir).read_head()


__all__ = ["CanaryOutcome", "Engine", "EngineHooks", "EngineOptions", "Post", "RecentCheck",
           "glob_to_regex"]
