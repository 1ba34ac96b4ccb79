"""Actions that wait for the page: `wait_for`, `await_result`, `dismiss`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from common.errors import PlatformRejected, StepContext, StepTimeout
from runner.engine import steps
from runner.engine.actions.registry import Note, action
from runner.engine.locate import normalise
from runner.engine.translate import BrowserFailure
from runner.engine.urls import glob_to_regex

if TYPE_CHECKING:
    from runner.engine.walk import Run

# Reads a progress element: aria-valuenow, a <progress> value, or its text.
PROGRESS_JS = """el => {
  const v = el.getAttribute('aria-valuenow') ?? (typeof el.value === 'number' && el.max
            ? Math.round(100 * el.value / el.max) : null);
  const text = (el.innerText || '').trim();
  return v !== null && v !== undefined ? `${v}%` + (text ? ` ${text}` : '') : text;
}"""


@action("wait_for")
async def wait_for(run: Run, step: steps.WaitFor, timeout: float) -> Note:
    if step.progress is None:
        return await _wait_for(run, step, timeout)
    reporter = asyncio.create_task(_report_progress(run, step.progress))
    try:
        return await _wait_for(run, step, timeout)
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter


async def _report_progress(run: Run, name: str) -> None:
    """Log a progress element (upload %, "Processing…") whenever it changes."""
    last = None
    while True:
        found = await run.resolver.try_once(name)
        if found is not None:
            with contextlib.suppress(BrowserFailure):
                value = await found.locator.first.evaluate(PROGRESS_JS)
                if value and value != last:
                    last = value
                    await run.record(run.phase, f"progress {name}", "progress",
                                     time.perf_counter(), str(value))
        await asyncio.sleep(1.0)


async def _wait_for(run: Run, step: steps.WaitFor, timeout: float) -> Note:
    if step.url is not None:
        pattern = glob_to_regex(str(run.render(step.url)))
        await run.page.wait_for_url(pattern, timeout=timeout * 1000)
        return Note(f"at {run.page.url}")
    if step.any is not None:
        return await _wait_any(run, step.any, timeout)
    assert step.selector is not None
    if step.state in ("hidden", "detached"):
        await run.resolver.wait_gone(step.selector, run.wait(timeout))
        return Note(f"{step.selector} gone")
    deadline = time.monotonic() + run.wait(timeout)
    loc, note = await run.resolve(step.selector, timeout)
    if step.state in ("enabled", "disabled"):
        want = step.state == "enabled"
        while await loc.is_enabled() != want:
            if time.monotonic() > deadline:
                sel = run.resolver.definition(step.selector)
                raise StepTimeout(
                    f"{sel.title(step.selector)} did not become {step.state} in "
                    f"{run.wait(timeout):g}s (selector {step.selector})",
                    StepContext(selector=step.selector),
                )
            await asyncio.sleep(0.05)
    return note


async def _wait_any(run: Run, names: list[str], timeout: float) -> Note:
    deadline = time.monotonic() + run.wait(timeout)
    while True:
        first_notes: list[str] = []
        for name in names:
            found, notes = await run.resolver.round(name)
            first_notes = first_notes or notes
            if found is not None:
                run.values["vars"]["matched"] = name
                return run.resolved(found)
        if time.monotonic() > deadline:
            err = run.resolver.not_found(names[0], first_notes)
            if len(names) > 1:
                err.args = (f"{err} — nor any of {', '.join(names[1:])} at {run.page.url}",)
                err.detail = str(err)
            raise err
        await asyncio.sleep(0.05)


@action("await_result")
async def await_result(run: Run, step: steps.AwaitResult, timeout: float) -> Note:
    deadline = time.monotonic() + run.wait(timeout)
    while True:
        if step.error and (bad := await run.resolver.try_once(step.error)):
            text = normalise(await bad.locator.first.inner_text())
            raise PlatformRejected(f"{run.platform.name} refused the post: {text}",
                                   StepContext(selector=step.error))
        good = await run.resolver.try_once(step.success)
        if good:
            return run.resolved(good)
        if time.monotonic() > deadline:
            raise run.resolver.not_found(step.success, [f"no success signal within {timeout:g}s"])
        await asyncio.sleep(0.05)


@action("dismiss")
async def dismiss(run: Run, step: steps.Dismiss, timeout: float) -> Note:
    deadline = time.monotonic() + min(run.wait(timeout), 1.0)
    while True:  # at least one look, however short the wait
        if await run.resolver.try_once(step.selector):
            target = step.button or step.selector
            loc, note = await run.resolve(target, timeout)
            await loc.click(timeout=timeout * 1000)
            return note._replace(message=f"dismissed {step.selector}")
        if time.monotonic() >= deadline:
            return Note(f"{step.selector} not present")
        await asyncio.sleep(0.1)


__all__ = ["PROGRESS_JS", "await_result", "dismiss", "wait_for"]
