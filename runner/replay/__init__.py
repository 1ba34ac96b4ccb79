"""Replay of playbooks against saved HTML fixtures (CI's check that selectors still work)."""

from runner.replay.replay import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    Annotation,
    Replayer,
    ReplayReport,
    ScenarioResult,
    prune,
    run_replay,
)
from runner.replay.scenarios import LoadedScenario, discover, load_scenarios

__all__ = [
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "Annotation",
    "LoadedScenario",
    "ReplayReport",
    "Replayer",
    "ScenarioResult",
    "discover",
    "load_scenarios",
    "prune",
    "run_replay",
]
