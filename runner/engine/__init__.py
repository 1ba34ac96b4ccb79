"""The playbook engine: selector files, playbooks, and running them on a Playwright page.

Public API:
- `load_platform(platform, root=...)` → `Platform` (its playbook and selector file, checked)
- `Engine(platform, EngineOptions.from_settings(...)).run(page, Post(...), out_dir)`
  → `RunResult`
- `lint_paths(paths)` → problems found across playbooks and selector files
"""

from runner.engine.definitions import Platform, load_platform
from runner.engine.engine import Engine
from runner.engine.hooks import EngineHooks
from runner.engine.options import EngineOptions
from runner.engine.post import Post
from runner.engine.result import Proof, RecentCheck, RunResult, Status, StepRecord

__all__ = [
    "Engine",
    "EngineHooks",
    "EngineOptions",
    "Platform",
    "Post",
    "Proof",
    "RecentCheck",
    "RunResult",
    "Status",
    "StepRecord",
    "load_platform",
]
