"""Actions that read the page into the run: extract, screenshot (a proof), find_post."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from common.errors import SelectorNotFound
from runner.engine import steps
from runner.engine.actions.registry import Note, action
from runner.engine.locate import build, normalise, strip_bidi

if TYPE_CHECKING:
    from playwright.async_api import Locator

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


# Slack for the platform's clock against the server's when comparing a post's date with the
# earliest publish attempt: a post dated this much before it still counts as a candidate.
CLOCK_SKEW_S = 120.0


@action("find_post")
async def find_post(run: Run, step: steps.FindPost, timeout: float) -> Note:
    """Find this job's post among the recent ones: text equal, not dated before the earliest
    publish attempt (when the platform shows a date: a `time[datetime]` in the item), not at
    a URL another job holds. One such post: found. None: not found. More than one: `found`
    stays unset and `ambiguous` is set, so the check is inconclusive (an operator decides),
    never a success with a guess."""
    wanted = normalise(str(run.render(step.text)))
    run.values["vars"]["found"] = False
    try:
        items, _ = await run.resolve(step.items, timeout)
    except SelectorNotFound:
        return Note("no recent posts listed")
    attr = run.platform.selectors.test_id_attribute
    locale = run.options.locale
    post = run.post
    matches: list[tuple[int, str | None]] = []
    skipped: list[str] = []
    for i in range(await items.count()):
        item = items.nth(i)
        text_loc = item
        if step.text_in:
            cand = run.resolver.definition(step.text_in).candidates[0]
            text_loc = build(item, cand, locale=locale, test_id_attr=attr).first
        if normalise(await text_loc.inner_text()) != wanted:
            continue
        url = None
        if step.link_in:
            cand = run.resolver.definition(step.link_in).candidates[0]
            link = build(item, cand, locale=locale, test_id_attr=attr).first
            href = await link.get_attribute("href")
            url = urljoin(run.page.url, href) if href else None
        if url is not None and url in post.claimed_urls:
            skipped.append(f"{url} (another job's)")
            continue
        dated = await _dated(item)
        if post.not_before is not None and dated is not None and \
                dated < post.not_before - timedelta(seconds=CLOCK_SKEW_S):
            skipped.append(f"{url or 'a post'} (dated {dated.isoformat()}, before the first "
                           "publish attempt)")
            continue
        matches.append((i, url))
    note = f"; not this job's: {', '.join(skipped)}" if skipped else ""
    if not matches:
        return Note(f"not among recent posts{note}")
    if len(matches) > 1:
        del run.values["vars"]["found"]
        urls = ", ".join(u or "?" for _, u in matches)
        said = f"{len(matches)} recent posts could be this one ({urls}){note}"
        run.values["vars"]["ambiguous"] = said
        return Note(said)
    i, url = matches[0]
    run.values["vars"]["found"] = True
    if url is not None:
        run.result.post_url = url
    await items.nth(i).scroll_into_view_if_needed()
    await run.evidence.proof("after_publish")
    return Note(f"found at {run.result.post_url}{note}")


async def _dated(item: Locator) -> datetime | None:
    """The date the platform shows on a post, from a `<time datetime>` in it; None when it
    shows none (or one that does not parse, or has no offset)."""
    times = item.locator("time[datetime]")
    if await times.count() == 0:
        return None
    raw = await times.first.get_attribute("datetime")
    try:
        at = datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


__all__ = ["extract", "find_post", "screenshot"]
