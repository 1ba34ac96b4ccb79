"""The sandbox's after-publish proof shows the published post (issue 15), not the emptied
composer with its toast: the playbook opens the post's own page and waits for its text first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.engine import Engine, Status, load_platform
from runner.engine.engine import EngineOptions, Post

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("account", ["main", "arabic"])
@pytest.mark.asyncio
async def test_after_publish_proof_is_taken_on_the_post_page(open_page: Any, sandbox: Any,
                                                             tmp_path: Path, account: str) -> None:
    page = await open_page(account)
    engine = Engine(load_platform("sandbox"), EngineOptions(base_url=sandbox.url))
    text = f"Proof of the post itself 🧾 دليل المنشور ({account})"
    result = await engine.run(page, Post(text=text, account=account), tmp_path / "run")
    assert result.status is Status.SUCCEEDED, result.error_message
    (post,) = sandbox.state.posts(account)
    assert result.post_url == f"{sandbox.url}/p/{post.id}"
    verify = [s for s in result.steps if s.phase == "verify"]
    names = [s.step for s in verify]
    shot = next(i for i, s in enumerate(verify) if s.step.startswith("screenshot"))
    opened = next(i for i, s in enumerate(verify) if s.step.startswith("goto"))
    waited = next(i for i, s in enumerate(verify) if s.step.startswith("wait_for"))
    assert opened < waited < shot, names
    assert verify[waited].selector == "recentPostText", verify[waited]  # the post, not a stand-in
    # The page the proof was taken of: the post's own, its text visible.
    assert page.url == result.post_url
    assert await page.locator('[data-testid="post-text"]').inner_text() == text
    assert [p.kind for p in result.proofs] == ["before_confirm", "after_publish"]
