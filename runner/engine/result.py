"""What a run returns: its outcome, proofs and the ordered step log."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


class Status(str, Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    NEEDS_LOGIN = "NEEDS_LOGIN"
    CANCELLED = "CANCELLED"


PROOF_KINDS = ("before_confirm", "after_publish", "on_failure")


@dataclass(frozen=True)
class Proof:
    kind: str
    path: Path
    sha256: str
    size: int
    width: int
    height: int
    content_type: str


@dataclass
class StepRecord:
    """One step as it ran: the step log the server and people read."""

    seq: int
    phase: str
    step: str
    status: str  # ok | skipped | failed | warning
    started_at: float
    duration_ms: float
    message: str = ""
    selector: str | None = None
    candidate: int | None = None  # 1-based index of the candidate that won
    level: str = "info"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Lookup:
    """How one selector resolved the first time the run needed it: the health report."""

    selector: str
    candidate: int  # 1-based index of the candidate that won
    candidates: int  # how many the selector file gives
    count: int  # elements it matched
    elapsed_ms: float  # from the first look to the win (waiting included)
    phase: str

    @property
    def fallback(self) -> bool:
        return self.candidate > 1

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fallback": self.fallback}


@dataclass
class RunResult:
    status: Status
    error_code: str | None = None
    error_message: str | None = None
    post_url: str | None = None
    proofs: list[Proof] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    # selector name → 1-based candidate index that won, for the health report
    resolutions: dict[str, int] = field(default_factory=dict)
    failure_html: Path | None = None
    trace: Path | None = None
    reached_publish: bool = False
    failed_selector: str | None = None
    failed_selector_line: int | None = None
    failed_phase: str | None = None
    failed_tried: list[str] = field(default_factory=list)  # the candidates' outcomes
    # selector name → its first resolution in the run, in the order they happened
    lookups: dict[str, Lookup] = field(default_factory=dict)
    canary: bool = False  # run in canary mode: stopped after confirm, publish refused
    duration_s: float = 0.0
    phase_durations: dict[str, float] = field(default_factory=dict)

    def proof(self, kind: str) -> Proof | None:
        return next((p for p in self.proofs if p.kind == kind), None)


@dataclass
class RecentCheck:
    """Outcome of the recent-posts check: found True/False, or None when it cannot tell."""

    found: bool | None
    post_url: str | None = None
    proof: Proof | None = None
    message: str = ""
    steps: list[StepRecord] = field(default_factory=list)
