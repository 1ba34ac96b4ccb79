"""Replay output: terminal table, JSON, JUnit XML, and the selector health report.

The JUnit file follows the schema CI servers read (Jenkins xunit's junit-10.xsd; GitLab and
GitHub reporters read the same): `errors` on every suite, nothing on `testcase` beyond name,
classname and time. Where the scenario is written (file:line) goes into the failure message
and `system-out`; suites carry their scenarios file and the run's facts as `properties`.
"""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from common.errors import DefinitionError
from runner.engine.definitions import Platform
from runner.engine.yamlsrc import Source, load_yaml
from runner.replay.replay import ReplayReport, ScenarioResult, iso_utc
from runner.replay.scenarios import display_path

__all__ = ["headline", "health", "table", "to_json", "to_junit", "write"]


def headline(r: ScenarioResult) -> str:
    """What went wrong, said once: the mismatches, then the run's own error."""
    text = "; ".join(r.mismatches)
    return f"{text} — {r.error}" if r.error and r.error not in text else text


def to_json(report: ReplayReport, **extra: Any) -> str:
    """`{"summary": {...}, "scenarios": [...]}` (docs/fixtures.md describes each key)."""
    summary = {**report.summary(), **extra}
    return json.dumps({"summary": summary, "scenarios": [r.as_dict() for r in report.results]},
                      indent=2, ensure_ascii=False)


def to_junit(report: ReplayReport) -> str:
    summary = report.summary()
    suites = ET.Element("testsuites", name="publish-runner replay",
                        tests=str(summary["total"]), failures=str(summary["failed"]),
                        errors=str(summary["errors"]), time=f"{report.duration_s:.3f}")
    by_file: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in report.results:
        by_file[r.scenario.file].append(r)
    host = socket.gethostname()
    for file, results in sorted(by_file.items()):
        platform = results[0].scenario.platform
        suite = ET.SubElement(
            suites, "testsuite", name=platform, tests=str(len(results)),
            failures=str(sum(r.outcome == "failed" for r in results)),
            errors=str(sum(r.outcome == "error" for r in results)), skipped="0",
            time=f"{sum(r.duration_s for r in results):.3f}",
            timestamp=iso_utc(min(r.started_at for r in results) or report.started_at),
            hostname=host, file=file,
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (("scenarios_file", file), ("version", summary["version"]),
                            ("definitions_root", summary["definitions_root"] or "")):
            ET.SubElement(props, "property", name=name, value=str(value))
        for r in results:
            case = ET.SubElement(suite, "testcase", classname=f"replay.{platform}",
                                 name=r.scenario.name, time=f"{r.duration_s:.3f}")
            where = f"{r.scenario.file}:{r.scenario.line}"
            if not r.passed:
                tag = "error" if r.broken else "failure"
                detail = ET.SubElement(case, tag, type=r.actual_status,
                                       message=f"{where}: {headline(r)}")
                detail.text = "\n".join([*r.mismatches, *(str(a) for a in r.annotations)])
            out = [f"scenario: {where}"]
            if r.fallbacks:
                out.append("fallbacks: " + ", ".join(r.fallbacks))
            out += [f"evidence: {display_path(p)}" for p in r.evidence()]
            ET.SubElement(case, "system-out").text = "\n".join(out)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def table(report: ReplayReport) -> str:
    rows = [("scenario", "expected", "actual", "time", "result")]
    for r in report.results:
        rows.append((r.scenario.id, r.scenario.spec.expect.status or "-", r.actual_status,
                     f"{r.duration_s:.2f}s", {"passed": "ok", "failed": "FAIL",
                                               "error": "ERROR"}[r.outcome]))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in report.failed:
        lines.append(f"\n{r.outcome.upper()} {r.scenario.id} ({r.scenario.file}:"
                     f"{r.scenario.line}): {headline(r)}")
        evidence = r.evidence()
        if evidence:
            lines.append("  evidence: " + ", ".join(display_path(p) for p in evidence))
        if r.trace is not None and r.trace.exists():
            lines.append(f"  trace: npx playwright show-trace {display_path(r.trace)}")
    summary = report.summary()
    counts = f"{summary['passed']} passed, {summary['failed']} failed"
    if summary["errors"]:
        counts += f", {summary['errors']} could not run"
    lines.append(f"\n{counts} in {report.duration_s:.2f}s")
    return "\n".join(lines)


def health(report: ReplayReport, platforms: dict[str, Platform], root: Path) -> str:
    """Per selector: which candidate matched in which scenario (with the candidate's line);
    fallbacks that scenarios expect are marked `expected`, a new one `FALLBACK`; selectors no
    scenario exercises `UNUSED`."""
    used: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    expected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in report.results:
        for name, cand in r.resolutions.items():
            used[(r.scenario.platform, name)][r.scenario.name] = cand
        for name in r.scenario.spec.expect.fallbacks or []:
            expected[(r.scenario.platform, name)].add(r.scenario.name)
    lines = []
    for pname, platform in sorted(platforms.items()):
        sel_file = display_path(root / platform.selector_file)
        lines.append(f"{pname} ({sel_file})")
        src = _source(root / platform.selector_file)
        selectors = platform.selectors.selectors
        exercised = {n for (p, n) in used if p == pname}
        # A scope is exercised whenever something inside it resolved.
        for name in list(exercised):
            scope = selectors[name].scope if name in selectors else None
            while scope:
                exercised.add(scope)
                scope = selectors[scope].scope
        for name in selectors:
            hits = used.get((pname, name), {})
            if hits:
                by_cand: dict[int, list[str]] = defaultdict(list)
                for scenario, cand in sorted(hits.items()):
                    by_cand[cand].append(scenario)
                parts = []
                for c, scenarios in sorted(by_cand.items()):
                    line = src.where(("selectors", name, "candidates", c - 1))[0] if src else 0
                    parts.append(f"candidate {c}" + (f" (line {line})" if line else "")
                                 + f": {', '.join(scenarios)}")
                detail = "; ".join(parts)
                fell_back = {s for c, ss in by_cand.items() if c > 1 for s in ss}
                if not fell_back:
                    flag = "ok"
                elif fell_back <= expected.get((pname, name), set()):
                    flag = "expected"
                else:
                    flag = "FALLBACK"
                    new = sorted(fell_back - expected.get((pname, name), set()))
                    detail += f" — not expected by {', '.join(new)}"
            elif name in exercised:
                flag, detail = "ok", "resolved as a scope"
            else:
                flag, detail = "UNUSED", "no scenario exercises it"
            lines.append(f"  {flag:8} {name} (line {platform.selector_line(name)}): {detail}")
    return "\n".join(lines)


def _source(path: Path) -> Source | None:
    try:
        return load_yaml(path)
    except DefinitionError:  # the table still prints, without candidate lines
        return None


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
