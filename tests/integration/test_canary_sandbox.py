"""Canaries against the live sandbox in real Chromium: healthy publishes nothing, the
redesign faults read degraded and broken, and the broken one's suggestions, pasted into a
copy of the selector file, make the canary pass again."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from runner.canary import canary_on_page
from runner.engine import load_platform
from runner.engine.definitions import project_root
from sandbox import REDESIGN_BROKEN, REDESIGN_FALLBACK

pytestmark = pytest.mark.browser


async def _canary(open_page: Any, sandbox: Any, root: Path | None = None,
                  account: str = "main", **kwargs: Any) -> Any:
    plat = load_platform("sandbox", root)
    return await canary_on_page(await open_page(account), plat, account=account,
                                base_url=sandbox.url, root=root or project_root(), **kwargs)


@pytest.mark.asyncio
async def test_healthy_account_reports_healthy_and_publishes_nothing(
        open_page: Any, sandbox: Any, tmp_path: Path) -> None:
    before = len(sandbox.state.posts())
    report = await _canary(open_page, sandbox, capture_dir=tmp_path / "captured")
    assert report.verdict == "healthy", report.message
    assert len(sandbox.state.posts()) == before
    assert report.posted is False and report.discarded is True
    by_name = {f.selector: f for f in report.findings}
    for name in ("composer", "composerTextarea", "postButton", "mediaInput"):
        finding = by_name[name]
        assert finding.status == "ok" and finding.candidate == 1, finding
        assert finding.where.startswith("selectors/sandbox.yaml:")
        assert finding.elapsed_ms is not None and finding.elapsed_ms >= 0
    assert by_name["mediaReady"].count == 1  # the canary image went up (and was not posted)
    # Every page reached is a sanitised fixture, named by a scenarios.yaml entry.
    captured = sorted(Path(p).name for p in report.captured)
    assert "canary-open.html" in captured and "canary-confirm.html" in captured
    text = (tmp_path / "captured" / "scenarios.yaml").read_text(encoding="utf-8")
    assert "canary-open.html" in text and "platform: sandbox" in text
    page = (tmp_path / "captured" / "canary-confirm.html").read_text(encoding="utf-8")
    # Sanitised as fixture capture does it: its header, the playbook's base URL (no port).
    assert "publish-runner fixture: platform=sandbox state=canary-confirm" in page
    assert "source=http://127.0.0.1:8765/compose" in page
    assert report.as_dict()["verdict"] == "healthy"


@pytest.mark.asyncio
async def test_redesign_fallback_reports_degraded(open_page: Any, sandbox: Any) -> None:
    sandbox.state.set_faults("main", REDESIGN_FALLBACK)
    report = await _canary(open_page, sandbox)
    assert report.verdict == "degraded", report.message
    fallbacks = {f.selector for f in report.findings if f.status == "fallback"}
    assert {"composer", "composerTextarea", "postButton"} <= fallbacks
    assert sandbox.state.posts() == []


def _paste(selector_file: Path, name: str, yaml_item: str) -> None:
    """Insert a suggested candidate first under `name`'s `candidates:` line."""
    lines = selector_file.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {name}:"))
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == "candidates:")
    lines.insert(at + 1, f"      {yaml_item}\n")
    selector_file.write_text("".join(lines), encoding="utf-8")


@pytest.mark.asyncio
async def test_redesign_broken_reports_the_selector_and_a_fix_that_works(
        open_page: Any, sandbox: Any, tmp_path: Path) -> None:
    sandbox.state.set_faults("main", REDESIGN_BROKEN)
    root = tmp_path / "defs"
    for part in ("playbooks", "selectors", "fixtures/sandbox"):
        shutil.copytree(project_root() / part, root / part)
    # Each broken canary waits out the selector's timeout before it reports; the sandbox
    # answers in milliseconds, so the copy waits 3 s, not the playbook's 10 s.
    playbook = root / "playbooks" / "sandbox.yaml"
    shipped = playbook.read_text(encoding="utf-8")
    assert "default_timeout: 10s" in shipped
    playbook.write_text(shipped.replace("default_timeout: 10s", "default_timeout: 3s"),
                        encoding="utf-8")
    selector_file = root / "selectors" / "sandbox.yaml"
    # Text only: the broken design's file input appears only after its attach button is
    # clicked, which a selector cannot express (a playbook change; see the end of the test).
    report = await _canary(open_page, sandbox, root, image=False)
    assert report.verdict == "broken"
    assert report.broken_selector == "composerTextarea" and report.broken_phase == "open"
    line = next(i for i, text in enumerate(selector_file.read_text().splitlines(), start=1)
                if text.startswith("  composerTextarea:"))
    assert report.broken_where == f"selectors/sandbox.yaml:{line}"
    assert report.root_cause == "composer"  # its scope is what broke first
    assert report.suggestions, "no suggestion for the broken composer"
    assert sandbox.state.posts() == []
    fixed: list[str] = []
    for _ in range(5):  # each pasted top suggestion lets the canary get one selector further
        if report.verdict != "broken":
            break
        assert report.suggestions, f"no suggestion for {report.root_cause}: {report.message}"
        assert report.root_cause is not None
        _paste(selector_file, report.root_cause, report.suggestions[0].yaml)
        fixed.append(report.root_cause)
        report = await _canary(open_page, sandbox, root, image=False)
    assert report.verdict in ("healthy", "degraded"), (fixed, report.message)
    assert {"composer", "composerTextarea", "postButton"} <= set(fixed)
    assert sandbox.state.posts() == []
    # With the image, the file input is what stays broken, and no element is offered in
    # its place (nothing but a file input takes files).
    report = await _canary(open_page, sandbox, root)
    assert report.verdict == "broken" and report.broken_selector == "mediaInput"
    assert report.broken_phase == "attach" and report.suggestions == []
    assert sandbox.state.posts() == []
