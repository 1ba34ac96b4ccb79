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
from typing import Any

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


XSD = Path(__file__).resolve().parents[1] / "data" / "junit-10.xsd"


def valid_junit(path: Path) -> ET.Element:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.parse(str(path))), schema.error_log
    return ET.parse(path).getroot()


def test_green_run_writes_json_and_junit(fixtures: Path, tmp_path: Path) -> None:
    keep_only(fixtures, "publish-text-en", "redesign-broken-ar", "logged-out-en")
    junit = tmp_path / "junit.xml"
    proc = run("--fixtures", str(fixtures), "--json", "--junit", str(junit),
               "--out", str(tmp_path / "out"), "--keep", "all")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert {k: doc["summary"][k] for k in ("total", "passed", "failed", "errors")} == {
        "total": 3, "passed": 3, "failed": 0, "errors": 0}
    assert doc["summary"]["definitions_root"] == str(ROOT.resolve())
    results = doc["scenarios"]
    assert {r["name"] for r in results} == {"publish-text-en", "redesign-broken-ar",
                                            "logged-out-en"}
    for r in results:
        assert r["passed"] is True and r["platform"] == "sandbox" and r["outcome"] == "passed"
        assert {"expected_status", "actual_status", "error", "fallbacks", "duration",
                "steps", "started_at"} <= set(r)
    suites = valid_junit(junit)
    assert (suites.get("tests"), suites.get("failures"), suites.get("errors")) == ("3", "0", "0")
    assert len(suites.findall(".//testcase")) == 3
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
    proc = run("--definitions", str(project), "--annotations", "--junit", str(junit), cwd=project)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (f"::error file=selectors/sandbox.yaml,line={line}::sandbox/publish-text-en: "
            "Composer textarea not found") in proc.stdout
    failure = valid_junit(junit).find(".//testcase/failure")
    assert failure is not None and "Composer textarea not found" in failure.get("message", "")
    assert failure.get("message", "").startswith("fixtures/sandbox/scenarios.yaml:")
    # said once in the table, then where the evidence is, kept by default for failures only
    table = proc.stdout.split("::warning", 1)[0].split("\n\n", 1)[-1]
    assert table.count("Composer textarea not found") == 1, proc.stdout
    evidence = project / "replay-report" / "sandbox" / "publish-text-en"
    assert "evidence: replay-report/sandbox/publish-text-en/failure.html, " in proc.stdout
    assert (evidence / "failure.html").exists() and (evidence / "trace.zip").exists()
    assert json.loads((project / "replay-report" / "last-failed.json").read_text()) == {
        "failed": ["sandbox/publish-text-en"]}


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


def test_missing_fixture_is_a_configuration_error(fixtures: Path) -> None:
    keep_only(fixtures, "publish-text-en")
    (fixtures / "posted.html").unlink()
    proc = run("--fixtures", str(fixtures), "--annotations")
    assert proc.returncode == 2
    assert "fixture missing: posted.html" in proc.stdout
    assert "::error file=" in proc.stdout


def test_report_marks_expected_fallbacks(fixtures: Path) -> None:
    keep_only(fixtures, "publish-text-en", "redesign-fallback-en")
    proc = run("--fixtures", str(fixtures.parent), "--report")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    health = proc.stdout.split("selector health", 1)[1]
    line = next(x for x in health.splitlines() if " composerTextarea " in x)
    assert line.split()[0] == "expected", line  # redesign-fallback-en expects it
    assert "candidate 2 (line " in line and ": redesign-fallback-en" in line
    assert "UNUSED   cookieBanner" in proc.stdout


