"""Canaries: dry runs of a playbook on a live account that never publish.

A canary tells a team that a platform changed before a scheduled post fails: it runs the
phases up to `confirm` in the engine's canary mode (runner.engine.canary), discards the
draft, checks that nothing was posted, and reports per selector how it resolved, with a
verdict (healthy, degraded, inconclusive, broken) and near-match suggestions for a selector
that no longer resolves. docs/canary.md describes it.

- `run_canary(platform, account=..., profile=...)` → `CanaryReport` (`run.py`)
- `canary_on_page(page, platform, account=...)`: the same on an open page
- `CanaryReport`, `build_report`, the verdicts (`report.py`)
- `reference_pages`, `find_reference`: where a selector last passed (`references.py`)
"""

from runner.canary.report import VERDICTS, CanaryReport, Finding, build_report
from runner.canary.run import canary_on_page, diagnose_on_page, run_canary

__all__ = ["VERDICTS", "CanaryReport", "Finding", "build_report", "canary_on_page",
           "diagnose_on_page", "run_canary"]
