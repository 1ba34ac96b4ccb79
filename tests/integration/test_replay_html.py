"""`replay --html`: the report rendered in real Chromium. One self-contained file: per
scenario the outcome, the step log, the proof images (data URIs that decode) and a link to
the trace that resolves from the report's folder. The screenshot is kept in
`$PUBLISH_RUNNER_ARTIFACTS/replay` (default: the system temp folder's
publish-runner-artifacts), beside the dashboard tests' screenshots."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.engine.definitions import project_root
from runner.replay import Replayer, load_scenarios
from runner.replay.html_report import to_html

pytestmark = pytest.mark.browser

ROOT = project_root()


def artifacts() -> Path:
    """Where the report's screenshot is kept after the test."""
    folder = Path(os.environ.get("PUBLISH_RUNNER_ARTIFACTS")
                  or Path(tempfile.gettempdir()) / "publish-runner-artifacts") / "replay"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.asyncio
async def test_html_report_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    shutil.copytree(ROOT / "fixtures" / "sandbox", folder)
    path = folder / "scenarios.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["scenarios"] = {k: v for k, v in doc["scenarios"].items()
                        if k in ("publish-text-en", "redesign-broken-en")}
    doc["scenarios"]["redesign-broken-en"]["expect"]["status"] = "SUCCEEDED"  # make it fail
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    report_dir = tmp_path / "replay-report"
    report = await Replayer(browser, out_dir=report_dir, trace=True).run(
        load_scenarios(path))
    assert [r.outcome for r in report.results] == ["passed", "failed"]
    html_file = report_dir / "index.html"
    html_file.write_text(to_html(report, html_file), encoding="utf-8")

    shot = artifacts() / "replay-report.png"
    shot.unlink(missing_ok=True)

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = await context.new_page()
    await page.goto(html_file.as_uri())
    await page.locator("details").first.wait_for()
    facts = await page.evaluate("""() => ({
      badges: [...document.querySelectorAll('summary .badge')].map(b => b.textContent),
      ids: [...document.querySelectorAll('summary b')].map(b => b.textContent),
      open: [...document.querySelectorAll('details')].map(d => d.open),
      rows: [...document.querySelectorAll('details')].map(
        d => d.querySelectorAll('tr').length - 1),
      images: [...document.querySelectorAll('figure img')].map(
        i => [i.alt, i.naturalWidth, i.src.slice(0, 15)]),
      trace: [...document.querySelectorAll('a')].filter(
        a => a.textContent === 'trace').map(a => a.getAttribute('href')),
      message: document.querySelector('.message')?.textContent || '',
    })""")
    for d in await page.locator("details").all():  # open all, for the screenshot
        await d.evaluate("d => d.open = true")
    await page.screenshot(path=str(shot), full_page=True)
    await context.close()
    facts["requests"] = requests
    assert facts["requests"] == [html_file.as_uri()]  # self-contained: nothing else loaded
    assert facts["badges"] == ["failed", "passed"]  # failures first
    assert facts["ids"] == ["sandbox/redesign-broken-en", "sandbox/publish-text-en"]
    assert facts["open"] == [True, False]
    failed, passed = report.results[1], report.results[0]
    assert facts["rows"] == [len(failed.steps), len(passed.steps)] and all(facts["rows"])
    assert "status: expected SUCCEEDED, got FAILED" in facts["message"]
    kinds = [alt for alt, width, _ in facts["images"]]
    assert "on_failure" in kinds and "after_publish" in kinds
    assert all(width > 0 and src.startswith("data:image/") for _, width, src in facts["images"])
    (trace,) = facts["trace"]
    assert (html_file.parent / trace).resolve() == failed.trace
    assert shot.stat().st_size > 10_000


def test_replay_html_links_only_evidence_that_stays(tmp_path: Path) -> None:
    """`replay --html` with the default `--keep failed`: the passed scenario's folder is
    removed after the report is written, so the page links no file of it."""
    import re
    import subprocess
    import sys

    folder = tmp_path / "cases"
    shutil.copytree(ROOT / "fixtures" / "sandbox", folder)
    path = folder / "scenarios.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["scenarios"] = {k: v for k, v in doc["scenarios"].items() if k == "redesign-broken-en"}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "runner", "replay", "--fixtures", str(folder),
                           "--html", "replay-report/index.html"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (tmp_path / "replay-report" / "index.html").read_text(encoding="utf-8")
    assert "data:image/" in page  # its on_failure proof, inline
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert all((tmp_path / "replay-report" / h).exists() for h in hrefs), hrefs
    assert not (tmp_path / "replay-report" / "sandbox" / "redesign-broken-en").exists()
