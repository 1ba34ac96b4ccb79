"""The `type` step: entering text the way the playbook names."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from common.errors import AssertionFailed, StepContext
from runner.engine import steps
from runner.engine.actions.registry import Note, action
from runner.engine.locate import normalise

if TYPE_CHECKING:
    from playwright.async_api import Locator

    from runner.engine.walk import Run

# A paste as the browser would fire it: rich editors read `clipboardData` from the event.
PASTE_JS = """(el, text) => {
  el.focus();
  const data = new DataTransfer();
  data.setData('text/plain', text);
  const event = new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                              cancelable: true});
  if (el.dispatchEvent(event)) { document.execCommand('insertText', false, text); }
}"""


async def field_text(loc: Locator) -> str:
    value = await loc.evaluate(
        "el => (typeof el.value === 'string') ? el.value : (el.innerText || '')"
    )
    return str(value or "")


async def _keys(run: Run, text: str, delay_ms: int | None) -> None:
    """Per-key typing: `delay_ms` between keys, else a human rhythm with human pacing,
    else as fast as the browser takes keys."""
    if delay_ms is None and not run.human:
        await run.page.keyboard.type(text)
        return
    for ch in text:
        await run.page.keyboard.type(ch)
        pause = delay_ms if delay_ms is not None else random.uniform(35, 140)
        await asyncio.sleep(pause / 1000)


@action("type")
async def type_text(run: Run, step: steps.Type, timeout: float) -> Note:
    text = str(run.render(step.text))
    loc, note = await run.resolve(step.selector, timeout)
    method = run.options.type_method or step.method  # never changed by human pacing
    if step.clear and method != "fill" and await field_text(loc):
        await loc.click(timeout=timeout * 1000)
        await run.page.keyboard.press("ControlOrMeta+A")
        await run.page.keyboard.press("Backspace")
    if method == "fill":
        await loc.fill(text, timeout=timeout * 1000)
    elif method == "insert_text":
        await loc.focus(timeout=timeout * 1000)
        await run.page.keyboard.insert_text(text)
    elif method == "paste":
        await loc.focus(timeout=timeout * 1000)
        await loc.evaluate(PASTE_JS, text)
    else:
        await loc.focus(timeout=timeout * 1000)
        await _keys(run, text, step.delay_ms)
    if step.read_back:
        got = await field_text(loc)
        if normalise(text) not in normalise(got):
            raise AssertionFailed(
                f"typed text did not arrive in {step.selector} with method {method}: "
                f"field holds {got[:80]!r}",
                StepContext(selector=step.selector),
            )
    return note


__all__ = ["PASTE_JS", "field_text", "type_text"]
