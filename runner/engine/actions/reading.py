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
from runner.engine.recent_order import HEAD_SIZE, fingerprint, head_position

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
    a URL another job holds, and, where the playbook says the list is `newest_first` without
    dates, listed above the head recorded before the publish click (runner.engine.
    recent_order). One such post: found. None: not found. More than one, or a match that
    cannot be placed against the head: `found` stays unset and `ambiguous` is set, so the
    check is inconclusive (an operator decides), never a success with a guess.

    While the run records the head (`Run.head_mode`), it only reads the list's newest
    fingerprints into `Run.recorded_head`."""
    wanted = normalise(str(run.render(step.text)))
    run.values["vars"]["found"] = False
    ordered = run.platform.playbook.header.recent_posts_order == "newest_first"
    post = run.post
    try:
        items, _ = await run.resolve(step.items, timeout)
    except SelectorNotFound:
        if ordered and post.head and not run.head_mode:
            return _unsure(run, "the recent posts could not be read, so the posts listed "
                           "before the first publish attempt cannot be found again")
        return Note("no recent posts listed")
    count = await items.count()
    listed: list[str] = []
    matches: list[tuple[int, str | None]] = []
    skipped: list[str] = []
    for i in range(count):
        item = items.nth(i)
        if run.head_mode and i >= HEAD_SIZE:
            break
        text = normalise(await _text_of(run, item, step))
        if not ordered and text != wanted:
            continue
        url = await _link_of(run, item, step) if (ordered or text == wanted) else None
        listed.append(fingerprint(url, text))
        if run.head_mode or text != wanted:
            continue
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
    if run.head_mode:
        run.recorded_head = tuple(listed)
        return Note(f"the {len(listed)} newest posts recorded")
    if ordered and matches:
        top = head_position(listed, post.head)
        if top is None:
            why = ("no record of the posts listed before the first publish attempt"
                   if post.head is None else
                   "the posts listed before the first publish attempt are no longer there")
            return _unsure(run, f"{len(matches)} recent post(s) with this text, and {why}: "
                           f"{run.platform.name} shows no dates, so it cannot tell whether "
                           "one is newer than that attempt")
        skipped += [f"{u or 'a post'} (listed at or below the posts seen before the first "
                    "publish attempt)" for i, u in matches if i >= top]
        matches = [(i, u) for i, u in matches if i < top]
    note = f"; not this job's: {', '.join(skipped)}" if skipped else ""
    if not matches:
        return Note(f"not among recent posts{note}")
    if len(matches) > 1:
        urls = ", ".join(u or "?" for _, u in matches)
        return _unsure(run, f"{len(matches)} recent posts could be this one ({urls}){note}")
    i, url = matches[0]
    run.values["vars"]["found"] = True
    if url is not None:
        run.result.post_url = url
    await items.nth(i).scroll_into_view_if_needed()
    await run.evidence.proof("after_publish")
    return Note(f"found at {run.result.post_url}{note}")


def _unsure(run: Run, said: str) -> Note:
    """The check cannot tell: inconclusive, for an operator (never found)."""
    del run.values["vars"]["found"]
    run.values["vars"]["ambiguous"] = said
    return Note(said)


async def _text_of(run: Run, item: Locator, step: steps.FindPost) -> str:
    loc = item
    if step.text_in:
        cand = run.resolver.definition(step.text_in).candidates[0]
        loc = build(item, cand, locale=run.options.locale,
                    test_id_attr=run.platform.selectors.test_id_attribute).first
    return await loc.inner_text()


async def _link_of(run: Run, item: Locator, step: steps.FindPost) -> str | None:
    if not step.link_in:
        return None
    cand = run.resolver.definition(step.link_in).candidates[0]
    link = build(item, cand, locale=run.options.locale,
                 test_id_attr=run.platform.selectors.test_id_attribute).first
    if await link.count() == 0:
        return None
    href = await link.get_attribute("href")
    return urljoin(run.page.url, href) if href else None


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
