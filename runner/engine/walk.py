"""The phase walk: one run of a playbook on one page.

`Run.execute` walks the phases in their fixed order, each phase's steps in order, and turns
what happened into a `RunResult`; it never raises for a failed post. A step's work is the
action registered for its kind (`runner.engine.actions`); this module owns what is common
to every step: `when:`, retries, `optional`, human pacing, the step log, and locating an
error (platform, phase, step, file:line).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.errors import LoginRequired, RunCancelled, SelectorNotFound, StepError
from common.logs import log_context
from runner.engine import steps
from runner.engine.actions import ACTIONS, Note
from runner.engine.canary import (
    CanaryRefused,
    check_playbook,
    publish_selectors,
    refusal,
)
from runner.engine.evidence import Evidence
from runner.engine.locate import Resolved, SelectorResolver
from runner.engine.overlays import install_overlays
from runner.engine.playbook import IRREVERSIBLE_PHASE, PHASES
from runner.engine.result import Lookup, RecentCheck, RunResult, Status, StepRecord
from runner.engine.templates import TemplateError, render, truthy
from runner.engine.translate import quietly, translated

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from runner.engine.definitions import Platform
    from runner.engine.hooks import EngineHooks
    from runner.engine.options import EngineOptions
    from runner.engine.post import Post

log = logging.getLogger(__name__)

# Steps a person takes a moment before: with human pacing, a short random pause first.
PACED_KINDS = frozenset({"click", "type", "upload", "press"})


class Run:
    """The state of one run: values for templates, the step log, the result being built.
    Actions read and write it through the methods below."""

    def __init__(self, platform: Platform, options: EngineOptions, hooks: EngineHooks,
                 page: Page, post: Post, out_dir: Path) -> None:
        self.platform = platform
        self.options = options
        self.hooks = hooks
        self.page = page
        self.post = post
        self.out_dir = out_dir
        header = platform.playbook.header
        self.human = header.human if options.human is None else options.human
        self.resolver = SelectorResolver(platform, page, options.locale,
                                         on_scope=self.note_resolution,
                                         on_found=self.note_lookup,
                                         settled=options.settled)
        self.result = RunResult(status=Status.FAILED, canary=options.canary)
        # In canary mode: the selectors no step may act on (runner.engine.canary).
        self.guarded = publish_selectors(platform.playbook) if options.canary else frozenset()
        self.tracing = False
        self.evidence = Evidence(page, out_dir, self.result, platform=platform.name,
                                 proof_format=options.proof_format,
                                 static_page=options.static_page, on_proof=hooks.on_proof)
        self.seq = 0
        self.phase = ""
        # Recording the head of a dateless recent-posts list (runner.engine.recent_order):
        # find_post then only reads the newest fingerprints into `recorded_head`.
        self.head_mode = False
        self.recorded_head: tuple[str, ...] | None = None
        base_url = (options.base_url or header.base_url).rstrip("/")
        self.values: dict[str, Any] = {
            "post": post.values(),
            "account": post.account,
            "base_url": base_url,
            "locale": options.locale,
            "vars": {},
        }

    # ---- the run -----------------------------------------------------------------------

    async def execute(self) -> RunResult:
        started = time.perf_counter()
        tracing = self.options.trace and await self.evidence.start_tracing()
        self.tracing = tracing
        handlers = await install_overlays(self.page, self.resolver,
                                          self.platform.playbook.header.overlays)
        failed: StepError | None = None
        with log_context(platform=self.platform.name):
            try:
                if self.options.canary:
                    check_playbook(self.platform.playbook)
                await self._phases()
                self.result.status = Status.SUCCEEDED
            except LoginRequired as exc:
                self.result.status = Status.NEEDS_LOGIN
                self.result.error_code = exc.code
                self.result.error_message = str(exc)
                await self.evidence.failure_proof()
            except RunCancelled as exc:
                self.result.status = Status.CANCELLED
                self.result.error_code = exc.code
                self.result.error_message = str(exc)
            except StepError as exc:
                failed = exc
                self.result.status = Status.FAILED
                self.result.error_code = exc.code
                self.result.error_message = str(exc)
                self.result.failed_phase = exc.ctx.phase or self.phase
                if isinstance(exc, SelectorNotFound):
                    self.result.failed_selector = exc.ctx.selector
                    self.result.failed_selector_line = exc.ctx.selector_line
                    self.result.failed_tried = list(exc.ctx.tried)
                await self.evidence.failure_proof()
                if self.options.keep_failure_html:
                    await self.evidence.failure_html(self.phase)
            finally:
                for loc in handlers:
                    await quietly(self.page.remove_locator_handler(loc))
                if tracing:
                    await self.evidence.stop_tracing(keep=failed is not None)
        self.result.duration_s = time.perf_counter() - started
        if self.result.status is not Status.SUCCEEDED:
            log.log(logging.WARNING if failed else logging.INFO, "run ended %s: %s",
                    self.result.status.value, self.result.error_message)
        return self.result

    async def _phases(self) -> None:
        playbook = self.platform.playbook
        for phase in PHASES:
            if self.options.canary and phase == IRREVERSIBLE_PHASE:
                return  # a canary ends after LAST_CANARY_PHASE: publish, verify never start
            self.phase = phase
            phase_start = time.perf_counter()
            with log_context(phase=phase):
                if phase == IRREVERSIBLE_PHASE:
                    await self.hooks.before_publish()
                    self.result.reached_publish = True
                elif not self.result.reached_publish:
                    # After the publish action nothing may cancel: verify must run.
                    await self.hooks.checkpoint(phase)
                await self._steps(phase, playbook.phases.get(phase, []))
                await self.hooks.after_phase(phase)
                if phase == "confirm" and not self.options.canary:
                    approved = await self.hooks.await_confirm(self.result.proof("before_confirm"))
                    if not approved:
                        raise RunCancelled("the operator rejected the post at confirmation")
            self.result.phase_durations[phase] = time.perf_counter() - phase_start
            if self.options.stop_after == phase:
                return

    async def recent_posts(self) -> RecentCheck:
        steps_ = self.platform.playbook.recent_posts
        if not steps_:
            return RecentCheck(None, message=f"{self.platform.name} has no recent-posts check")
        self.phase = "recent_posts"
        self.values["vars"]["found"] = False
        try:
            with log_context(platform=self.platform.name, phase="recent_posts"):
                await self._steps("recent_posts", steps_)
        except StepError as exc:
            return RecentCheck(None, message=f"could not check recent posts: {exc}",
                               steps=self.result.steps)
        ambiguous = self.values["vars"].get("ambiguous")
        if ambiguous:  # find_post saw several candidates: an operator decides, not a guess
            return RecentCheck(None, message=str(ambiguous), steps=self.result.steps)
        found = bool(self.values["vars"].get("found"))
        if not found and not self.platform.playbook.header.recent_posts_conclusive:
            return RecentCheck(None, message=f"{self.platform.name}'s recent posts cannot show "
                               "that a post is absent", steps=self.result.steps)
        return RecentCheck(found, post_url=self.result.post_url,
                           proof=self.result.proof("after_publish"), steps=self.result.steps)

    async def read_head(self) -> tuple[str, ...] | None:
        """The newest posts' fingerprints, newest first, read with the `recent_posts` steps
        before a publish (for `recent_posts_order: newest_first`); None when the list could
        not be read (a retry then cannot place a match: inconclusive)."""
        steps_ = self.platform.playbook.recent_posts
        if not steps_:
            return None
        self.phase = "recent_posts"
        self.head_mode = True
        try:
            with log_context(platform=self.platform.name, phase="recent_posts"):
                await self._steps("recent_posts", steps_)
        except StepError as exc:
            log.warning("could not record the newest posts before publishing: %s", exc)
            return None
        finally:
            self.head_mode = False
        return self.recorded_head

    async def discard(self) -> RecentCheck:
        """Leave the composer without publishing: the playbook's `discard` steps, under the
        canary rule whatever the options say. `found` is unused; `message` says what
        happened (an empty message: discarded)."""
        steps_ = self.platform.playbook.discard
        if not steps_:
            return RecentCheck(None, message=f"{self.platform.name} has no discard steps")
        self.phase = "discard"
        self.guarded = publish_selectors(self.platform.playbook)
        try:
            with log_context(platform=self.platform.name, phase="discard"):
                await self._steps("discard", steps_)
        except StepError as exc:
            if isinstance(exc, SelectorNotFound) and self.result.failed_selector is None:
                self.result.failed_selector = exc.ctx.selector
                self.result.failed_selector_line = exc.ctx.selector_line
                self.result.failed_tried = list(exc.ctx.tried)
                self.result.failed_phase = "discard"
            return RecentCheck(False, message=f"could not discard the draft: {exc}",
                               steps=self.result.steps)
        return RecentCheck(True, steps=self.result.steps)

    async def _steps(self, phase: str, steps_: list[steps.Step]) -> None:
        for index, step in enumerate(steps_):
            name = step.title()
            grouped = self.tracing and await self.evidence.group(
                f"{phase} {index + 1}: {name}", self.platform.playbook.file,
                self.platform.playbook.lines.get((phase, index)))
            try:
                await self._step(phase, index, step, name)
            except StepError as exc:
                # Mark the failing step in the trace: a group of its own inside the step's.
                if grouped and await self.evidence.group(f"FAILED: {exc.detail}"):
                    await self.evidence.group_end()
                raise
            finally:
                if grouped:
                    await self.evidence.group_end()

    async def _step(self, phase: str, index: int, step: steps.Step, name: str) -> None:
        irreversible = phase == IRREVERSIBLE_PHASE
        with log_context(step=name):
            if step.when is not None and not truthy(step.when, self.values):
                await self.record(phase, name, "skipped", time.perf_counter(), "when false")
                return
            if self.guarded and (reason := refusal(step, self.guarded)):
                refused = CanaryRefused(reason)
                self._locate(refused, phase, index, step)
                await self.record(phase, name, "failed", time.perf_counter(), str(refused),
                                  level="error")
                raise refused
            attempts = 1 if irreversible else step.retries + 1
            for attempt in range(1, attempts + 1):
                started = time.perf_counter()
                try:
                    if self.human and step.kind in PACED_KINDS:
                        await asyncio.sleep(random.uniform(0.25, 0.9))
                    note = await self._exec(step, phase)
                except LoginRequired as exc:
                    # Not a failed step: the step saw what it looks for. Never retried.
                    await self.record(phase, name, "ok", started, str(exc))
                    raise
                except StepError as exc:
                    self._locate(exc, phase, index, step)
                    if attempt < attempts:
                        await self.record(phase, name, "warning", started,
                                          f"attempt {attempt} failed, retrying: {exc}",
                                          level="warning")
                        continue
                    if step.optional:
                        await self.record(phase, name, "warning", started,
                                          f"optional step failed: {exc}", level="warning")
                        break
                    await self.record(phase, name, "failed", started, str(exc),
                                      level="error", selector=exc.ctx.selector)
                    raise
                else:
                    await self.hooks.after_step(step)
                    await self.record(phase, name, "ok", started, *note)
                    break

    async def _exec(self, step: steps.Step, phase: str) -> Note:
        """Run one step's action; a Playwright error leaves as a StepError."""
        timeout = self.timeout(step, phase)
        refs = step.selector_refs()
        async with translated(step=step.title(), timeout=timeout,
                              selector=refs[0] if refs else None):
            return await ACTIONS[step.kind](self, step, timeout)
        raise AssertionError("unreachable")  # pragma: no cover  (mypy: the with may swallow)

    def _locate(self, exc: StepError, phase: str, index: int, step: steps.Step) -> None:
        """Add where the step is to the error once, so its message names phase and step."""
        if exc.ctx.phase:
            return
        exc.ctx.platform = self.platform.name
        exc.ctx.phase = phase
        exc.ctx.step = step.title()
        line = self.platform.playbook.lines.get((phase, index))
        where = f"{self.platform.playbook.file}:{line}" if line else self.platform.playbook.file
        exc.args = (f"{exc.detail} [{self.platform.name} {phase} step {index + 1} "
                    f"'{step.title()}', {where}]",)

    async def record(self, phase: str, step: str, status: str, started: float,
                     message: str = "", selector: str | None = None,
                     candidate: int | None = None, level: str = "info") -> None:
        self.seq += 1
        record = StepRecord(
            seq=self.seq, phase=phase, step=step, status=status, started_at=time.time(),
            duration_ms=round((time.perf_counter() - started) * 1000, 1), message=message,
            selector=selector, candidate=candidate, level=level,
        )
        self.result.steps.append(record)
        await self.hooks.on_step(record)

    # ---- what actions use --------------------------------------------------------------

    def timeout(self, step: steps.Step, phase: str) -> float:
        header = self.platform.playbook.header
        base = step.timeout
        if base is None:
            base = header.publish_timeout if phase == "verify" else header.default_timeout
        return base * self.options.timeout_scale

    def wait(self, timeout: float) -> float:
        """A wait for the page to reach a state, scaled (replay of static pages: short)."""
        return timeout * self.options.wait_scale

    def render(self, template: str) -> Any:
        try:
            return render(template, self.values)
        except TemplateError as exc:
            raise StepError(str(exc)) from exc

    async def resolve(self, name: str, timeout: float) -> tuple[Locator, Note]:
        found = await self.resolver.resolve(name, self.wait(timeout))
        return found.locator, self.resolved(found)

    def resolved(self, found: Resolved) -> Note:
        """Note a resolution for the health report and the step log."""
        self.note_resolution(found.name, found.candidate)
        return Note(f"{found.name} via candidate {found.candidate}", found.name, found.candidate)

    def note_lookup(self, found: Resolved) -> None:
        """The first resolution of each selector, for the canary's health report."""
        if found.name not in self.result.lookups:
            self.result.lookups[found.name] = Lookup(
                selector=found.name, candidate=found.candidate,
                candidates=len(self.resolver.definition(found.name).candidates),
                count=found.count, elapsed_ms=round(found.elapsed_ms, 1), phase=self.phase)

    def note_resolution(self, name: str, candidate: int) -> None:
        """Remember which candidate won; warn once per run when it was a fallback."""
        self.result.resolutions.setdefault(name, candidate)
        if candidate > 1 and name not in self.result.fallbacks:
            self.result.fallbacks.append(name)
            log.warning("fallback used: %s via candidate %d", name, candidate)


__all__ = ["PACED_KINDS", "Run"]
