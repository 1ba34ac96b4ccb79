"""The Playwright trace reads like the playbook: a group per step, at the step's file:line,
and the failing step marked inside its own group."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from runner.engine import Engine, Post, Status, load_platform
from runner.engine.engine import EngineOptions
from sandbox import REDESIGN_BROKEN

pytestmark = pytest.mark.browser


def _groups(trace: Path) -> list[dict[str, Any]]:
    with zipfile.ZipFile(trace) as z:
        events = [json.loads(line) for name in z.namelist() if name.endswith(".trace")
                  for line in z.read(name).decode("utf-8").splitlines() if line.strip()]
    return [e for e in events if e.get("type") == "before"
            and e.get("method") == "tracingGroup"]


@pytest.mark.asyncio
async def test_trace_groups_actions_by_step_and_marks_the_failure(
        open_page: Any, sandbox: Any, tmp_path: Path) -> None:
    sandbox.state.set_faults("main", REDESIGN_BROKEN)
    plat = load_platform("sandbox")
    engine = Engine(plat, EngineOptions(base_url=sandbox.url, timeout_scale=0.2))
    result = await engine.run(await open_page("main"), Post(text="traced"), tmp_path / "run")
    assert result.status is Status.FAILED and result.trace is not None
    groups = _groups(result.trace)
    titles = [g["title"] for g in groups]
    assert titles[:2] == ["open 1: goto {{ base_url }}/compose", "open 2: wait_for"]
    where = [(g["stack"][0]["file"], g["stack"][0]["line"]) for g in groups[:2]]
    assert where == [("playbooks/sandbox.yaml", plat.playbook.lines[("open", 0)]),
                     ("playbooks/sandbox.yaml", plat.playbook.lines[("open", 1)])]
    failed = [t for t in titles if t.startswith("FAILED: ")]
    assert len(failed) == 1 and "Composer textarea not found" in failed[0]
    assert titles.index(failed[0]) == 2  # right after (inside) the step that failed
