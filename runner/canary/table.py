"""A canary report for people: a table of the selectors, the verdict, the suggestions.

With `rich` installed the table is drawn with it; without, the same columns in plain text,
so a bare install prints the same facts.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.canary.report import CanaryReport

__all__ = ["COLUMNS", "render", "rows"]

COLUMNS = ("selector", "phase", "status", "candidate", "elements", "ms", "where")


def rows(report: CanaryReport) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for f in report.findings:
        cand = f"{f.candidate}/{f.candidates}" if f.candidate else f"-/{f.candidates}"
        out.append((f.selector, f.phase, f.status, cand,
                    "" if f.count is None else str(f.count),
                    "" if f.elapsed_ms is None else f"{f.elapsed_ms:.0f}", f.where))
    return out


def _tail(report: CanaryReport) -> list[str]:
    lines = [f"verdict: {report.verdict} — {report.message}"]
    if report.broken_selector:
        lines.append(f"broken: {report.broken_selector} ({report.broken_where}) in phase "
                     f"{report.broken_phase}")
        if report.root_cause and report.root_cause != report.broken_selector:
            lines.append(f"  its scope {report.root_cause} does not resolve: fix that first")
    if report.suggestions:
        target = report.root_cause or report.broken_selector
        lines.append(f"near matches for {target} (paste under its candidates:, then replay; "
                     "never used automatically):")
        for s in report.suggestions:
            lines.append(f"  {s.rank}. {s.yaml}   # {s.element.label()}, score {s.score:.1f}: "
                         f"{', '.join(s.reasons)}")
    elif report.broken_selector:
        lines.append("no near match found on the page")
    lines.append(f"posted: {'YES' if report.posted else 'no' if report.posted is False else '?'}"
                 f", discarded: {report.discarded}, {report.duration_s:.1f}s")
    if report.scenarios_file:
        lines.append(f"captured {len(report.captured)} page(s); scenarios: "
                     f"{report.scenarios_file}")
    return lines


def render(report: CanaryReport, *, use_rich: bool | None = None) -> str:
    """The report as text (rich's table when available and not refused)."""
    head = f"canary {report.platform} @{report.account}"
    body = rows(report)
    if use_rich is not False:
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pass
        else:
            table = Table(title=head)
            for col in COLUMNS:
                table.add_column(col)
            for row in body:
                table.add_row(*row)
            console = Console(width=140, record=True, file=io.StringIO())
            console.print(table)
            return console.export_text() + "\n".join(_tail(report))
    widths = [max(len(c), *(len(r[i]) for r in body)) if body else len(c)
              for i, c in enumerate(COLUMNS)]
    lines = [head, "  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join([*lines, *_tail(report)])

