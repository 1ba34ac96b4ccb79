"""Actions that do something on the page: open a URL, click, upload, press a key, pause."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import StepError
from runner.engine import steps
from runner.engine.actions.registry import Note, action

if TYPE_CHECKING:
    from runner.engine.walk import Run


@action("goto")
async def goto(run: Run, step: steps.Goto, timeout: float) -> Note:
    url = str(run.render(step.url))
    await run.page.goto(url, wait_until=step.wait_until, timeout=timeout * 1000)
    return Note(f"at {run.page.url}")


@action("click")
async def click(run: Run, step: steps.Click, timeout: float) -> Note:
    deadline = time.monotonic() + timeout
    loc, note = await run.resolve(step.selector, timeout)
    remaining = max(deadline - time.monotonic(), 0.5)
    await loc.click(timeout=remaining * 1000, force=step.force)
    return note


@action("upload")
async def upload(run: Run, step: steps.Upload, timeout: float) -> Note:
    files = run.render(step.files) if isinstance(step.files, str) else [
        run.render(f) for f in step.files
    ]
    paths = [str(f) for f in (files if isinstance(files, list) else [files]) if f]
    for path in paths:
        if not Path(path).is_file():
            raise StepError(f"media file not found: {path}")
    loc, note = await run.resolve(step.selector, timeout)
    await loc.set_input_files(paths, timeout=timeout * 1000)
    return note._replace(message=f"{len(paths)} file(s) via {note.message}")


@action("press")
async def press(run: Run, step: steps.Press, timeout: float) -> Note:
    if step.selector:
        loc, note = await run.resolve(step.selector, timeout)
        await loc.press(step.key, timeout=timeout * 1000)
        return note
    await run.page.keyboard.press(step.key)
    return Note(step.key)


@action("pause")
async def pause(run: Run, step: steps.Pause, timeout: float) -> Note:
    await asyncio.sleep(step.ms / 1000)
    return Note(f"{step.ms} ms")


__all__ = ["click", "goto", "pause", "press", "upload"]
