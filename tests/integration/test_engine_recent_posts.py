"""The recent-posts check of a retry (issue 12, defect 1), against the sandbox in real
Chromium: another post with the same text is not this job's when the platform dates it
before the first publish attempt or another job holds its URL; two candidates are
inconclusive, never a success."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from runner.engine import Engine, load_platform
from runner.engine.engine import EngineOptions, Post

pytestmark = pytest.mark.browser

TEXT = "said twice"


@pytest.fixture
def check(open_page: Any, sandbox: Any, tmp_path: Path) -> Any:
    """Async factory: the engine's recent-posts check for `post`, on a fresh page."""
    engine = Engine(load_platform("sandbox"), EngineOptions(base_url=sandbox.url))

    async def run(post: Post) -> Any:
        return await engine.check_recent_posts(await open_page("main"), post, tmp_path / "c")

    return run


def url_of(sandbox: Any, index: int) -> str:
    return f"{sandbox.url}/p/{sandbox.state.posts()[index].id}"


@pytest.mark.asyncio
async def test_a_post_dated_before_the_first_attempt_is_not_this_one(check: Any,
                                                                     sandbox: Any) -> None:
    sandbox.state.add_post("main", TEXT, [], "test")
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert (await check(Post(TEXT, not_before=later))).found is False
    earlier = datetime.now(timezone.utc) - timedelta(hours=1)
    found = await check(Post(TEXT, not_before=earlier))
    assert found.found is True and found.post_url == url_of(sandbox, 0)


@pytest.mark.asyncio
async def test_a_post_another_job_holds_is_not_this_one(check: Any, sandbox: Any) -> None:
    sandbox.state.add_post("main", TEXT, [], "test")
    sandbox.state.add_post("main", TEXT, [], "test")
    found = await check(Post(TEXT, claimed_urls=frozenset({url_of(sandbox, 0)})))
    assert found.found is True and found.post_url == url_of(sandbox, 1)
    both = frozenset({url_of(sandbox, 0), url_of(sandbox, 1)})
    assert (await check(Post(TEXT, claimed_urls=both))).found is False


@pytest.mark.asyncio
async def test_two_candidates_are_inconclusive(check: Any, sandbox: Any) -> None:
    sandbox.state.add_post("main", TEXT, [], "test")
    sandbox.state.add_post("main", TEXT, [], "test")
    unsure = await check(Post(TEXT))
    assert unsure.found is None
    assert "2 recent posts could be this one" in unsure.message
    assert unsure.post_url is None
