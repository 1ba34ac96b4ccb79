"""A canary's answer: per selector it touched, how it resolved; and one verdict.

Verdicts, worst last:

- `healthy`: every selector resolved through its first candidate, the draft was discarded
  and the recent posts show nothing new;
- `degraded`: it went through, but some selectors only through a fallback (fix them before
  the fallback breaks too);
- `inconclusive`: the account is logged out or challenged: nothing is known about the
  selectors (not a selector problem, so it is not `broken`);
- `broken`: a step failed (the selector, its file:line and the phase are named), the draft
  could not be discarded, or the canary's text was found among the recent posts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runner.engine.diagnose import Suggestion

if TYPE_CHECKING:
    from runner.engine.definitions import Platform
    from runner.engine.engine import CanaryOutcome
    from runner.engine.result import Proof

HEALTHY, DEGRADED, INCONCLUSIVE, BROKEN = "healthy", "degraded", "inconclusive", "broken"
VERDICTS = (HEALTHY, DEGRADED, INCONCLUSIVE, BROKEN)

__all__ = ["BROKEN", "DEGRADED", "HEALTHY", "INCONCLUSIVE", "VERDICTS", "CanaryReport",
           "Finding", "build_report"]


@dataclass
class Finding:
    """One selector the canary touched."""

    selector: str
    where: str  # selectors/<platform>.yaml:LINE
    phase: str
    status: str  # ok | fallback | broken
    candidate: int | None = None  # 1-based winner; None when none resolved
    candidates: int = 0
    count: int | None = None
    elapsed_ms: float | None = None
    tried: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"selector": self.selector, "where": self.where, "phase": self.phase,
                "status": self.status, "candidate": self.candidate,
                "candidates": self.candidates, "count": self.count,
                "fallback": self.status == "fallback", "elapsedMs": self.elapsed_ms,
                "tried": self.tried}


@dataclass
class CanaryReport:
    platform: str
    account: str
    verdict: str
    message: str
    findings: list[Finding]
    posted: bool | None  # True: the canary's text was found (it must never be)
    discarded: bool | None
    broken_selector: str | None = None
    broken_where: str | None = None
    broken_phase: str | None = None
    root_cause: str | None = None  # the outermost broken selector of its scope chain
    suggestions: list[Suggestion] = field(default_factory=list)
    duration_s: float = 0.0
    captured: list[str] = field(default_factory=list)
    scenarios_file: str | None = None
    text: str = ""
    proofs: list[Proof] = field(default_factory=list)  # the run's screenshots (on disk)

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 degraded, 3 inconclusive, 4 broken (scripts branch on it)."""
        return {HEALTHY: 0, DEGRADED: 1, INCONCLUSIVE: 3}.get(self.verdict, 4)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform, "account": self.account, "verdict": self.verdict,
            "message": self.message, "posted": self.posted, "discarded": self.discarded,
            "broken": None if self.broken_selector is None else {
                "selector": self.broken_selector, "where": self.broken_where,
                "phase": self.broken_phase, "rootCause": self.root_cause},
            "selectors": [f.as_dict() for f in self.findings],
            "suggestions": [s.as_dict() for s in self.suggestions],
            "durationS": round(self.duration_s, 3),
            "captured": self.captured, "scenariosFile": self.scenarios_file,
        }


def _where(platform: Platform, name: str) -> str:
    return f"{platform.selector_file}:{platform.selector_line(name)}"


def build_report(platform: Platform, account: str, outcome: CanaryOutcome, *,
                 root_cause: str | None = None,
                 suggestions: list[Suggestion] | None = None) -> CanaryReport:
    result = outcome.result
    findings = []
    for name, lookup in result.lookups.items():
        findings.append(Finding(
            selector=name, where=_where(platform, name), phase=lookup.phase,
            status="fallback" if lookup.fallback else "ok", candidate=lookup.candidate,
            candidates=lookup.candidates, count=lookup.count, elapsed_ms=lookup.elapsed_ms))
    broken = result.failed_selector
    if broken is not None and broken in platform.selectors.selectors:
        findings.append(Finding(
            selector=broken, where=_where(platform, broken),
            phase=result.failed_phase or "", status="broken",
            candidates=len(platform.selectors.selectors[broken].candidates),
            tried=list(result.failed_tried)))
    posted = outcome.recent.found
    discarded = outcome.discard.found
    status = result.status.value
    verdict, message = HEALTHY, "every selector resolved through its first candidate"
    if status == "NEEDS_LOGIN" or result.error_code == "CHALLENGE":
        verdict, message = INCONCLUSIVE, result.error_message or status
    elif status != "SUCCEEDED":
        verdict = BROKEN
        message = result.error_message or status
    elif posted:
        verdict, message = BROKEN, "the canary's text was found among the recent posts"
    elif discarded is False:
        verdict, message = BROKEN, outcome.discard.message
    elif any(f.status == "fallback" for f in findings):
        names = ", ".join(f.selector for f in findings if f.status == "fallback")
        verdict, message = DEGRADED, f"resolved only through a fallback: {names}"
    if posted and verdict != BROKEN:  # never hidden behind a login wall or anything else
        verdict, message = BROKEN, "the canary's text was found among the recent posts"
    return CanaryReport(
        platform=platform.name, account=account, verdict=verdict, message=message,
        findings=findings, posted=posted, discarded=discarded,
        broken_selector=broken,
        broken_where=_where(platform, broken) if broken else None,
        broken_phase=result.failed_phase if broken else None,
        root_cause=root_cause, suggestions=list(suggestions or []),
        duration_s=result.duration_s, proofs=list(result.proofs))
