"""Verify-first by order where the platform shows no dates (LinkedIn's recent activity),
against the LinkedIn fixture pages in real Chromium: the head is recorded with the real
`recent_posts` steps before the "click", and the retry's check takes only a post listed
above it. At or below the head: not this job's. Head gone or never recorded: inconclusive,
never a success. (fixtures/linkedin/build.py writes the recent-activity pages.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.engine import Engine, load_platform
from runner.engine.engine import EngineOptions, Post

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "linkedin"
ACTIVITY = "https://www.linkedin.com/in/me/recent-activity/all/"
TEXT = "Hello 👋 مرحبا — from the fixtures"  # this job's text (fixtures/linkedin/build.py)


@pytest.fixture
def linkedin(open_page: Any, tmp_path: Path) -> Any:
    """Async factory: (engine, page, shown) with the activity URL serving the fixture page
    named by `shown["page"]`, which the test swaps; every other request is aborted."""
    platform = load_platform("linkedin")
    assert platform.playbook.header.recent_posts_order == "newest_first"
    engine = Engine(platform, EngineOptions(human=False, wait_scale=0, timeout_scale=0.2))

    async def make() -> tuple[Engine, Any, dict[str, str]]:
        page = await open_page(None)
        shown = {"page": "recent-activity-before.html"}

        async def serve(route: Any) -> None:
            if route.request.url.startswith(ACTIVITY):
                body = (FIXTURES / shown["page"]).read_text(encoding="utf-8")
                await route.fulfill(body=body, content_type="text/html; charset=utf-8")
            else:
                await route.abort()

        await page.route("**/*", serve)
        return engine, page, shown

    return make


async def record(site: tuple[Engine, Any, dict[str, str]], fixture: str,
                 out: Path) -> tuple[str, ...] | None:
    engine, page, shown = site
    shown["page"] = fixture
    return await engine.record_head(page, Post(TEXT), out)


@pytest.mark.asyncio
async def test_a_post_above_the_recorded_head_is_found(linkedin: Any, tmp_path: Path) -> None:
    site = await linkedin()
    engine, page, shown = site
    head = await record(site, "recent-activity-before.html", tmp_path / "h")
    assert head is not None and len(head) == 3
    shown["page"] = "recent-activity.html"
    found = await engine.check_recent_posts(page, Post(TEXT, head=head), tmp_path / "c")
    assert found.found is True, found.message
    assert found.post_url is None  # LinkedIn's items carry no permalink
    assert found.proof is not None  # the found item, as the after-publish proof


@pytest.mark.asyncio
async def test_posts_at_or_below_the_head_are_not_this_one(linkedin: Any,
                                                          tmp_path: Path) -> None:
    site = await linkedin()
    engine, page, _ = site
    # The head recorded when this text was already on top (and once more, older, below).
    head = await record(site, "recent-activity.html", tmp_path / "h")
    check = await engine.check_recent_posts(page, Post(TEXT, head=head), tmp_path / "c")
    assert check.found is False, check.message
    # Without the order rule both same-text posts would be candidates (inconclusive), and
    # with a single one it would be taken: the head is what excludes them here.


@pytest.mark.asyncio
async def test_a_head_that_is_gone_is_inconclusive(linkedin: Any, tmp_path: Path) -> None:
    site = await linkedin()
    engine, page, shown = site
    head = await record(site, "recent-activity-before.html", tmp_path / "h")
    shown["page"] = "recent-activity-head-gone.html"
    check = await engine.check_recent_posts(page, Post(TEXT, head=head), tmp_path / "c")
    assert check.found is None
    assert "no longer there" in check.message
    assert check.proof is None


@pytest.mark.asyncio
async def test_no_recorded_head_is_inconclusive(linkedin: Any, tmp_path: Path) -> None:
    site = await linkedin()
    engine, page, shown = site
    shown["page"] = "recent-activity.html"
    check = await engine.check_recent_posts(page, Post(TEXT), tmp_path / "c")
    assert check.found is None
    assert "no record of the posts listed before" in check.message


@pytest.mark.asyncio
async def test_an_unreadable_list_records_no_head_and_cannot_place_a_match(
        linkedin: Any, tmp_path: Path) -> None:
    site = await linkedin()
    engine, page, shown = site
    assert await record(site, "post-missing.html", tmp_path / "h") is None  # no list there
    head = await record(site, "recent-activity-before.html", tmp_path / "h2")
    shown["page"] = "post-missing.html"  # the list cannot be read on the retry
    check = await engine.check_recent_posts(page, Post(TEXT, head=head), tmp_path / "c")
    assert check.found is None
    assert "could not be read" in check.message


@pytest.mark.asyncio
async def test_linked_posts_are_placed_by_their_urls(open_page: Any, sandbox: Any,
                                                     tmp_path: Path) -> None:
    """Where the list links each post (Facebook, TikTok Studio), the head is their URLs:
    the sandbox's profile read as if it showed no dates."""
    from dataclasses import replace

    platform = load_platform("sandbox")
    header = platform.playbook.header.model_copy(update={"recent_posts_order": "newest_first"})
    undated = replace(platform, playbook=platform.playbook.model_copy(update={"header": header}))
    engine = Engine(undated, EngineOptions(base_url=sandbox.url, human=False))
    text = "said again, later"
    for words in ("older news", text, "other news"):
        sandbox.state.add_post("main", words, [], "test")
    page = await open_page("main")
    head = await engine.record_head(page, Post(text), tmp_path / "h")
    assert head is not None and all(h.startswith(f"{sandbox.url}/p/") for h in head)
    assert (await engine.check_recent_posts(page, Post(text, head=head), tmp_path / "a")
            ).found is False  # the same-text post is in the head: older than the attempt
    sandbox.state.add_post("main", text, [], "test")  # this job's, after the click
    found = await engine.check_recent_posts(page, Post(text, head=head), tmp_path / "b")
    assert found.found is True
    assert found.post_url == f"{sandbox.url}/p/{sandbox.state.posts()[-1].id}"
