"""`publish-runner replay` as CI runs it: exit status, annotations, JSON and JUnit output.

Each test copies the sandbox fixtures into a temporary folder and breaks one thing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from runner.engine.definitions import project_root

pytestmark = pytest.mark.browser

ROOT = project_root()


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runner", "--log-level", "ERROR", "replay",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.fixture
def fixtures(tmp_path: Path) -> Path:
    """A copy of the sandbox fixtures with only the English text-post scenarios, to edit."""
    target = tmp_path / "fixtures" / "sandbox"
    shutil.copytree(ROOT / "fixtures" / "sandbox", target)
    return target


def keep_only(folder: Path, *names: str) -> None:
    import yaml

    path = folder / "scenarios.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["scenarios"] = {k: v for k, v in doc["scenarios"].items() if k in names}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_green_run_writes_json_and_junit(fixtures: Path, tmp_path: Path) -> None:
    keep_only(fixtures, "publish-text-en", "redesign-broken-ar", "logged-out-en")
    junit = tmp_path / "junit.xml"
    proc = run("--fixtures", str(fixtures), "--json", "--junit", str(junit),
               "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(proc.stdout)
    assert {r["name"] for r in results} == {"publish-text-en", "redesign-broken-ar",
                                            "logged-out-en"}
    for r in results:
        assert r["passed"] is True and r["platform"] == "sandbox"
        assert {"expected_status", "actual_status", "error", "fallbacks", "duration"} <= set(r)
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "0"
    assert len(suite.findall(".//testcase")) == 3
    assert (tmp_path / "out" / "sandbox" / "publish-text-en" / "after_publish.webp").exists()
    assert (tmp_path / "out" / "sandbox" / "redesign-broken-ar" / "failure.html").exists()
    assert (tmp_path / "out" / "sandbox" / "redesign-broken-ar" / "trace.zip").exists()


def test_broken_selector_fails_with_annotation_on_its_line(fixtures: Path,
                                                          tmp_path: Path) -> None:
    keep_only(fixtures, "publish-text-en")
    # A selector file where the composer's candidates no longer match anything.
    project = tmp_path / "project"
    shutil.copytree(ROOT / "playbooks", project / "playbooks")
    shutil.copytree(ROOT / "selectors", project / "selectors")
    shutil.move(str(fixtures.parent), project / "fixtures")
    sel = project / "selectors" / "sandbox.yaml"
    sel.write_text(sel.read_text(encoding="utf-8").replace(
        "      - testid: composer-text\n", "      - testid: composer-textarea-v3\n").replace(
        "name: {en: Post text, ar: نص المنشور}", "name: {en: Post body, ar: متن المنشور}"),
        encoding="utf-8")
    line = next(i for i, text in enumerate(sel.read_text().splitlines(), 1)
                if text.startswith("  composerTextarea:"))
    junit = tmp_path / "junit.xml"
    proc = run("--root", str(project), "--annotations", "--junit", str(junit))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f"::error file=selectors/sandbox.yaml,line={line}::sandbox/publish-text-en: "
            "Composer textarea not found") in proc.stdout
    failure = ET.parse(junit).getroot().find(".//testcase/failure")
    assert failure is not None and "Composer textarea not found" in failure.get("message", "")


def test_wrong_expectation_fails_pointing_at_the_scenario(fixtures: Path) -> None:
    keep_only(fixtures, "publish-text-en")
    path = fixtures / "scenarios.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: SUCCEEDED",
                                                             "status: NEEDS_LOGIN"),
                    encoding="utf-8")
    proc = run("--fixtures", str(fixtures), "--annotations")
    assert proc.returncode == 1
    assert "::error file=" in proc.stdout and "scenarios.yaml,line=" in proc.stdout
    assert "status: expected NEEDS_LOGIN, got SUCCEEDED" in proc.stdout
    assert "0 passed, 1 failed" in proc.stdout


def test_missing_fixture_fails(fixtures: Path) -> None:
    keep_only(fixtures, "publish-text-en")
    (fixtures / "posted.html").unlink()
    proc = run("--fixtures", str(fixtures), "--annotations")
    assert proc.returncode == 1
    assert "fixture missing: posted.html" in proc.stdout
    assert "::error file=" in proc.stdout


def test_report_lists_selector_health(fixtures: Path) -> None:
    keep_only(fixtures, "publish-text-en", "redesign-fallback-en")
    proc = run("--fixtures", str(fixtures.parent), "--report")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FALLBACK composerTextarea" in proc.stdout
    assert "candidate 2: redesign-fallback-en" in proc.stdout
    assert "UNUSED   cookieBanner" in proc.stdout


def test_no_scenarios_is_an_error(tmp_path: Path) -> None:
    proc = run("--fixtures", str(tmp_path))
    assert proc.returncode != 0
    assert "no scenarios.yaml" in proc.stderr
