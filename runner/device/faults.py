"""Fault injection for tests only: pauses that widen the windows where a crash hurts most.

Not a setting and not documented for users. It is read only when the environment variable
`PUBLISH_RUNNER_TEST_FAULTS` names a JSON file such as

    {"pause": {"after_claim": 30, "after_phase.publish": 60}}

Points: `after_claim` (claimed, not yet started), `after_phase.<phase>` (a phase's steps all
ran; `after_phase.publish` is right after the click), `after_step.<phase>.<kind>` (one step
of that kind ran: `after_step.attach.upload` is inside a media upload, the file handed to
the platform's file input and not yet shown attached). The end-to-end and chaos tests kill
the daemon inside these pauses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import ConfigError

__all__ = ["ENV", "Faults"]

log = logging.getLogger(__name__)

ENV = "PUBLISH_RUNNER_TEST_FAULTS"


@dataclass(frozen=True)
class Faults:
    """Seconds to pause at named points; empty in every real run."""

    pauses: Mapping[str, float] = field(default_factory=dict)
    path: Path | None = None  # read again at each point (`"reread": true` in the file)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Faults:
        path = (os.environ if environ is None else environ).get(ENV)
        if not path:
            return cls()
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            pauses = {str(k): float(v) for k, v in dict(data.get("pause", {})).items()}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{ENV}={path}: not a usable faults file: {exc}") from exc
        log.warning("test fault injection is on (%s): %s", path, pauses)
        return cls(pauses, Path(path) if data.get("reread") else None)

    def _now(self) -> Mapping[str, float]:
        """With `"reread": true` the file is read again at every point, so a chaos run can
        move the next pause while one daemon process keeps running."""
        if self.path is None:
            return self.pauses
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): float(v) for k, v in dict(data.get("pause", {})).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            return {}

    async def pause(self, point: str) -> None:
        seconds = self._now().get(point, 0.0)
        if seconds > 0:
            log.warning("test fault: pausing %.1fs at %s", seconds, point)
            await asyncio.sleep(seconds)
