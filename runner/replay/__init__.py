"""Replay of playbooks against saved HTML fixtures (CI's check that selectors still work)."""

from runner.replay.replay import Annotation, Replayer, ReplayReport, ScenarioResult, run_replay
from runner.replay.scenarios import LoadedScenario, discover, load_scenarios

__all__ = [
    "Annotation",
    "LoadedScenario",
    "ReplayReport",
    "Replayer",
    "ScenarioResult",
    "discover",
    "load_scenarios",
    "run_replay",
]
