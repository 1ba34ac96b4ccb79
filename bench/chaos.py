"""The chaos suite's long form: kill -9 at every window, many times, and count what broke.

Real processes on loopback (the sandbox, `publish-runner serve`, `publish-runner run` with a
real Chromium), driven by tests/chaos/harness.py: daemon kills round-robin over the windows
(after claim, mid-compose, inside a media upload that the sandbox holds back, after confirm
while the proof uploads, right after the click, after verify), a server kill every sixth
round, then outages shorter and longer than the run timeout and the same text published
twice with a rejection between. Ground truth is the sandbox's post list (and, for the
upload window, the one image on the post). All figures but `kills`, `jobs`,
`max_resolve_s` and `windows` (daemon kills per window) must be 0.

    .venv/bin/python bench/chaos.py --kills 100 --json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import emit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100, help="kills before the extras")
    parser.add_argument("--json", action="store_true", help="the figures as JSON, last line")
    args = parser.parse_args()
    from sandbox import SandboxServer
    from tests.chaos.harness import Chaos, run_rounds

    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp, SandboxServer() as site:
        chaos = Chaos(Path(tmp), site)
        try:
            run_rounds(chaos, args.kills, log=lambda line: print(line, file=sys.stderr))
            chaos.outage(3)   # shorter than runTimeout (6 s)
            chaos.outage(15)  # longer
            chaos.same_text_twice()
        finally:
            chaos.close()
        emit(chaos.tally.figures(), args.json)
    bad = chaos.tally
    return 1 if (bad.double_posts or bad.lost_posts or bad.lost_proofs or bad.lost_events
                 or bad.stuck_jobs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
