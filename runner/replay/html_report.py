"""`replay --html FILE`: one self-contained page, as Playwright's HTML reporter gives.

Per scenario: its outcome, what went wrong, the step log, the proof images (inline as data
URIs, so the file can be mailed or uploaded as one artifact) and links to its trace and
failure HTML (relative to the report, so they work inside a downloaded artifact folder).
"""

from __future__ import annotations

import base64
import mimetypes
import os
from collections.abc import Callable
from html import escape
from pathlib import Path

from runner.replay.replay import ReplayReport, ScenarioResult
from runner.replay.report import headline

__all__ = ["to_html"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1c1e21}
header{padding:16px 24px;background:#fff;border-bottom:1px solid #dde}
h1{font-size:20px;margin:0 0 6px} .counts span{margin-right:14px}
main{padding:16px 24px}
details{background:#fff;border:1px solid #dde;border-radius:6px;margin:0 0 10px}
summary{cursor:pointer;padding:10px 14px;display:flex;gap:12px;align-items:baseline}
.badge{font-weight:600;border-radius:4px;padding:1px 8px;font-size:12px}
.passed{background:#e3f6e8;color:#14632d}.failed{background:#fde8e8;color:#9b1c1c}
.error{background:#fff1d6;color:#7a4b00}
.where{color:#667;font-size:12px;margin-left:auto}
.body{padding:0 14px 14px}.message{white-space:pre-wrap;background:#fff7f7;padding:8px;
border-left:3px solid #d33}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}
td,th{border-bottom:1px solid #eef;padding:3px 6px;text-align:start;vertical-align:top}
tr.failed td{background:#fff4f4} tr.warning td{background:#fffbe8}
figure{display:inline-block;margin:6px 12px 6px 0}
figure img{max-width:420px;border:1px solid #ccd;display:block}
figcaption{font-size:12px;color:#556}
"""


def to_html(report: ReplayReport, html_file: Path,
            linked: Callable[[ScenarioResult], bool] | None = None) -> str:
    """The report page; links are relative to where `html_file` will be written, and only
    for scenarios whose files stay (`linked`; default all: proofs are inlined either way)."""
    s = report.summary()
    counts = (f'<span class="badge passed">{s["passed"]} passed</span>'
              f'<span class="badge failed">{s["failed"]} failed</span>'
              + (f'<span class="badge error">{s["errors"]} could not run</span>'
                 if s["errors"] else ""))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>publish-runner replay report</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>publish-runner replay</h1>",
        f'<div class="counts">{counts}<span>{s["total"]} scenarios in {s["duration"]:.2f}s'
        f'</span><span>started {escape(s["started_at"])} UTC</span>'
        f'<span>version {escape(str(s["version"]))}</span>'
        f'<span>definitions {escape(str(s["definitions_root"]))}</span></div></header><main>',
    ]
    # Failures first: that is what the reader came for.
    ordered = sorted(report.results, key=lambda r: (r.passed, r.scenario.id))
    parts += [_scenario(r, html_file.parent, linked is None or linked(r)) for r in ordered]
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _scenario(r: ScenarioResult, base: Path, link: bool) -> str:
    sc = r.scenario
    out = [f'<details id="{escape(sc.id)}"{" open" if not r.passed else ""}>',
           f'<summary><span class="badge {r.outcome}">{r.outcome}</span>'
           f"<b>{escape(sc.id)}</b><span>{escape(sc.spec.expect.status or '-')} → "
           f"{escape(r.actual_status)}</span><span>{r.duration_s:.2f}s</span>"
           f'<span class="where">{escape(sc.file)}:{sc.line}</span></summary>',
           '<div class="body">']
    if sc.spec.description:
        out.append(f"<p>{escape(sc.spec.description)}</p>")
    if not r.passed:
        out.append(f'<div class="message">{escape(headline(r))}</div>')
    if r.fallbacks:
        out.append(f"<p>fallbacks used: {escape(', '.join(r.fallbacks))}</p>")
    links = []
    if link and r.trace is not None and r.trace.exists():
        links.append(f'<a href="{escape(_rel(r.trace, base))}">trace</a> (open with '
                     f"<code>npx playwright show-trace {escape(_rel(r.trace, base))}</code> "
                     "or at trace.playwright.dev)")
    if link and r.failure_html is not None and r.failure_html.exists():
        links.append(f'<a href="{escape(_rel(r.failure_html, base))}">failure HTML</a>')
    if links:
        out.append("<p>" + " · ".join(links) + "</p>")
    if r.steps:
        out.append("<table><tr><th>#</th><th>phase</th><th>step</th><th>status</th>"
                   "<th>ms</th><th>detail</th></tr>")
        for step in r.steps:
            out.append(f'<tr class="{escape(step.status)}"><td>{step.seq}</td>'
                       f"<td>{escape(step.phase)}</td><td>{escape(step.step)}</td>"
                       f"<td>{escape(step.status)}</td><td>{step.duration_ms:g}</td>"
                       f"<td>{escape(step.message)}</td></tr>")
        out.append("</table>")
    for kind, path in r.proof_files.items():
        if path.exists():
            out.append(f'<figure><img alt="{escape(kind)}" src="{_data_uri(path)}">'
                       f"<figcaption>{escape(kind)}</figcaption></figure>")
    out.append("</div></details>")
    return "\n".join(out)


def _data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _rel(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
