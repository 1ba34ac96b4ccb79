"""Actions that check the page and may end the run: assert, login wall, challenge, fail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from common.errors import (
    AssertionFailed,
    ChallengeRequired,
    LoginRequired,
    PlatformRejected,
    StepContext,
    StepError,
)
from runner.engine import steps
from runner.engine.actions.registry import Note, action
from runner.engine.locate import normalise, pick
from runner.engine.urls import glob_to_regex

if TYPE_CHECKING:
    from runner.engine.walk import Run


@action("assert")
async def assert_(run: Run, step: steps.Assert, timeout: float) -> Note:
    if step.url is not None:
        pattern = glob_to_regex(str(run.render(step.url)))
        if not pattern.match(run.page.url):
            raise AssertionFailed(step.message or f"URL {run.page.url} is not {step.url}")
        return Note(run.page.url)
    assert step.selector is not None
    ctx = StepContext(selector=step.selector)
    if step.state in ("hidden", "detached"):
        if await run.resolver.try_once(step.selector):
            raise AssertionFailed(step.message or f"{step.selector} is shown", ctx)
        return Note(f"{step.selector} not shown")
    loc, note = await run.resolve(step.selector, timeout)
    if step.state in ("enabled", "disabled") and (
        await loc.is_enabled() != (step.state == "enabled")
    ):
        raise AssertionFailed(step.message or f"{step.selector} is not {step.state}", ctx)
    if step.text is not None:
        have = normalise(await loc.inner_text())
        wanted = [normalise(t) for t in pick(step.text, run.options.locale)]
        if not any(w in have for w in wanted):
            raise AssertionFailed(step.message or f"{step.selector} reads {have[:80]!r}", ctx)
    if step.count is not None and (n := await loc.count()) != step.count:
        raise AssertionFailed(step.message or f"{step.selector}: {n} elements", ctx)
    return note


async def _matches(run: Run, url: str | None, selector: str | None) -> str | None:
    if url is not None and glob_to_regex(str(run.render(url))).match(run.page.url):
        return f"URL {run.page.url}"
    if selector is not None and await run.resolver.try_once(selector):
        return f"{selector} on {run.page.url}"
    return None


@action("login_wall")
async def login_wall(run: Run, step: steps.LoginWall, timeout: float) -> Note:
    seen = await _matches(run, step.url, step.selector)
    if seen:
        name, account = run.platform.name, run.post.account
        raise LoginRequired(
            f"{name} account '{account}' is logged out (login wall: {seen}); log in with "
            f"`publish-runner login {name} --account {account}`",
            StepContext(selector=step.selector),
        )
    return Note("no login wall")


@action("challenge")
async def challenge(run: Run, step: steps.Challenge, timeout: float) -> Note:
    seen = await _matches(run, step.url, step.selector)
    if seen:
        raise ChallengeRequired(f"{step.message} ({seen})")
    return Note("no challenge")


@action("fail")
async def fail(run: Run, step: steps.Fail, timeout: float) -> Note:
    err = StepError(str(run.render(step.message)))
    err.code = step.code
    raise err


@action("fail_if")
async def fail_if(run: Run, step: steps.FailIf, timeout: float) -> Note:
    found = await run.resolver.try_once(step.selector)
    if found:
        text = normalise(await found.locator.first.inner_text())
        err = PlatformRejected(f"{run.platform.name} refused the post: {text}",
                               StepContext(selector=step.selector))
        err.code = step.code
        raise err
    return Note(f"{step.selector} not shown")


__all__ = ["assert_", "challenge", "fail", "fail_if", "login_wall"]
