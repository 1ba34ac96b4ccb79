"""Replay output: terminal table, JSON, JUnit XML, and the selector health report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from runner.engine.definitions import Platform
from runner.replay.replay import ReplayReport


def to_json(report: ReplayReport) -> str:
    return json.dumps([r.as_dict() for r in report.results], indent=2, ensure_ascii=False)


def to_junit(report: ReplayReport) -> str:
    suites = ET.Element("testsuites", name="publish-runner replay",
                        tests=str(len(report.results)), failures=str(len(report.failed)),
                        time=f"{report.duration_s:.3f}")
    by_platform: dict[str, list[Any]] = defaultdict(list)
    for r in report.results:
        by_platform[r.scenario.platform].append(r)
    for platform, results in sorted(by_platform.items()):
        suite = ET.SubElement(suites, "testsuite", name=platform, tests=str(len(results)),
                              failures=str(sum(not r.passed for r in results)),
                              time=f"{sum(r.duration_s for r in results):.3f}")
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=f"replay.{platform}",
                                 name=r.scenario.name, file=r.scenario.file,
                                 line=str(r.scenario.line), time=f"{r.duration_s:.3f}")
            if not r.passed:
                failure = ET.SubElement(case, "failure", message="; ".join(r.mismatches))
                failure.text = "\n".join([*r.mismatches, *(str(a) for a in r.annotations)])
            if r.fallbacks:
                ET.SubElement(case, "system-out").text = "fallbacks: " + ", ".join(r.fallbacks)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def table(report: ReplayReport) -> str:
    rows = [("scenario", "expected", "actual", "time", "result")]
    for r in report.results:
        rows.append((r.scenario.id, r.scenario.spec.expect.status or "-", r.actual_status,
                     f"{r.duration_s:.2f}s", "ok" if r.passed else "FAIL"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in report.failed:
        lines.append(f"\n{r.scenario.id} ({r.scenario.file}:{r.scenario.line}):")
        lines.extend(f"  - {m}" for m in r.mismatches)
    passed = len(report.results) - len(report.failed)
    lines.append(f"\n{passed} passed, {len(report.failed)} failed in {report.duration_s:.2f}s")
    return "\n".join(lines)


def health(report: ReplayReport, platforms: dict[str, Platform]) -> str:
    """Per selector: which candidate matched in which scenario; fallbacks; never exercised."""
    used: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for r in report.results:
        for name, cand in r.resolutions.items():
            used[(r.scenario.platform, name)][r.scenario.name] = cand
    lines = []
    for pname, platform in sorted(platforms.items()):
        lines.append(f"{pname} ({platform.selector_file})")
        selectors = platform.selectors.selectors
        exercised = {n for (p, n) in used if p == pname}
        # A scope is exercised whenever something inside it resolved.
        for name in list(exercised):
            scope = selectors[name].scope if name in selectors else None
            while scope:
                exercised.add(scope)
                scope = selectors[scope].scope
        for name in selectors:
            line = platform.selector_line(name)
            hits = used.get((pname, name), {})
            if hits:
                by_cand: dict[int, list[str]] = defaultdict(list)
                for scenario, cand in sorted(hits.items()):
                    by_cand[cand].append(scenario)
                detail = "; ".join(f"candidate {c}: {', '.join(s)}"
                                   for c, s in sorted(by_cand.items()))
                flag = "FALLBACK" if any(c > 1 for c in by_cand) else "ok"
            elif name in exercised:
                flag, detail = "ok", "resolved as a scope"
            else:
                flag, detail = "UNUSED", "no scenario exercises it"
            lines.append(f"  {flag:8} {name} (line {line}): {detail}")
    return "\n".join(lines)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
