"""The playbook engine: selector files, playbooks, and running them on a Playwright page.

Public API:
- `load_platform(platform, root=...)` → `Platform` (its playbook and selector file, checked)
- `Engine(platform).run(page, post, ...)` → `RunResult`
- `lint_paths(paths)` → problems found across playbooks and selector files
"""

from runner.engine.definitions import Platform, load_platform
from runner.engine.engine import Engine, EngineHooks
from runner.engine.result import Proof, RunResult, Status, StepRecord

__all__ = [
    "Engine",
    "EngineHooks",
    "Platform",
    "Proof",
    "RunResult",
    "Status",
    "StepRecord",
    "load_platform",
]
