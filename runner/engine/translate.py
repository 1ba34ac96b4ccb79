"""Playwright's errors in our terms: the one place that reads Playwright's exceptions.

Playwright raises `Error` (and `TimeoutError`) whose message holds a call log; the only
facts we take from that text are its first line and, for a click, which element
intercepted the pointer. Everything else in the engine sees `StepError` subclasses whose
message names the step and selector (the phase walk adds platform, phase and file:line).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from common.errors import ClickIntercepted, StepContext, StepError, StepTimeout

# The public Playwright error types, for `except` clauses elsewhere (evidence, overlays).
BrowserFailure = PlaywrightError


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def interceptor(exc: BaseException) -> str | None:
    """The element that took the pointer, from Playwright's call log ("<div …> intercepts
    pointer events"); None when the message does not say."""
    for line in str(exc).splitlines():
        if "intercepts pointer events" in line:
            return line.strip(" -").replace(" intercepts pointer events", "")
    return None


def translate(exc: PlaywrightError, *, step: str, timeout: float,
              selector: str | None = None) -> StepError:
    """The StepError for a Playwright error raised while running `step`."""
    ctx = StepContext(selector=selector)
    if isinstance(exc, PlaywrightTimeout):
        blocker = interceptor(exc)
        if blocker:
            return ClickIntercepted(f"{step}: the pointer was intercepted by {blocker}", ctx)
        return StepTimeout(f"{step} timed out after {timeout:g}s: {first_line(exc)}", ctx)
    return StepError(f"{step} failed: {first_line(exc)}", ctx)


@contextlib.asynccontextmanager
async def translated(*, step: str, timeout: float,
                     selector: str | None = None) -> AsyncIterator[None]:
    """Run a block; a Playwright error inside it leaves as a StepError."""
    try:
        yield
    except PlaywrightError as exc:
        raise translate(exc, step=step, timeout=timeout, selector=selector) from exc


async def quietly(awaitable: Awaitable[Any]) -> None:
    """Await a clean-up call whose failure (page closed, handler gone) does not matter."""
    with contextlib.suppress(PlaywrightError):
        await awaitable


__all__ = ["BrowserFailure", "first_line", "interceptor", "quietly", "translate", "translated"]
