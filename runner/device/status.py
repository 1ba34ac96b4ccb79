"""The live terminal status line: the server's reachability, waiting, claimed job,
platform, phase, last result."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import TextIO

from common.logs import after_each_terminal_line


class StatusLine:
    """Redrawn in place on a terminal; silent when stderr is not one (logs say it all)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.fields = {"state": "starting", "platform": "", "phase": "", "last": ""}
        self.unreachable_since: datetime | None = None
        self._dirty = True

    def update(self, **fields: str) -> None:
        self.fields.update(fields)
        self._dirty = True

    def server_unreachable(self, since: datetime | None) -> None:
        """Since when the server has not answered (None: it answers again)."""
        self.unreachable_since = since
        self._dirty = True

    def render(self) -> str:
        f = self.fields
        parts = []
        if self.unreachable_since is not None:
            # First: while the server is away, nothing else on the line moves.
            parts.append(f"server unreachable since "
                         f"{self.unreachable_since.strftime('%H:%M:%S')}, retrying")
        parts.append(f["state"])
        if f["platform"] and f["state"].startswith("job"):
            parts.append(f["platform"])
        if f["phase"]:
            parts.append(f"phase {f['phase']}")
        if f["last"]:
            parts.append(f"last: {f['last']}")
        return " · ".join(parts)

    def _redraw(self) -> None:
        self._dirty = True

    async def run(self, stop: asyncio.Event) -> None:
        if not self.enabled:
            return
        forget = after_each_terminal_line(self._redraw)  # a log line clears it: draw again
        try:
            while not stop.is_set():
                if self._dirty:
                    self._dirty = False
                    self.stream.write("\r\x1b[2K" + self.render()[:200])
                    self.stream.flush()
                await asyncio.sleep(0.25)
        finally:
            forget()
        self.stream.write("\r\x1b[2K")
        self.stream.flush()
