"""A kept Playwright trace holds no secret (issue 12, defect 7): the platform's session
cookie and any authorization header are scrubbed from it before it is stored (and so before
the daemon uploads it), and the file is owner-only."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from runner.engine import Engine, Post, Status, load_platform
from runner.engine.engine import EngineOptions
from sandbox import REDESIGN_BROKEN

pytestmark = pytest.mark.browser


@pytest.mark.asyncio
async def test_a_kept_trace_holds_no_session_cookie(open_page: Any, sandbox: Any,
                                                    tmp_path: Path) -> None:
    sandbox.state.set_faults("main", REDESIGN_BROKEN)
    page = await open_page("main")
    (cookie,) = await page.context.cookies()
    secret = str(cookie["value"])  # the live session this run browses with
    engine = Engine(load_platform("sandbox"), EngineOptions(base_url=sandbox.url,
                                                             timeout_scale=0.2))
    result = await engine.run(page, Post(text="traced"), tmp_path / "run")
    assert result.status is Status.FAILED and result.trace is not None
    with zipfile.ZipFile(result.trace) as z:
        names = z.namelist()
        blobs = {name: z.read(name) for name in names}
    assert any(name.endswith(".network") for name in names)  # network capture is kept
    leaks = [name for name, data in blobs.items() if secret.encode() in data]
    assert leaks == []
    assert result.trace.stat().st_mode & 0o077 == 0
