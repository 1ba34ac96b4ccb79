"""Warm browser profiles: reused between jobs, started again when the browser went away."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from runner.device.profiles import Profiles
from runner.device.settings import Account
from runner.device.status import StatusLine

pytestmark = pytest.mark.browser


@pytest.mark.asyncio
async def test_profiles_are_kept_warm_and_restarted(tmp_path: Path) -> None:
    from runner.browser import discover, start_playwright

    account = Account(platform="sandbox", name="main", profile=tmp_path / "profile")
    async with start_playwright() as pw:
        profiles = Profiles(pw, discover(None), headless=True)
        first = await profiles.context(account)
        assert await profiles.context(account) is first  # warm: the same browser
        page = await profiles.page(account)
        assert page in first.pages
        await first.close()  # the browser died (or the operator closed it)
        second = await profiles.context(account)
        assert second is not first
        assert (await profiles.page(account)).url == "about:blank"
        await profiles.release(account)  # e.g. after NEEDS_LOGIN, for `login`
        assert not (account.profile / "SingletonLock").is_symlink()
        await profiles.close()


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_line_says_what_the_daemon_does() -> None:
    line = StatusLine(Tty())
    assert line.enabled
    line.update(state="job job_1", platform="x/main", phase="compose", last="job_0 SUCCEEDED")
    assert line.render() == "job job_1 · x/main · phase compose · last: job_0 SUCCEEDED"
    line.update(state="waiting for a job", phase="")
    assert line.render() == "waiting for a job · last: job_0 SUCCEEDED"
    assert not StatusLine(io.StringIO()).enabled  # not a terminal: logs only
