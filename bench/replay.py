"""Replay speed: the whole fixture suite in one shared browser, against a baseline that
launches a browser for each scenario, both measured in this run.

    .venv/bin/python bench/replay.py --json

`per_scenario_s` is the suite's wall time (browser launch included) divided by the number
of scenarios; the baseline runs the same scenarios one by one, each in its own browser.
`phases_s` says where the best round's time went: the browser launch, then per playbook
phase the seconds summed over scenarios (they overlap: several run at once), `setup` being
each scenario's time outside the phases (a page, routing, the comparison); `by_kind_s` the
mean seconds of a scenario by kind (static or scripted fixture, expected outcome), and
`load` the machine's load average while it ran (other work slows every figure).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict
from typing import Any

from _common import emit


async def measure(workers: int | None, rounds: int) -> dict[str, object]:
    from runner.browser import discover, launch, start_playwright
    from runner.engine.definitions import project_root
    from runner.replay import Replayer, load_scenarios
    from runner.replay import discover as find

    scenarios = [sc for f in find(project_root() / "fixtures") for sc in load_scenarios(f)]
    choice = discover(None)
    ours: list[float] = []
    best_phases: dict[str, Any] = {}
    best_kinds: dict[str, Any] = {}
    async with start_playwright() as pw:
        for _ in range(rounds):
            started = time.perf_counter()
            browser = await launch(pw, choice)
            launched = time.perf_counter()
            report = await Replayer(browser, workers=workers).run(scenarios)
            await browser.close()
            ours.append(time.perf_counter() - started)
            if not report.passed:
                raise SystemExit(f"replay failed: {[r.scenario.id for r in report.failed]}")
            if ours[-1] == min(ours):
                best_phases, best_kinds = breakdown(report, launched - started)
        started = time.perf_counter()
        for sc in scenarios:
            browser = await launch(pw, choice)
            report = await Replayer(browser, workers=1).run([sc])
            await browser.close()
            if not report.passed:
                raise SystemExit(f"baseline replay failed: {sc.id}")
        baseline = time.perf_counter() - started
    best = min(ours)
    return {
        "scenarios": len(scenarios),
        "per_scenario_s": round(best / len(scenarios), 3),
        "suite_s": round(best, 2),
        "baseline_per_scenario_s": round(baseline / len(scenarios), 3),
        "baseline_suite_s": round(baseline, 2),
        "ratio": round(baseline / best, 2),
        "workers": workers or "auto",
        "rounds": rounds,
        "phases_s": best_phases,
        "by_kind_s": best_kinds,
        "load": [round(x, 1) for x in os.getloadavg()],
    }


def breakdown(report: Any, launch_s: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seconds per phase (summed over scenarios) and mean seconds per kind of scenario."""
    phases: dict[str, float] = defaultdict(float)
    kinds: dict[str, list[float]] = defaultdict(list)
    for r in report.results:
        for phase, seconds in r.phase_durations.items():
            phases[phase] += seconds
        phases["setup"] += max(r.duration_s - sum(r.phase_durations.values()), 0.0)
        fixture = "scripted" if r.scenario.spec.javascript else "static"
        kinds[f"{fixture} {r.actual_status}"].append(r.duration_s)
    out = {"launch": round(launch_s, 3)}
    out.update({k: round(v, 2) for k, v in sorted(phases.items(), key=lambda kv: -kv[1])})
    return out, {k: round(sum(v) / len(v), 3) for k, v in sorted(kinds.items())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3, help="suite runs; the best is kept")
    args = parser.parse_args()
    emit(asyncio.run(measure(args.workers, args.rounds)), args.json)


if __name__ == "__main__":
    main()
