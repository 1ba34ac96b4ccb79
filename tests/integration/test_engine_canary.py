"""Canary mode in the engine, against the sandbox in real Chromium: it stops after confirm,
discards, and never reaches the publish click, even when the playbook tries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.engine import Engine, EngineHooks, Post, Status, load_platform
from runner.engine.definitions import project_root
from runner.engine.engine import EngineOptions

pytestmark = pytest.mark.browser

TEXT = "canary 🐤 كناري"


class Watch(EngineHooks):
    """Remembers whether the last call before the irreversible step was ever made."""

    def __init__(self) -> None:
        self.before_publish_called = False
        self.confirm_asked = False

    async def before_publish(self) -> None:
        self.before_publish_called = True

    async def await_confirm(self, proof: Any) -> bool:
        self.confirm_asked = True
        return True


def _definitions(tmp_path: Path, edit: Any) -> Path:
    """A copy of the sandbox definitions with the playbook edited by `edit(data)`."""
    root = project_root()
    (tmp_path / "playbooks").mkdir(parents=True)
    (tmp_path / "selectors").mkdir()
    (tmp_path / "selectors" / "sandbox.yaml").write_bytes(
        (root / "selectors" / "sandbox.yaml").read_bytes())
    data = yaml.safe_load((root / "playbooks" / "sandbox.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "playbooks" / "sandbox.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                                         encoding="utf-8")
    return tmp_path


async def _canary(page: Any, sandbox: Any, plat: Any, tmp_path: Path,
                  hooks: EngineHooks | None = None) -> Any:
    engine = Engine(plat, EngineOptions(base_url=sandbox.url), hooks)
    return await engine.canary(page, Post(text=TEXT, account="main"), tmp_path / "run")


@pytest.mark.asyncio
async def test_canary_stops_after_confirm_discards_and_posts_nothing(
        open_page: Any, sandbox: Any, tmp_path: Path) -> None:
    hooks = Watch()
    page = await open_page("main")
    out = await _canary(page, sandbox, load_platform("sandbox"), tmp_path, hooks)
    assert out.result.status is Status.SUCCEEDED, out.result.error_message
    assert out.result.canary and not out.result.reached_publish
    assert not hooks.before_publish_called and not hooks.confirm_asked
    phases = {s.phase for s in out.result.steps}
    assert "confirm" in phases and not phases & {"publish", "verify"}
    assert out.discard.found is True, out.discard.message
    assert out.recent.found is False, out.recent.message
    assert sandbox.state.posts() == []
    # The health report: every selector the run found, with the winning candidate.
    lookups = out.result.lookups
    assert lookups["composerTextarea"].candidate == 1
    assert lookups["postButton"].count == 1 and not lookups["postButton"].fallback
    assert lookups["composer"].phase == "open"


@pytest.mark.parametrize("where", ["confirm", "discard"])
@pytest.mark.asyncio
async def test_a_click_of_the_post_button_outside_publish_is_refused(
        open_page: Any, sandbox: Any, tmp_path: Path, where: str) -> None:
    def edit(data: dict[str, Any]) -> None:
        if where == "confirm":
            data["phases"]["confirm"].append({"click": "postButton"})
        else:
            data["discard"] = [{"click": "postButton"}]

    plat = load_platform("sandbox", _definitions(tmp_path / "defs", edit))
    page = await open_page("main")
    out = await _canary(page, sandbox, plat, tmp_path)
    assert sandbox.state.posts() == []
    refused = out.result if where == "confirm" else None
    if refused is not None:
        assert refused.status is Status.FAILED and refused.error_code == "CANARY_REFUSED"
        assert "postButton" in (refused.error_message or "")
        assert "playbooks/sandbox.yaml" in (refused.error_message or "")
    else:
        assert out.discard.found is False
        assert "publish phase uses" in out.discard.message
    assert not any(s.phase == "publish" for s in out.result.steps)


@pytest.mark.asyncio
async def test_enter_and_an_empty_publish_phase_are_refused(
        open_page: Any, sandbox: Any, tmp_path: Path) -> None:
    def enter(data: dict[str, Any]) -> None:
        data["phases"]["confirm"].append({"press": {"key": "Control+Enter",
                                                    "selector": "composerTextarea"}})

    out = await _canary(await open_page("main"), sandbox,
                  load_platform("sandbox", _definitions(tmp_path / "a", enter)), tmp_path)
    assert out.result.error_code == "CANARY_REFUSED", out.result.error_message
    assert sandbox.state.posts() == []

    def moved(data: dict[str, Any]) -> None:  # the click moved out of publish altogether
        data["phases"]["confirm"].append({"click": "postButton"})
        data["phases"]["publish"] = []

    out = await _canary(await open_page("main"), sandbox,
                  load_platform("sandbox", _definitions(tmp_path / "b", moved)), tmp_path)
    assert out.result.error_code == "CANARY_REFUSED"
    assert "names no selector" in (out.result.error_message or "")
    assert not out.result.steps or all(s.phase != "confirm" for s in out.result.steps)
    assert sandbox.state.posts() == []


@pytest.mark.asyncio
async def test_without_canary_mode_the_same_click_in_confirm_would_publish(
        open_page: Any, sandbox: Any, tmp_path: Path) -> None:
    """The control: the edited playbook really does publish when not a canary, so the
    refusal above is what kept the post away."""
    def edit(data: dict[str, Any]) -> None:
        data["phases"]["confirm"].append({"click": "postButton"})
        data["phases"]["publish"] = [{"wait_for": {"selector": "successToast"}}]

    plat = load_platform("sandbox", _definitions(tmp_path / "defs", edit))
    engine = Engine(plat, EngineOptions(base_url=sandbox.url))
    result = await engine.run(await open_page("main"), Post(text=TEXT, account="main"),
                              tmp_path / "run")
    assert result.status is Status.SUCCEEDED, result.error_message
    assert len(sandbox.state.posts()) == 1
