"""Every fixture scenario in the repository, replayed through the real playbook and engine.

Plain `pytest` therefore catches a selector that no longer matches its platform's saved
pages; the failure message says which selector, in which file, at which line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner.engine.definitions import project_root
from runner.replay import Replayer, discover, load_scenarios

pytestmark = pytest.mark.browser

SCENARIOS = [sc for f in discover(project_root() / "fixtures") for sc in load_scenarios(f)]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[sc.id for sc in SCENARIOS])
@pytest.mark.asyncio
async def test_scenario_replays_as_expected(scenario: Any, browser: Any, tmp_path: Path) -> None:
    result = (await Replayer(browser, out_dir=tmp_path).run([scenario])).results[0]
    notes = "\n".join(str(a) for a in result.annotations)
    assert result.passed, f"{scenario.file}:{scenario.line}: {result.mismatches}\n{notes}"


def test_every_platform_has_scenarios() -> None:
    platforms = {sc.platform for sc in SCENARIOS}
    playbooks = {p.stem for p in (project_root() / "playbooks").glob("*.yaml")}
    assert playbooks <= platforms, f"playbooks without fixture scenarios: {playbooks - platforms}"
