"""One browser seam: only runner/browser starts Playwright, and nobody imports Playwright's
private modules."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEAM = ROOT / "runner" / "browser" / "host.py"
SCANNED = ["runner", "bench", "common", "contract", "server", "tests", "fixtures"]
HERE = Path(__file__).resolve()


def _sources() -> list[Path]:
    """Every module of ours (tests and fixture builders too), but this file, which names
    what it looks for."""
    files = [p for d in SCANNED for p in (ROOT / d).rglob("*.py")]
    return [p for p in files if p.resolve() != HERE]


def test_only_the_seam_starts_playwright() -> None:
    starters = [p.relative_to(ROOT) for p in _sources()
                if p != SEAM and "async_playwright(" in p.read_text(encoding="utf-8")]
    assert starters == []
    assert "async_playwright()" in SEAM.read_text(encoding="utf-8")


def test_no_private_playwright_imports() -> None:
    private = [p.relative_to(ROOT) for p in _sources()
               if "playwright._impl" in p.read_text(encoding="utf-8")]
    assert private == []
