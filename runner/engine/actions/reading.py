"""Actions that read the page into the run: extract, screenshot (a proof), find_post."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from common.errors import SelectorNotFound
from runner.engine import steps
from runner.engine.actions.registry import Note, action
from runner.engine.locate import build, normalise, strip_bidi

if TYPE_CHECKING:
    from runner.engine.walk import Run


@action("extract")
async def extract(run: Run, step: steps.Extract, timeout: float) -> Note:
    note = Note("")
    if step.url:
        value: str | None = run.page.url
    else:
        assert step.selector is not None
        loc, note = await run.resolve(step.selector, timeout)
        if step.attribute:
            value = await loc.first.get_attribute(step.attribute)
            if value and step.attribute in ("href", "src"):
                value = urljoin(run.page.url, value)
        else:
            value = strip_bidi(await loc.first.inner_text()).strip()
    if value is not None and step.pattern:
        m = re.search(step.pattern, value)
        value = (m.group(1) if m.groups() else m.group(0)) if m else None
    run.values["vars"][step.into] = value
    if step.into == "post_url" and value:
        run.result.post_url = value
    return note._replace(message=f"{step.into} = {value!r}")


@action("screenshot")
async def screenshot(run: Run, step: steps.Screenshot, timeout: float) -> Note:
    proof = await run.evidence.proof(step.name)
    return Note(f"{proof.kind}: {proof.size // 1024} KB")


@action("find_post")
async def find_post(run: Run, step: steps.FindPost, timeout: float) -> Note:
    wanted = normalise(str(run.render(step.text)))
    try:
        items, _ = await run.resolve(step.items, timeout)
    except SelectorNotFound:
        run.values["vars"]["found"] = False
        return Note("no recent posts listed")
    attr = run.platform.selectors.test_id_attribute
    locale = run.options.locale
    for i in range(await items.count()):
        item = items.nth(i)
        text_loc = item
        if step.text_in:
            cand = run.resolver.definition(step.text_in).candidates[0]
            text_loc = build(item, cand, locale=locale, test_id_attr=attr).first
        if normalise(await text_loc.inner_text()) != wanted:
            continue
        run.values["vars"]["found"] = True
        if step.link_in:
            cand = run.resolver.definition(step.link_in).candidates[0]
            link = build(item, cand, locale=locale, test_id_attr=attr).first
            href = await link.get_attribute("href")
            if href:
                run.result.post_url = urljoin(run.page.url, href)
        await item.scroll_into_view_if_needed()
        await run.evidence.proof("after_publish")
        return Note(f"found at {run.result.post_url}")
    run.values["vars"]["found"] = False
    return Note("not among recent posts")


__all__ = ["extract", "find_post", "screenshot"]
