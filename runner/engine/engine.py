"""Running a playbook on one Playwright page.

`Engine.run` walks the phases in their fixed order and returns a `RunResult`; it never
raises for a failed post. The daemon plugs in through `EngineHooks`: it streams the step
log, gates the publish step (lease, cancel, operator confirmation) and uploads proofs.
Playwright errors are translated here into errors that name platform, phase, step and
selector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from common.errors import (
    AssertionFailed,
    ChallengeRequired,
    ClickIntercepted,
    PlatformRejected,
    RunCancelled,
    SelectorNotFound,
    StepContext,
    StepError,
    StepTimeout,
)
from common.logs import log_context
from runner.engine import proofs, steps
from runner.engine.locate import SelectorResolver, build, normalise, pick, strip_bidi
from runner.engine.playbook import IRREVERSIBLE_PHASE, PHASES
from runner.engine.result import Proof, RunResult, Status, StepRecord
from runner.engine.templates import TemplateError, render, truthy

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from runner.engine.definitions import Platform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Post:
    """What to publish. Media are local file paths."""

    text: str
    media: tuple[Path, ...] = ()
    account: str = "main"


class EngineHooks:
    """Where the caller joins a run. The defaults suit a run with nobody watching."""

    async def on_step(self, record: StepRecord) -> None:
        """A step finished (or was skipped): stream it to the server or a terminal."""

    async def on_proof(self, proof: Proof) -> None:
        """A proof was written to disk."""

    async def checkpoint(self, phase: str) -> None:
        """A phase before `publish` starts: raise RunCancelled to stop the run here."""

    async def await_confirm(self, proof: Proof | None) -> bool:
        """The AWAITING_CONFIRM gate after the before_confirm proof; False rejects."""
        return True

    async def before_publish(self) -> None:
        """Last call before the irreversible step: check the lease, journal the intent."""

    async def after_phase(self, phase: str) -> None:
        """A phase's steps all ran (replay swaps in the next fixture page here)."""

    async def after_step(self, step: steps.Step) -> None:
        """A step succeeded (replay lets a fixture redirect finish here)."""


@dataclass(frozen=True)
class EngineOptions:
    locale: str = "auto"
    human: bool | None = None  # None: the playbook's default
    proof_format: str = "webp"
    trace: bool = True
    base_url: str | None = None
    stop_after: str | None = None  # run up to and including this phase (fixture capture)
    timeout_scale: float = 1.0
    # Scales only waits for the page to reach a state (an element appearing, enabling);
    # actions keep their full timeout. Replay of static fixtures sets it low: a saved page
    # does not change, so waiting for it to is pointless.
    wait_scale: float = 1.0
    static_page: bool = False  # replay with scripts off: no animations, no caret to freeze
    keep_failure_html: bool = True  # replay keeps it only when asked to keep evidence


