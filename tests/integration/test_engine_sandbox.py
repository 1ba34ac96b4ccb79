"""The engine against the sandbox platform, in real Chromium over real HTTP."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest

from common.errors import RunCancelled
from runner.engine import Engine, Status, load_platform
from runner.engine.engine import EngineHooks, EngineOptions, Post
from runner.engine.result import Proof, StepRecord

pytestmark = pytest.mark.browser

TEXT = "Hello 👋 مرحبا — first post"


@pytest.fixture(scope="module")
def platform() -> Any:
    return load_platform("sandbox")


@pytest.fixture
def publish(open_page: Any, sandbox: Any, platform: Any, tmp_path: Path) -> Any:
    """Async factory: run the sandbox playbook once and return the RunResult."""

    async def run(text: str = TEXT, *, account: str | None = "main",
                  media: tuple[Path, ...] = (), hooks: EngineHooks | None = None,
                  plat: Any = None, page: Any = None, **options: Any) -> Any:
        page = page or await open_page(account)
        engine = Engine(plat or platform, EngineOptions(base_url=sandbox.url, **options), hooks)
        post = Post(text=text, media=media, account=account or "main")
        return await engine.run(page, post, tmp_path / "run")

    return run


def kinds(result: Any) -> list[str]:
    return [p.kind for p in result.proofs]


@pytest.mark.asyncio
async def test_text_post_succeeds_with_both_proofs(publish: Any, sandbox: Any) -> None:
    result = await publish()
    assert result.status is Status.SUCCEEDED, result.error_message
    assert kinds(result) == ["before_confirm", "after_publish"]
    for proof in result.proofs:
        assert proof.path.exists() and proof.size == proof.path.stat().st_size
        assert proof.size <= 200_000 and (proof.width, proof.height) == (1280, 800)
    (post,) = sandbox.state.posts()
    assert post.text == TEXT  # Arabic and emoji arrive intact
    assert result.post_url == f"{sandbox.url}/p/{post.id}"
    assert result.fallbacks == []
    phases = [s.phase for s in result.steps]
    assert phases.index("confirm") < phases.index("publish") < phases.index("verify")


@pytest.mark.asyncio
async def test_image_post_uploads_the_file(publish: Any, sandbox: Any, image_file: Any) -> None:
    photo = image_file()
    result = await publish("With a photo", media=(photo,))
    assert result.status is Status.SUCCEEDED, result.error_message
    assert kinds(result) == ["before_confirm", "after_publish"]
    (post,) = sandbox.state.posts()
    (media,) = post.media
    assert media.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()


@pytest.mark.asyncio
async def test_logged_out_account_needs_login_and_nothing_is_typed(publish: Any,
                                                                   sandbox: Any) -> None:
    result = await publish(account=None)
    assert result.status is Status.NEEDS_LOGIN
    assert "logged out" in result.error_message and "publish-runner login" in result.error_message
    assert not any(s.phase in ("compose", "attach", "publish") for s in result.steps)
    assert kinds(result) == ["on_failure"]
    assert sandbox.state.posts() == []


@pytest.mark.asyncio
async def test_expired_session_needs_login(publish: Any, sandbox: Any) -> None:
    sandbox.state.set_faults("main", "session_expired")
    result = await publish()
    assert result.status is Status.NEEDS_LOGIN
    assert sandbox.state.posts() == []


@pytest.mark.asyncio
async def test_fallback_redesign_succeeds_with_a_warning(publish: Any, sandbox: Any,
                                                         caplog: Any) -> None:
    sandbox.state.set_faults("main", "redesign_fallback")
    with caplog.at_level(logging.WARNING, logger="runner.engine.engine"):
        result = await publish()
    assert result.status is Status.SUCCEEDED, result.error_message
    assert {"composerTextarea", "postButton", "successToast"} <= set(result.fallbacks)
    assert "fallback used: composerTextarea via candidate 2" in caplog.text
    assert len(sandbox.state.posts()) == 1


@pytest.mark.asyncio
async def test_broken_redesign_fails_naming_selector_and_line(publish: Any, sandbox: Any,
                                                              platform: Any) -> None:
    sandbox.state.set_faults("main", "redesign_broken")
    result = await publish(timeout_scale=0.2)
    assert result.status is Status.FAILED
    line = platform.selector_line("composerTextarea")
    assert result.error_code == "SELECTOR_NOT_FOUND"
    assert result.error_message.startswith(
        f"Composer textarea not found (selector composerTextarea in selectors/sandbox.yaml:{line};"
        " tried 2 candidates:")
    assert "[sandbox open step 2" in result.error_message
    assert kinds(result) == ["on_failure"]
    assert result.failure_html and "<html" in result.failure_html.read_text()
    assert result.trace and result.trace.stat().st_size > 0
    assert sandbox.state.posts() == []


@pytest.mark.asyncio
async def test_error_toast_fails_with_its_text(publish: Any, sandbox: Any) -> None:
    sandbox.state.set_faults("main", "reject")
    result = await publish()
    assert result.status is Status.FAILED
    assert result.error_code == "PLATFORM_REJECTED"
    assert "Your post could not be sent: it looks like spam." in result.error_message
    assert result.reached_publish
    assert kinds(result) == ["before_confirm", "on_failure"]


@pytest.mark.asyncio
async def test_challenge_is_a_failure_not_a_login(publish: Any, sandbox: Any) -> None:
    sandbox.state.set_faults("main", "challenge")
    result = await publish()
    assert result.status is Status.FAILED
    assert result.error_code == "CHALLENGE"
    assert "challenge" in result.error_message


@pytest.mark.asyncio
async def test_slow_platform_within_timeouts_succeeds(publish: Any, sandbox: Any) -> None:
    sandbox.state.set_faults("main", "slow", slow_ms=1500)
    result = await publish()
    assert result.status is Status.SUCCEEDED, result.error_message
    assert len(sandbox.state.posts()) == 1


@pytest.mark.asyncio
async def test_arabic_interface(publish: Any, sandbox: Any) -> None:
    result = await publish("نص عربي فقط ✨", account="arabic")
    assert result.status is Status.SUCCEEDED, result.error_message
    assert result.fallbacks == []
    assert [p.text for p in sandbox.state.posts("arabic")] == ["نص عربي فقط ✨"]


@pytest.mark.asyncio
async def test_arabic_interface_with_arabic_locale_and_fallbacks(publish: Any,
                                                                 sandbox: Any) -> None:
    sandbox.state.set_faults("arabic", "redesign_fallback")
    result = await publish("مرحبا", account="arabic", locale="ar")
    assert result.status is Status.SUCCEEDED, result.error_message
    assert "postButton" in result.fallbacks


@pytest.mark.asyncio
async def test_cookie_banner_is_dismissed(publish: Any, sandbox: Any) -> None:
    sandbox.state.set_faults("main", "cookie_banner")
    result = await publish()
    assert result.status is Status.SUCCEEDED, result.error_message


@pytest.mark.asyncio
async def test_intercepted_click_is_reported(publish: Any, sandbox: Any, platform: Any) -> None:
    header = platform.playbook.header.model_copy(update={"overlays": []})
    playbook = platform.playbook.model_copy(update={"header": header})
    from dataclasses import replace

    bare = replace(platform, playbook=playbook)
    sandbox.state.set_faults("main", "cookie_banner")
    result = await publish(plat=bare, timeout_scale=0.2)
    assert result.status is Status.FAILED
    assert result.error_code == "CLICK_INTERCEPTED"
    assert "cookie-banner" in result.error_message
    assert not result.reached_publish or sandbox.state.posts() == []


@pytest.mark.parametrize("method", ["fill", "keyboard", "paste"])
@pytest.mark.asyncio
async def test_typing_methods(publish: Any, sandbox: Any, platform: Any, method: str) -> None:
    from dataclasses import replace

    steps = platform.playbook.phases["compose"]
    typed = steps[0].model_copy(update={"method": method, "delay_ms": 1})
    phases = {**platform.playbook.phases, "compose": [typed]}
    plat = replace(platform, playbook=platform.playbook.model_copy(update={"phases": phases}))
    result = await publish(f"typed with {method} ✓", plat=plat)
    assert result.status is Status.SUCCEEDED, result.error_message
    assert sandbox.state.posts()[0].text == f"typed with {method} ✓"


class Recorder(EngineHooks):
    def __init__(self, approve: bool = True, cancel_at: str | None = None) -> None:
        self.approve = approve
        self.cancel_at = cancel_at
        self.steps: list[StepRecord] = []
        self.proofs: list[Proof] = []
        self.calls: list[str] = []

    async def on_step(self, record: StepRecord) -> None:
        self.steps.append(record)

    async def on_proof(self, proof: Proof) -> None:
        self.proofs.append(proof)

    async def checkpoint(self, phase: str) -> None:
        self.calls.append(f"checkpoint:{phase}")
        if phase == self.cancel_at:
            raise RunCancelled("cancelled by the operator")

    async def await_confirm(self, proof: Proof | None) -> bool:
        self.calls.append(f"confirm:{proof.kind if proof else None}")
        return self.approve

    async def before_publish(self) -> None:
        self.calls.append("before_publish")


@pytest.mark.asyncio
async def test_fail_step_refuses_a_post_before_typing(publish: Any, sandbox: Any,
                                                      platform: Any) -> None:
    from dataclasses import replace

    from runner.engine.steps import Fail

    refuse = Fail(message="the sandbox takes no posts without a photo", when="not post.media")
    phases = {**platform.playbook.phases, "open": [refuse, *platform.playbook.phases["open"]]}
    plat = replace(platform, playbook=platform.playbook.model_copy(update={"phases": phases}))
    result = await publish("no photo", plat=plat)
    assert result.status is Status.FAILED and result.error_code == "UNSUPPORTED_POST"
    assert result.error_message.startswith("the sandbox takes no posts without a photo")
    assert sandbox.state.posts() == []


@pytest.mark.asyncio
async def test_hooks_see_steps_proofs_and_gate_publish(publish: Any, sandbox: Any) -> None:
    hooks = Recorder()
    result = await publish(hooks=hooks)
    assert result.status is Status.SUCCEEDED
    assert [s.seq for s in hooks.steps] == list(range(1, len(hooks.steps) + 1))
    assert [p.kind for p in hooks.proofs] == ["before_confirm", "after_publish"]
    assert hooks.calls[-2:] == ["confirm:before_confirm", "before_publish"]


@pytest.mark.asyncio
async def test_rejected_confirmation_publishes_nothing(publish: Any, sandbox: Any) -> None:
    result = await publish(hooks=Recorder(approve=False))
    assert result.status is Status.CANCELLED
    assert not result.reached_publish
    assert sandbox.state.posts() == []


@pytest.mark.asyncio
async def test_cancel_before_publish(publish: Any, sandbox: Any) -> None:
    result = await publish(hooks=Recorder(cancel_at="compose"))
    assert result.status is Status.CANCELLED
    assert sandbox.state.posts() == []


@pytest.mark.asyncio
async def test_recent_posts_check(publish: Any, open_page: Any, sandbox: Any,
                                  platform: Any, tmp_path: Path) -> None:
    assert (await publish("already live ✓")).status is Status.SUCCEEDED
    engine = Engine(platform, EngineOptions(base_url=sandbox.url))
    found = await engine.check_recent_posts(await open_page(), Post("already live ✓"),
                                            tmp_path / "c")
    assert found.found is True
    assert found.post_url == f"{sandbox.url}/p/{sandbox.state.posts()[0].id}"
    assert found.proof is not None and found.proof.kind == "after_publish"
    missing = await engine.check_recent_posts(await open_page(), Post("never posted"),
                                              tmp_path / "d")
    assert missing.found is False
    from dataclasses import replace

    header = platform.playbook.header.model_copy(update={"recent_posts_conclusive": False})
    blind = replace(platform, playbook=platform.playbook.model_copy(update={"header": header}))
    unsure = await Engine(blind, EngineOptions(base_url=sandbox.url)).check_recent_posts(
        await open_page(), Post("never posted"), tmp_path / "f")
    assert unsure.found is None and "cannot show" in unsure.message
    unreachable = Engine(platform, EngineOptions(base_url="http://127.0.0.1:9", timeout_scale=0.2))
    unknown = await unreachable.check_recent_posts(await open_page(), Post("x"), tmp_path / "e")
    assert unknown.found is None and "could not check recent posts" in unknown.message
