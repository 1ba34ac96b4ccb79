"""Replay speed: the whole fixture suite in one shared browser, against a baseline that
launches a browser for each scenario, both measured in this run.

    .venv/bin/python bench/replay.py [--json] [--rounds 3] [--workers N]

Figures (the best of `--rounds` suite runs is kept; the baseline runs once):

- `per_scenario_s`: the suite's wall time, browser launch included, divided by the number
  of scenarios (the target: at most 0.2 s on 2 cores); `suite_s` the wall time itself.
- `baseline_per_scenario_s`: the same scenarios one by one, each in a browser of its own
  (launch, context, page, replay, close), as a CI job that starts a browser per test would;
  `ratio` = baseline suite time / best suite time (the target: at least 4).
- `phases_s`: where the best round's time went. `launch` is the browser start (wall);
  then per playbook phase the seconds summed over scenarios, and `setup`, each scenario's
  time outside the phases (a context or page when none is warm, routing, the comparison).
  Several scenarios run at once, so these sums exceed the wall time.
- `steps_s`: the same seconds by step kind (goto, wait_for, type, click…), with their count.
- `cpu_s`: CPU seconds of the best round by process: this Python process, Playwright's
  driver and the browser (all its processes); on 2 cores the suite cannot take less wall
  time than their sum / 2. Linux only (read from /proc); absent elsewhere.
- `by_kind_s`: mean seconds of one scenario by fixture kind (static: scripts off; scripted)
  and outcome, measured while other scenarios ran beside it.
- `load`: the machine's load average when it ended (other work slows every figure).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import emit


def cpu_by_process() -> dict[str, float] | None:
    """CPU seconds (user + system, reaped children included) of this process and every
    process below it, grouped as python / driver / browser. None without /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    rows: dict[int, tuple[str, float]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        rows[int(entry.name)] = (name, sum(int(f) for f in fields[11:15]) / tick)
    me, out = os.getpid(), {"python": 0.0, "driver": 0.0, "browser": 0.0}
    for pid, (name, seconds) in rows.items():
        hops, p = 0, pid
        while p in parents and p != me and hops < 64:
            hops += 1
            p = parents[p]
        if p != me:
            continue
        group = ("python" if pid == me else "driver" if name.startswith("node")
                 else "browser")
        out[group] += seconds
    return out


def delta(after: dict[str, float] | None, before: dict[str, float] | None) -> Any:
    if after is None or before is None:
        return None
    return {k: round(after[k] - before.get(k, 0.0), 2) for k in after}


async def measure(workers: int | None, rounds: int) -> dict[str, object]:
    from runner.browser import discover, launch, start_playwright
    from runner.engine.definitions import project_root
    from runner.replay import Replayer, load_scenarios
    from runner.replay import discover as find

    scenarios = [sc for f in find(project_root() / "fixtures") for sc in load_scenarios(f)]
    choice = discover(None)
    ours: list[float] = []
    best: dict[str, Any] = {}
    async with start_playwright() as pw:
        for _ in range(rounds):
            cpu_before = cpu_by_process()
            started = time.perf_counter()
            browser = await launch(pw, choice)
            launched = time.perf_counter()
            report = await Replayer(browser, workers=workers).run(scenarios)
            cpu_after = cpu_by_process()  # before the close: the browser's processes live
            await browser.close()
            ours.append(time.perf_counter() - started)
            if not report.passed:
                raise SystemExit("replay failed: " + "; ".join(
                    f"{r.scenario.id}: {', '.join(r.mismatches)}" for r in report.failed))
            if ours[-1] == min(ours):
                best = breakdown(report, launched - started)
                best["cpu_s"] = delta(cpu_after, cpu_before)
        started = time.perf_counter()
        for sc in scenarios:
            browser = await launch(pw, choice)
            report = await Replayer(browser, workers=1).run([sc])
            await browser.close()
            if not report.passed:
                raise SystemExit(f"baseline replay failed: {sc.id}: "
                                 f"{', '.join(report.results[0].mismatches)}")
        baseline = time.perf_counter() - started
    suite = min(ours)
    return {
        "scenarios": len(scenarios),
        "per_scenario_s": round(suite / len(scenarios), 3),
        "suite_s": round(suite, 2),
        "baseline_per_scenario_s": round(baseline / len(scenarios), 3),
        "baseline_suite_s": round(baseline, 2),
        "ratio": round(baseline / suite, 2),
        "workers": workers or "auto",
        "rounds": rounds,
        **best,
        "load": [round(x, 1) for x in os.getloadavg()],
    }


def breakdown(report: Any, launch_s: float) -> dict[str, Any]:
    """Seconds per phase and per step kind (summed over scenarios) and mean seconds per
    kind of scenario."""
    phases: dict[str, float] = defaultdict(float)
    steps: dict[str, list[float]] = defaultdict(list)
    kinds: dict[str, list[float]] = defaultdict(list)
    for r in report.results:
        for phase, seconds in r.phase_durations.items():
            phases[phase] += seconds
        phases["setup"] += max(r.duration_s - sum(r.phase_durations.values()), 0.0)
        for s in r.steps:
            steps[s.step.split(" ", 1)[0]].append(s.duration_ms / 1000)
        fixture = "scripted" if r.scenario.spec.javascript else "static"
        kinds[f"{fixture} {r.actual_status}"].append(r.duration_s)
    out: dict[str, Any] = {"launch": round(launch_s, 3)}
    out.update({k: round(v, 2) for k, v in sorted(phases.items(), key=lambda kv: -kv[1])})
    return {
        "phases_s": out,
        "steps_s": {k: f"{sum(v):.2f} ({len(v)})"
                    for k, v in sorted(steps.items(), key=lambda kv: -sum(kv[1]))},
        "by_kind_s": {k: f"{sum(v) / len(v):.3f} ({len(v)})" for k, v in sorted(kinds.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--workers", type=int, default=None,
                        help="scenarios at once (default: the replay command's)")
    parser.add_argument("--rounds", type=int, default=3, help="suite runs; the best is kept")
    args = parser.parse_args()
    # The engine logs every failure a scenario expects; the figures are what matter here.
    logging.basicConfig(level=logging.ERROR)
    emit(asyncio.run(measure(args.workers, args.rounds)), args.json)


if __name__ == "__main__":
    main()