class _NeedsLogin(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def glob_to_regex(glob: str) -> re.Pattern[str]:
    """URL globs as Playwright writes them: `**` any text, `*` any text but `/`."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


@dataclass
class RecentCheck:
    """Outcome of the recent-posts check: found True/False, or None when it cannot tell."""

    found: bool | None
    post_url: str | None = None
    proof: Proof | None = None
    message: str = ""
    steps: list[StepRecord] = field(default_factory=list)


class Engine:
    """Runs one platform's playbook. Reusable across pages and posts; holds no page state."""

    def __init__(self, platform: Platform, options: EngineOptions | None = None,
                 hooks: EngineHooks | None = None) -> None:
        self.platform = platform
        self.options = options or EngineOptions()
        self.hooks = hooks or EngineHooks()

    async def run(self, page: Page, post: Post, out_dir: Path) -> RunResult:
        return await _Run(self, page, post, out_dir).execute()

    async def check_recent_posts(self, page: Page, post: Post, out_dir: Path) -> RecentCheck:
        return await _Run(self, page, post, out_dir).recent_posts()


class _Run:
    """The state of one run: variables, the step log, the result being built."""

    def __init__(self, engine: Engine, page: Page, post: Post, out_dir: Path) -> None:
        self.engine = engine
        self.platform = engine.platform
        self.options = engine.options
        self.hooks = engine.hooks
        self.page = page
        self.post = post
        self.out_dir = out_dir
        header = self.platform.playbook.header
        self.human = header.human if self.options.human is None else self.options.human
        self.resolver = SelectorResolver(self.platform, page, self.options.locale,
                                         on_scope=self._note_resolution)
        self.result = RunResult(status=Status.FAILED)
        self.seq = 0
        self.phase = ""
        base_url = (self.options.base_url or header.base_url).rstrip("/")
        self.values: dict[str, Any] = {
            "post": {"text": post.text, "media": [str(m) for m in post.media],
                     "account": post.account,
                     "has_video": any(_kind(m) == "video" for m in post.media),
                     "has_images": any(_kind(m) == "image" for m in post.media)},
            "account": post.account,
            "base_url": base_url,
            "locale": self.options.locale,
            "vars": {},
        }

    # ---- the run -----------------------------------------------------------------------

    async def execute(self) -> RunResult:
        started = time.perf_counter()
        tracing = await self._start_tracing()
        handlers = await self._install_overlays()
        failed: StepError | None = None
        with log_context(platform=self.platform.name):
            try:
                await self._phases()
                self.result.status = Status.SUCCEEDED
            except _NeedsLogin as exc:
                self.result.status = Status.NEEDS_LOGIN
                self.result.error_code = "NEEDS_LOGIN"
                self.result.error_message = exc.message
                await self._failure_proof()
            except RunCancelled as exc:
                self.result.status = Status.CANCELLED
                self.result.error_code = exc.code
                self.result.error_message = str(exc)
            except StepError as exc:
                failed = exc
                self.result.status = Status.FAILED
                self.result.error_code = exc.code
                self.result.error_message = str(exc)
                if isinstance(exc, SelectorNotFound):
                    self.result.failed_selector = exc.ctx.selector
                    self.result.failed_selector_line = exc.ctx.selector_line
                await self._failure_proof()
                if self.options.keep_failure_html:
                    await self._failure_html()
            finally:
                for loc in handlers:
                    await _quietly(self.page.remove_locator_handler(loc))
                if tracing:
                    await self._stop_tracing(keep=failed is not None)
        self.result.duration_s = time.perf_counter() - started
        if self.result.status is not Status.SUCCEEDED:
            log.log(logging.WARNING if failed else logging.INFO, "run ended %s: %s",
                    self.result.status.value, self.result.error_message)
        return self.result

    async def _phases(self) -> None:
        playbook = self.platform.playbook
        for phase in PHASES:
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
                if phase == "confirm":
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
        except (StepError, _NeedsLogin) as exc:
            msg = exc.message if isinstance(exc, _NeedsLogin) else str(exc)
            return RecentCheck(None, message=f"could not check recent posts: {msg}",
                               steps=self.result.steps)
        found = bool(self.values["vars"].get("found"))
        if not found and not self.platform.playbook.header.recent_posts_conclusive:
            return RecentCheck(None, message=f"{self.platform.name}'s recent posts cannot show "
                               "that a post is absent", steps=self.result.steps)
        return RecentCheck(found, post_url=self.result.post_url,
                           proof=self.result.proof("after_publish"), steps=self.result.steps)

    async def _steps(self, phase: str, steps_: list[steps.Step]) -> None:
        irreversible = phase == IRREVERSIBLE_PHASE
        for index, step in enumerate(steps_):
            name = step.title()
            with log_context(step=name):
                if step.when is not None and not truthy(step.when, self.values):
                    await self._record(phase, name, "skipped", time.perf_counter(), "when false")
                    continue
                attempts = 1 if irreversible else step.retries + 1
                for attempt in range(1, attempts + 1):
                    started = time.perf_counter()
                    try:
                        if self.human and step.kind in ("click", "type", "upload", "press"):
                            await asyncio.sleep(random.uniform(0.25, 0.9))
                        note = await self._exec(step, phase)
                    except StepError as exc:
                        self._locate(exc, phase, index, step)
                        if attempt < attempts:
                            await self._record(phase, name, "warning", started,
                                               f"attempt {attempt} failed, retrying: {exc}",
                                               level="warning")
                            continue
                        if step.optional:
                            await self._record(phase, name, "warning", started,
                                               f"optional step failed: {exc}", level="warning")
                            break
                        await self._record(phase, name, "failed", started, str(exc),
                                           level="error", selector=exc.ctx.selector)
                        raise
                    except _NeedsLogin as exc:
                        await self._record(phase, name, "ok", started, exc.message)
                        raise
                    else:
                        await self.hooks.after_step(step)
                        await self._record(phase, name, "ok", started, *note)
                        break

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

    async def _record(self, phase: str, step: str, status: str, started: float,
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

    # ---- helpers -----------------------------------------------------------------------

    def _timeout(self, step: steps.Step, phase: str) -> float:
        header = self.platform.playbook.header
        base = step.timeout
        if base is None:
            base = header.publish_timeout if phase == "verify" else header.default_timeout
        return base * self.options.timeout_scale

    def _wait(self, timeout: float) -> float:
        return timeout * self.options.wait_scale

    def _render(self, template: str) -> Any:
        try:
            return render(template, self.values)
        except TemplateError as exc:
            raise StepError(str(exc)) from exc

    async def _resolve(self, name: str, timeout: float) -> tuple[Locator, tuple[Any, ...]]:
        found = await self.resolver.resolve(name, self._wait(timeout))
        self._note_resolution(name, found.candidate)
        return found.locator, (f"{name} via candidate {found.candidate}", name, found.candidate)

    def _note_resolution(self, name: str, candidate: int) -> None:
        """Remember which candidate won; warn once per run when it was a fallback."""
        self.result.resolutions.setdefault(name, candidate)
        if candidate > 1 and name not in self.result.fallbacks:
            self.result.fallbacks.append(name)
            log.warning("fallback used: %s via candidate %d", name, candidate)

    async def _exec(self, step: steps.Step, phase: str) -> tuple[Any, ...]:
        """Run one step; returns the record's (message, selector, candidate)."""
        handler = getattr(self, "_do_" + step.kind)
        timeout = self._timeout(step, phase)
        try:
            note: tuple[Any, ...] = await handler(step, timeout)
            return note
        except PlaywrightTimeout as exc:
            raise StepTimeout(f"{step.title()} timed out after {timeout:g}s: "
                              f"{_first_line(exc)}") from exc
        except PlaywrightError as exc:
            raise StepError(f"{step.title()} failed: {_first_line(exc)}") from exc

    # ---- steps -------------------------------------------------------------------------

    async def _do_goto(self, step: steps.Goto, timeout: float) -> tuple[Any, ...]:
        url = str(self._render(step.url))
        await self.page.goto(url, wait_until=step.wait_until, timeout=timeout * 1000)
        return (f"at {self.page.url}",)

    async def _do_wait_for(self, step: steps.WaitFor, timeout: float) -> tuple[Any, ...]:
        if step.progress is None:
            return await self._wait_for(step, timeout)
        reporter = asyncio.create_task(self._report_progress(step.progress))
        try:
            return await self._wait_for(step, timeout)
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter

    async def _report_progress(self, name: str) -> None:
        """Log a progress element (upload %, "Processing…") whenever it changes."""
        last = None
        while True:
            found = await self.resolver.try_once(name)
            if found is not None:
                with contextlib.suppress(PlaywrightError):
                    value = await found.locator.first.evaluate(_PROGRESS_JS)
                    if value and value != last:
                        last = value
                        await self._record(self.phase, f"progress {name}", "progress",
                                           time.perf_counter(), str(value))
            await asyncio.sleep(1.0)

    async def _wait_for(self, step: steps.WaitFor, timeout: float) -> tuple[Any, ...]:
        if step.url is not None:
            pattern = glob_to_regex(str(self._render(step.url)))
            await self.page.wait_for_url(pattern, timeout=timeout * 1000)
            return (f"at {self.page.url}",)
        if step.any is not None:
            return await self._wait_any(step.any, timeout)
        assert step.selector is not None
        if step.state in ("hidden", "detached"):
            await self.resolver.wait_gone(step.selector, self._wait(timeout))
            return (f"{step.selector} gone",)
        deadline = time.monotonic() + self._wait(timeout)
        loc, note = await self._resolve(step.selector, timeout)
        if step.state in ("enabled", "disabled"):
            want = step.state == "enabled"
            while await loc.is_enabled() != want:
                if time.monotonic() > deadline:
                    sel = self.resolver.definition(step.selector)
                    raise StepTimeout(
                        f"{sel.title(step.selector)} did not become {step.state} in "
                        f"{self._wait(timeout):g}s (selector {step.selector})",
                        StepContext(selector=step.selector),
                    )
                await asyncio.sleep(0.05)
        return note

    async def _wait_any(self, names: list[str], timeout: float) -> tuple[Any, ...]:
        deadline = time.monotonic() + self._wait(timeout)
        while True:
            first_notes: list[str] = []
            for name in names:
                found, notes = await self.resolver.round(name)
                first_notes = first_notes or notes
                if found is not None:
                    self.values["vars"]["matched"] = name
                    self._note_resolution(name, found.candidate)
                    return (f"{name} via candidate {found.candidate}", name, found.candidate)
            if time.monotonic() > deadline:
                err = self.resolver.not_found(names[0], first_notes)
                if len(names) > 1:
                    err.args = (f"{err} — nor any of {', '.join(names[1:])} at {self.page.url}",)
                    err.detail = str(err)
                raise err
            await asyncio.sleep(0.05)

    async def _do_click(self, step: steps.Click, timeout: float) -> tuple[Any, ...]:
        deadline = time.monotonic() + timeout
        loc, note = await self._resolve(step.selector, timeout)
        remaining = max(deadline - time.monotonic(), 0.5)
        try:
            await loc.click(timeout=remaining * 1000, force=step.force)
        except PlaywrightTimeout as exc:
            blocker = _interceptor(exc)
            if blocker:
                raise ClickIntercepted(
                    f"click on {step.selector} was intercepted by {blocker}",
                    StepContext(selector=step.selector),
                ) from exc
            raise
        return note

    async def _do_type(self, step: steps.Type, timeout: float) -> tuple[Any, ...]:
        text = str(self._render(step.text))
        loc, note = await self._resolve(step.selector, timeout)
        method = step.method
        if method == "insert_text" and self.human:
            method = "keyboard"
        if step.clear and method != "fill" and await _field_text(loc):
            await loc.click(timeout=timeout * 1000)
            await self.page.keyboard.press("ControlOrMeta+A")
            await self.page.keyboard.press("Backspace")
        if method == "fill":
            await loc.fill(text, timeout=timeout * 1000)
        elif method == "insert_text":
            await loc.focus(timeout=timeout * 1000)
            await self.page.keyboard.insert_text(text)
        elif method == "paste":
            await loc.focus(timeout=timeout * 1000)
            await loc.evaluate(_PASTE_JS, text)
        else:
            await loc.focus(timeout=timeout * 1000)
            delay = step.delay_ms
            for ch in text:
                await self.page.keyboard.type(ch)
                pause = delay if delay is not None else random.uniform(35, 140)
                await asyncio.sleep(pause / 1000)
        if step.read_back:
            got = await _field_text(loc)
            if normalise(text) not in normalise(got):
                raise AssertionFailed(
                    f"typed text did not arrive in {step.selector} with method {method}: "
                    f"field holds {got[:80]!r}",
                    StepContext(selector=step.selector),
                )
        return note

    async def _do_upload(self, step: steps.Upload, timeout: float) -> tuple[Any, ...]:
        files = self._render(step.files) if isinstance(step.files, str) else [
            self._render(f) for f in step.files
        ]
        paths = [str(f) for f in (files if isinstance(files, list) else [files]) if f]
        for path in paths:
            if not Path(path).is_file():
                raise StepError(f"media file not found: {path}")
        loc, note = await self._resolve(step.selector, timeout)
        await loc.set_input_files(paths, timeout=timeout * 1000)
        return (f"{len(paths)} file(s) via {note[0]}", *note[1:])

    async def _do_press(self, step: steps.Press, timeout: float) -> tuple[Any, ...]:
        if step.selector:
            loc, note = await self._resolve(step.selector, timeout)
            await loc.press(step.key, timeout=timeout * 1000)
            return note
        await self.page.keyboard.press(step.key)
        return (step.key,)

    async def _do_assert(self, step: steps.Assert, timeout: float) -> tuple[Any, ...]:
        if step.url is not None:
            pattern = glob_to_regex(str(self._render(step.url)))
            if not pattern.match(self.page.url):
                raise AssertionFailed(step.message or f"URL {self.page.url} is not {step.url}")
            return (self.page.url,)
        assert step.selector is not None
        if step.state in ("hidden", "detached"):
            if await self.resolver.try_once(step.selector):
                raise AssertionFailed(step.message or f"{step.selector} is shown",
                                      StepContext(selector=step.selector))
            return (f"{step.selector} not shown",)
        loc, note = await self._resolve(step.selector, timeout)
        if step.state in ("enabled", "disabled") and (
            await loc.is_enabled() != (step.state == "enabled")
        ):
            raise AssertionFailed(step.message or f"{step.selector} is not {step.state}",
                                  StepContext(selector=step.selector))
        if step.text is not None:
            have = normalise(await loc.inner_text())
            wanted = [normalise(t) for t in pick(step.text, self.options.locale)]
            if not any(w in have for w in wanted):
                raise AssertionFailed(step.message or f"{step.selector} reads {have[:80]!r}",
                                      StepContext(selector=step.selector))
        if step.count is not None and (n := await loc.count()) != step.count:
            raise AssertionFailed(step.message or f"{step.selector}: {n} elements",
                                  StepContext(selector=step.selector))
        return note

    async def _do_extract(self, step: steps.Extract, timeout: float) -> tuple[Any, ...]:
        note: tuple[Any, ...] = ()
        if step.url:
            value: str | None = self.page.url
        else:
            assert step.selector is not None
            loc, note = await self._resolve(step.selector, timeout)
            if step.attribute:
                value = await loc.first.get_attribute(step.attribute)
                if value and step.attribute in ("href", "src"):
                    value = urljoin(self.page.url, value)
            else:
                value = strip_bidi(await loc.first.inner_text()).strip()
        if value is not None and step.pattern:
            m = re.search(step.pattern, value)
            value = (m.group(1) if m.groups() else m.group(0)) if m else None
        self.values["vars"][step.into] = value
        if step.into == "post_url" and value:
            self.result.post_url = value
        return (f"{step.into} = {value!r}", *note[1:])

    async def _do_screenshot(self, step: steps.Screenshot, timeout: float) -> tuple[Any, ...]:
        proof = await self._proof(step.name)
        return (f"{proof.kind}: {proof.size // 1024} KB",)

    async def _do_dismiss(self, step: steps.Dismiss, timeout: float) -> tuple[Any, ...]:
        deadline = time.monotonic() + min(self._wait(timeout), 1.0)
        while True:  # at least one look, however short the wait
            if await self.resolver.try_once(step.selector):
                target = step.button or step.selector
                loc, note = await self._resolve(target, timeout)
                await loc.click(timeout=timeout * 1000)
                return (f"dismissed {step.selector}", *note[1:])
            if time.monotonic() >= deadline:
                return (f"{step.selector} not present",)
            await asyncio.sleep(0.1)

    async def _matches(self, url: str | None, selector: str | None) -> str | None:
        if url is not None and glob_to_regex(str(self._render(url))).match(self.page.url):
            return f"URL {self.page.url}"
        if selector is not None and await self.resolver.try_once(selector):
            return f"{selector} on {self.page.url}"
        return None

    async def _do_login_wall(self, step: steps.LoginWall, timeout: float) -> tuple[Any, ...]:
        seen = await self._matches(step.url, step.selector)
        if seen:
            raise _NeedsLogin(
                f"{self.platform.name} account '{self.post.account}' is logged out "
                f"(login wall: {seen}); log in with `publish-runner login "
                f"{self.platform.name} --account {self.post.account}`"
            )
        return ("no login wall",)

    async def _do_challenge(self, step: steps.Challenge, timeout: float) -> tuple[Any, ...]:
        seen = await self._matches(step.url, step.selector)
        if seen:
            raise ChallengeRequired(f"{step.message} ({seen})")
        return ("no challenge",)

    async def _do_fail(self, step: steps.Fail, timeout: float) -> tuple[Any, ...]:
        err = StepError(str(self._render(step.message)))
        err.code = step.code
        raise err

    async def _do_fail_if(self, step: steps.FailIf, timeout: float) -> tuple[Any, ...]:
        found = await self.resolver.try_once(step.selector)
        if found:
            text = normalise(await found.locator.first.inner_text())
            err = PlatformRejected(f"{self.platform.name} refused the post: {text}")
            err.code = step.code
            raise err
        return (f"{step.selector} not shown",)

    async def _do_await_result(self, step: steps.AwaitResult, timeout: float) -> tuple[Any, ...]:
        deadline = time.monotonic() + self._wait(timeout)
        while True:
            if step.error and (bad := await self.resolver.try_once(step.error)):
                text = normalise(await bad.locator.first.inner_text())
                raise PlatformRejected(f"{self.platform.name} refused the post: {text}",
                                       StepContext(selector=step.error))
            good = await self.resolver.try_once(step.success)
            if good:
                self._note_resolution(step.success, good.candidate)
                return (f"{step.success} via candidate {good.candidate}", step.success,
                        good.candidate)
            if time.monotonic() > deadline:
                raise self.resolver.not_found(step.success, [
                    f"no success signal within {timeout:g}s"])
            await asyncio.sleep(0.05)

    async def _do_pause(self, step: steps.Pause, timeout: float) -> tuple[Any, ...]:
        await asyncio.sleep(step.ms / 1000)
        return (f"{step.ms} ms",)

    async def _do_find_post(self, step: steps.FindPost, timeout: float) -> tuple[Any, ...]:
        wanted = normalise(str(self._render(step.text)))
        try:
            items, _ = await self._resolve(step.items, timeout)
        except SelectorNotFound:
            self.values["vars"]["found"] = False
            return ("no recent posts listed",)
        attr = self.platform.selectors.test_id_attribute
        for i in range(await items.count()):
            item = items.nth(i)
            text_loc = item
            if step.text_in:
                cand = self.resolver.definition(step.text_in).candidates[0]
                text_loc = build(item, cand, locale=self.options.locale, test_id_attr=attr).first
            if normalise(await text_loc.inner_text()) != wanted:
                continue
            self.values["vars"]["found"] = True
            if step.link_in:
                cand = self.resolver.definition(step.link_in).candidates[0]
                link = build(item, cand, locale=self.options.locale, test_id_attr=attr).first
                href = await link.get_attribute("href")
                if href:
                    self.result.post_url = urljoin(self.page.url, href)
            await item.scroll_into_view_if_needed()
            await self._proof("after_publish")
            return (f"found at {self.result.post_url}",)
        self.values["vars"]["found"] = False
        return ("not among recent posts",)

    # ---- evidence ----------------------------------------------------------------------

    async def _proof(self, kind: str) -> Proof:
        if self.options.static_page:  # nothing moves: skip the freeze-and-restore round trips
            png = await self.page.screenshot(type="png")
        else:
            png = await self.page.screenshot(type="png", animations="disabled", caret="hide")
        proof = await proofs.write_async(kind, png, self.out_dir, self.options.proof_format)
        self.result.proofs = [p for p in self.result.proofs if p.kind != kind] + [proof]
        await self.hooks.on_proof(proof)
        return proof

    async def _failure_proof(self) -> None:
        try:
            await self._proof("on_failure")
        except (PlaywrightError, OSError) as exc:
            log.warning("could not take the on_failure proof: %s", _first_line(exc))

    async def _failure_html(self) -> None:
        try:
            html = await self.page.content()
        except PlaywrightError as exc:
            log.warning("could not keep the page HTML: %s", _first_line(exc))
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / "failure.html"
        header = (f"<!-- publish-runner failure snapshot: platform={self.platform.name} "
                  f"phase={self.phase} url={self.page.url} -->\n")
        path.write_text(header + html, encoding="utf-8")
        self.result.failure_html = path

    async def _start_tracing(self) -> bool:
        if not self.options.trace:
            return False
        try:
            await self.page.context.tracing.start(snapshots=True, screenshots=False)
        except PlaywrightError:
            return False  # the caller already traces this context
        return True

    async def _stop_tracing(self, keep: bool) -> None:
        tracing = self.page.context.tracing
        try:
            if keep:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                path = self.out_dir / "trace.zip"
                await tracing.stop(path=str(path))
                self.result.trace = path
            else:
                await tracing.stop()
        except PlaywrightError as exc:
            log.warning("could not save the trace: %s", _first_line(exc))

    async def _install_overlays(self) -> list[Locator]:
        installed = []
        for overlay in self.platform.playbook.header.overlays:
            loc = self.resolver.union(overlay.selector)
            target = overlay.dismiss or overlay.selector

            async def dismiss(_: Locator, target: str = target) -> None:
                found = await self.resolver.try_once(target)
                if found:
                    log.info("dismissed overlay with %s", target)
                    await found.locator.click(timeout=2000)

            await self.page.add_locator_handler(loc, dismiss)
            installed.append(loc)
        return installed


_PASTE_JS = """(el, text) => {
  el.focus();
  const data = new DataTransfer();
  data.setData('text/plain', text);
  const event = new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                              cancelable: true});
  if (el.dispatchEvent(event)) { document.execCommand('insertText', false, text); }
}"""


_PROGRESS_JS = """el => {
  const v = el.getAttribute('aria-valuenow') ?? (typeof el.value === 'number' && el.max
            ? Math.round(100 * el.value / el.max) : null);
  const text = (el.innerText || '').trim();
  return v !== null && v !== undefined ? `${v}%` + (text ? ` ${text}` : '') : text;
}"""


def _kind(path: Path) -> str:
    """'video', 'image' or '' from the file name, for `when: post.has_video`."""
    import mimetypes

    guessed = mimetypes.guess_type(path.name)[0] or ""
    return guessed.split("/", 1)[0] if guessed.startswith(("video/", "image/")) else ""


async def _field_text(loc: Locator) -> str:
    value = await loc.evaluate(
        "el => (typeof el.value === 'string') ? el.value : (el.innerText || '')"
    )
    return str(value or "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _interceptor(exc: BaseException) -> str | None:
    for line in str(exc).splitlines():
        if "intercepts pointer events" in line:
            return line.strip(" -").replace(" intercepts pointer events", "")
    return None


async def _quietly(awaitable: Any) -> None:
    with contextlib.suppress(PlaywrightError):
        await awaitable
