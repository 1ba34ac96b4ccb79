"""Shared fixtures: one real Chromium per session on pytest-asyncio's session loop, a
sandbox site served over real HTTP, and factories for pages that close what they opened."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PIL import Image


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from the defaults: a developer's own `PUBLISH_RUNNER_*` settings
    (a server URL, a config file, a log level) must not change what a test sees. The test
    harness's own switches (`PUBLISH_RUNNER_TEST_*`) stay."""
    for name in list(os.environ):
        if name.startswith("PUBLISH_RUNNER_") and not name.startswith("PUBLISH_RUNNER_TEST_"):
            monkeypatch.delenv(name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    """One real Chromium for the whole session, through the project's browser seam."""
    from runner.browser import BrowserHost, discover, launch

    host = BrowserHost()
    pw = await host.start()
    instance = await launch(pw, discover(None), headless=True)
    yield instance
    await instance.close()
    await host.stop()


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Any]:
    from sandbox import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: Any) -> Iterator[Any]:
    """The session's sandbox, reset to no posts and no faults for each test."""
    sandbox_server.state.reset()
    yield sandbox_server
    sandbox_server.state.reset()


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(
    browser: Any, sandbox_server: Any
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Async factory: `await open_page(account="main", **context_options)` gives a page in a
    fresh context, logged in to the sandbox as `account` (or not, with None); every context
    it made is closed at teardown."""
    from runner.browser import VIEWPORT

    contexts: list[Any] = []

    async def make(account: str | None = "main", **options: Any) -> Any:
        context = await browser.new_context(viewport=VIEWPORT, **options)
        contexts.append(context)
        if account is not None:
            await context.add_cookies([sandbox_server.state.login_cookie(account)])
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()


@pytest.fixture
def image_file(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a small real PNG on disk."""

    def make(name: str = "photo.png", color: str = "teal") -> Path:
        img = Image.new("RGB", (320, 200), color)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        path = tmp_path / name
        path.write_bytes(buf.getvalue())
        return path

    return make
