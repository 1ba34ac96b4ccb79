"""Fixture capture: live page → DOM snapshot → sanitised HTML under `fixtures/<platform>/`.

- `snapshot_dom(page)`: the DOM after scripts ran (form state, inlined CSS, shadow DOM)
- `sanitize(html, ...)`: scripts, tokens and personal data out; UI labels kept
- `scan(text)`: what still looks like a secret or personal data (the fixtures guard)
- `capture(...)` / `import_fixture(...)`: the flows behind `publish-runner capture` and
  `publish-runner fixture import`
"""

from runner.capture.capture import capture, capture_page, fixture_path, import_fixture
from runner.capture.sanitize import clean_url, sanitize, scramble
from runner.capture.scan import Finding, scan, scan_file, scan_tree
from runner.capture.snapshot import snapshot_dom

__all__ = [
    "Finding",
    "capture",
    "capture_page",
    "clean_url",
    "fixture_path",
    "import_fixture",
    "sanitize",
    "scan",
    "scan_file",
    "scan_tree",
    "scramble",
    "snapshot_dom",
]