def test_arbitrary_folder_name_k_and_last_failed(fixtures: Path, tmp_path: Path) -> None:
    """--fixtures names a folder called anything; -k picks scenarios; --last-failed reruns
    only what failed."""
    keep_only(fixtures, "publish-text-en", "logged-out-en", "logged-out-ar")
    cases = tmp_path / "my-cases"
    fixtures.rename(cases)
    path = cases / "scenarios.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "status: NEEDS_LOGIN", "status: SUCCEEDED", 1), encoding="utf-8")
    out = tmp_path / "report"
    first = run("sandbox", "--fixtures", str(cases), "-k", "logged-out", "--out", str(out),
                "--keep", "none")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "publish-text-en" not in first.stdout
    assert "1 passed, 1 failed" in first.stdout
    failed = json.loads((out / "last-failed.json").read_text())["failed"]
    assert len(failed) == 1 and failed[0].startswith("sandbox/logged-out-")
    again = run("--fixtures", str(cases), "--last-failed", "--out", str(out), "--json")
    doc = json.loads(again.stdout)
    assert [s["id"] for s in doc["scenarios"]] == failed


@pytest.mark.parametrize(("args", "says"), [
    (("sandbx",), "no scenarios for platform 'sandbx'"),
    (("-k", "nothing-like-this"), "no scenario matches -k nothing-like-this"),
    (("--pause-on-failure",), "--pause-on-failure needs --headed"),
    (("--fixtures", "/nonexistent/fixtures"), "does not exist"),
])
def test_usage_errors_exit_2(args: tuple[str, ...], says: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert says in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2, proc.stderr


def test_unknown_platform_suggests() -> None:
    assert "(did you mean 'sandbox'?)" in run("sandbx").stderr


def test_no_scenarios_is_a_usage_error(tmp_path: Path) -> None:
    proc = run("--fixtures", str(tmp_path))
    assert proc.returncode == 2
    assert "no scenarios.yaml" in proc.stderr


def test_help_documents_exit_codes() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "0 every scenario ran as its file expects" in text
    assert "1 some scenario ran and did not match" in text
    assert "2 usage or configuration error" in text


@pytest.mark.asyncio
async def test_pause_on_failure_stops_on_the_failing_page(browser: Any,
                                                          fixtures: Path) -> None:
    """What `--headed --pause-on-failure` does, with the pause recorded instead of opening
    the inspector: called once, for the failing scenario, on its page as it failed."""
    from runner.replay import Replayer, load_scenarios

    keep_only(fixtures, "publish-text-en", "logged-out-en")
    path = fixtures / "scenarios.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: NEEDS_LOGIN",
                                                             "status: SUCCEEDED"),
                    encoding="utf-8")
    seen: list[tuple[str, str, int]] = []

    async def pause(page: Any, result: Any) -> None:
        seen.append((result.scenario.name, page.url,
                     await page.locator("form").count()))

    replayer = Replayer(browser, pause=pause, workers=4)
    assert replayer.workers == 1  # one page at a time while someone looks at it
    report = await replayer.run(load_scenarios(path))
    assert sorted(r.outcome for r in report.results) == ["failed", "passed"]
    ((name, url, forms),) = seen
    assert name == "logged-out-en" and "/login" in url and forms >= 1


@pytest.mark.asyncio
async def test_expected_failures_on_static_fixtures_do_not_wait_out_timeouts(
        browser: Any, fixtures: Path) -> None:
    """With scripts off a page cannot change, so a missing element is known at the first
    look: the failing step takes a small part of its timeout, however loaded the machine."""
    from runner.engine import load_platform
    from runner.replay import Replayer, load_scenarios

    keep_only(fixtures, "redesign-broken-en", "logged-out-en")
    report = await Replayer(browser).run(load_scenarios(fixtures / "scenarios.yaml"))
    assert report.passed, [r.mismatches for r in report.results]
    timeout_ms = load_platform("sandbox").playbook.header.default_timeout * 1000
    broken = next(r for r in report.results if r.scenario.name == "redesign-broken-en")
    (failed,) = [s for s in broken.steps if s.status == "failed"]
    assert failed.duration_ms < timeout_ms / 4, (failed.step, failed.duration_ms, timeout_ms)


def test_root_is_replaced_by_definitions_in_one_line() -> None:
    proc = run("--root", str(ROOT))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: --root is replaced by --definitions: write --definitions {ROOT} "
        "(see 'python -m runner replay --help')"]
