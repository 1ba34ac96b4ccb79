"""Actions that wait for the page: `wait_for`, `await_result`, `dismiss`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from common.errors import PlatformRejected, StepContext, StepError, StepTimeout
from runner.engine import steps
from runner.engine.actions.registry import Note, action
from runner.engine.locate import normalise
from runner.engine.translate import BrowserFailure
from runner.engine.urls import glob_to_regex

if TYPE_CHECKING:
    from runner.engine.walk import Run

log = logging.getLogger(__name__)

# Reads a progress element: aria-valuenow, a <progress> value, or its text.
PROGRESS_JS = """el => {
  const v = el.getAttribute('aria-valuenow') ?? (typeof el.value === 'number' && el.max
            ? Math.round(100 * el.value / el.max) : null);
  const text = (el.innerText || '').trim();
  return v !== null && v !== undefined ? `${v}%` + (text ? ` ${text}` : '') : text;
}"""

# The text a person reads in an element, with emoji images read as their alt text (X draws
# every emoji as an <img alt="👋">, which innerText leaves out); hidden parts skipped.
SHOWN_TEXT_JS = """el => {
  const out = [];
  const walk = n => {
    if (n.nodeType === 3) { out.push(n.data); return; }
    if (n.nodeType !== 1) return;
    const tag = n.tagName;
    if (tag === 'IMG') { out.push(n.getAttribute('alt') || ''); return; }
    if (tag === 'BR') { out.push(' '); return; }
    if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'TEMPLATE') return;
    const display = getComputedStyle(n).display;
    if (display === 'none') return;
    const block = display !== 'inline';
    if (block) out.push(' ');
    for (const c of n.childNodes) walk(c);
    if (block) out.push(' ');
  };
  walk(el);
  return out.join('');
}"""


@action("wait_for")
async def wait_for(run: Run, step: steps.WaitFor, timeout: float) -> Note:
    if step.progress is None:
        return await _watching(run, step, timeout)
    reporter = asyncio.create_task(_report_progress(run, step.progress))
    try:
        return await _watching(run, step, timeout)
    finally:
        await _cancel(reporter)


async def _cancel(task: asyncio.Task[Any]) -> None:
    """Stop a side task; what it was doing no longer matters (the step has its answer)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def _watching(run: Run, step: steps.WaitFor, timeout: float) -> Note:
    """The wait, with `fail_on` watched beside it: the error element ends it at once."""
    if step.fail_on is None:
        return await _wait_for(run, step, timeout)
    fail_on = step.fail_on
    waiter = asyncio.create_task(_wait_for(run, step, timeout))
    code = step.code or PlatformRejected.code
    watcher = asyncio.create_task(_watch_for_error(run, fail_on, code))
    try:
        await asyncio.wait({waiter, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, watcher):
            if not task.done():
                await _cancel(task)
    error = watcher.exception() if watcher.done() and not watcher.cancelled() else None
    if error is not None:
        raise error
    try:
        return waiter.result()
    except Exception:
        # The wait gave up (a saved page decides in one look): the error may be why.
        await _raise_if_shown(run, fail_on, code)
        raise


async def _watch_for_error(run: Run, name: str, code: str) -> None:
    while True:
        with contextlib.suppress(BrowserFailure):  # mid-navigation: look again next round
            await _raise_if_shown(run, name, code)
        await asyncio.sleep(0.1)


async def _raise_if_shown(run: Run, name: str, code: str) -> None:
    """Fail with the platform's own words when the error element `name` shows."""
    found = await run.resolver.try_once(name)
    if found is None:
        return
    text = ""
    with contextlib.suppress(BrowserFailure):
        text = normalise(await found.locator.first.inner_text())
    err = PlatformRejected(f"{run.platform.name} refused the post: {text or name}",
                           StepContext(selector=name))
    err.code = code
    raise err


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
        return await _wait_any(run, step.any, timeout, step.into)
    assert step.selector is not None
    if step.state in ("hidden", "detached"):
        await run.resolver.wait_gone(step.selector, run.wait(timeout))
        return Note(f"{step.selector} gone")
    if step.text is not None:
        return await _wait_text(run, step, step.selector, step.text, timeout)
    patience = run.resolver.patience(run.wait(timeout))
    loc, note = await run.resolve(step.selector, timeout)
    if step.state in ("enabled", "disabled"):
        want = step.state == "enabled"
        while await loc.is_enabled() != want:
            if await patience.exhausted():
                sel = run.resolver.definition(step.selector)
                raise StepTimeout(
                    f"{sel.title(step.selector)} did not become {step.state} in "
                    f"{run.wait(timeout):g}s (selector {step.selector})",
                    StepContext(selector=step.selector),
                )
            await patience.pause(0.05)
    return note


async def _wait_text(run: Run, step: steps.WaitFor, name: str, text: str,
                     timeout: float) -> Note:
    """Until one of the selector's elements shows `text` (at least one look). The element
    missing and the text not in it end the same way: `code` and `message`, with what the
    page showed, so a post page that never shows the post is not mistaken for drift."""
    wanted = normalise(str(run.render(text)))
    patience = run.resolver.patience(run.wait(timeout))
    read = ""
    try:
        loc, note = await run.resolve(name, timeout)
        while True:
            with contextlib.suppress(BrowserFailure):  # re-rendering: look again
                texts = [normalise(t) for t in await loc.evaluate_all(
                    f"els => els.map({SHOWN_TEXT_JS})")]
                if any(wanted in t for t in texts):
                    return note._replace(message=f"{note.message} shows the text")
                read = next((t for t in texts if t), read)
            if await patience.exhausted():
                break
            await patience.pause(0.1)
        seen = f"{name} reads {read[:80]!r}" if read else f"{name} shows no text"
        err: StepError = StepTimeout(
            f"{name} did not show {wanted[:60]!r} within {run.wait(timeout):g}s at "
            f"{run.page.url} ({seen})", StepContext(selector=name))
    except StepError as exc:  # the element itself never showed
        err, seen = exc, f"{name} not found at {run.page.url}"
    if step.code:
        err.code = step.code
    if step.message:
        err.args = (f"{run.render(step.message)} ({seen})",)
        err.detail = str(err)
    raise err


async def _wait_any(run: Run, names: list[str], timeout: float,
                    into: str | None = None) -> Note:
    patience = run.resolver.patience(run.wait(timeout))
    while True:
        first_notes: list[str] = []
        for name in names:
            found, notes = await run.resolver.round(name)
            first_notes = first_notes or notes
            if found is not None:
                run.values["vars"]["matched"] = name
                if into is not None:
                    run.values[into] = {name: True}
                log.info("%s appeared (waited for any of %s)", name, ", ".join(names))
                note = run.resolved(found)
                return note._replace(message=f"{name} appeared, via candidate "
                                     f"{found.candidate}" + (f" ({into}.{name})" if into else ""))
        if await patience.exhausted():
            err = run.resolver.not_found(names[0], first_notes)
            if len(names) > 1:
                err.args = (f"{err} — nor any of {', '.join(names[1:])} at {run.page.url}",)
                err.detail = str(err)
            raise err
        await patience.pause(0.05)


@action("await_result")
async def await_result(run: Run, step: steps.AwaitResult, timeout: float) -> Note:
    patience = run.resolver.patience(run.wait(timeout))
    while True:
        if step.error and (bad := await run.resolver.try_once(step.error)):
            text = normalise(await bad.locator.first.inner_text())
            raise PlatformRejected(f"{run.platform.name} refused the post: {text}",
                                   StepContext(selector=step.error))
        good = await run.resolver.try_once(step.success)
        if good:
            return run.resolved(good)
        if await patience.exhausted():
            raise run.resolver.not_found(step.success, [f"no success signal within {timeout:g}s"])
        await patience.pause(0.05)


@action("dismiss")
async def dismiss(run: Run, step: steps.Dismiss, timeout: float) -> Note:
    """A short bounded look; click the button if the dialog showed. With `optional`, the
    whole step (look, button, click) ends within `within`, failed or not."""
    within = min(step.within, timeout)
    if not step.optional:
        return await _dismiss(run, step, run.wait(within), timeout)
    try:
        return await asyncio.wait_for(_dismiss(run, step, run.wait(within), within), within)
    except TimeoutError:
        raise StepTimeout(f"{step.selector} showed but could not be dismissed within "
                          f"{within:g}s", StepContext(selector=step.button or step.selector)
                          ) from None


async def _dismiss(run: Run, step: steps.Dismiss, look: float, timeout: float) -> Note:
    patience = run.resolver.patience(look)
    while True:  # at least one look, however short the wait
        if await run.resolver.try_once(step.selector):
            target = step.button or step.selector
            found = await run.resolver.resolve(target, max(run.wait(timeout), 0.0))
            await found.locator.click(timeout=max(timeout, 0.1) * 1000)
            return run.resolved(found)._replace(message=f"dismissed {step.selector}")
        if await patience.exhausted():
            return Note(f"{step.selector} not present")
        await patience.pause(0.1)


__all__ = ["PROGRESS_JS", "SHOWN_TEXT_JS", "await_result", "dismiss", "wait_for"]
