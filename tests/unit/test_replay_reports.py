"""Replay's reports from results built by hand: the JUnit file against the schema Jenkins'
xUnit plugin uses (tests/data/junit-10.xsd), the JSON object, exit codes, the table and the
selector health report. The CLI producing them from a real run is in
tests/integration/test_replay_cli.py."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from lxml import etree

from runner.engine.definitions import load_platform, project_root
from runner.replay import load_scenarios
from runner.replay.replay import ReplayReport, ScenarioResult
from runner.replay.report import health, table, to_json, to_junit

XSD = Path(__file__).resolve().parents[1] / "data" / "junit-10.xsd"

SCENARIOS = """\
platform: sandbox
scenarios:
  good:
    post: {text: hi}
    pages: {"http://127.0.0.1:8765/**": compose.html}
    expect: {status: SUCCEEDED}
  bad:
    post: {text: hi}
    pages: {"http://127.0.0.1:8765/**": compose.html}
    expect: {status: SUCCEEDED, fallbacks: [composerTextarea]}
  broken:
    post: {text: hi}
    pages: {"http://127.0.0.1:8765/**": gone.html}
"""


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[ScenarioResult]:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "fixtures" / "sandbox"
    folder.mkdir(parents=True)
    (folder / "scenarios.yaml").write_text(SCENARIOS, encoding="utf-8")
    good, bad, broken = load_scenarios(folder / "scenarios.yaml")
    evidence = tmp_path / "replay-report" / "sandbox" / "bad"
    evidence.mkdir(parents=True)
    (evidence / "failure.html").write_text("<p>", encoding="utf-8")
    (evidence / "trace.zip").write_bytes(b"PK")
    return [
        ScenarioResult(good, True, "SUCCEEDED", None, [], ["after_publish"], 0.25,
                       started_at=1_764_620_000.0, resolutions={"composerTextarea": 1}),
        ScenarioResult(bad, False, "FAILED", "Composer textarea not found (selector …)",
                       ["postButton"], ["on_failure"], 1.5,
                       mismatches=["status: expected SUCCEEDED, got FAILED"],
                       started_at=1_764_620_001.0, failure_html=evidence / "failure.html",
                       trace=evidence / "trace.zip",
                       resolutions={"composerTextarea": 2, "postButton": 2}),
        ScenarioResult(broken, False, "ERROR", "fixture missing: gone.html", [], [], 0.0,
                       mismatches=["fixture missing: gone.html"], broken=True,
                       started_at=1_764_620_001.5),
    ]


def report_of(results: list[ScenarioResult]) -> ReplayReport:
    return ReplayReport(results, 2.0, 1_764_620_000.0, project_root())


def validate(xml: str) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    ok = schema.validate(etree.fromstring(xml.encode("utf-8")))
    return [] if ok else [str(e) for e in schema.error_log]


def test_junit_is_valid_against_jenkins_xunit_schema(results: list[ScenarioResult]) -> None:
    xml = to_junit(report_of(results))
    assert validate(xml) == []
    root = etree.fromstring(xml.encode("utf-8"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    (suite,) = root.findall("testsuite")
    assert suite.get("errors") == "1" and suite.get("failures") == "1"
    assert suite.get("file") == "fixtures/sandbox/scenarios.yaml"  # repository-relative
    assert suite.get("timestamp") == "2025-12-01T20:13:20"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert all(set(c.attrib) == {"classname", "name", "time"} for c in cases.values())
    failure = cases["bad"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("fixtures/sandbox/scenarios.yaml:7: status:")
    assert "Composer textarea not found" in failure.get("message", "")
    assert cases["broken"].find("error") is not None and cases["broken"].find("failure") is None
    out = cases["bad"].findtext("system-out") or ""
    assert "scenario: fixtures/sandbox/scenarios.yaml:7" in out
    assert "evidence: replay-report/sandbox/bad/trace.zip" in out


def test_the_schema_check_can_fail() -> None:
    """What replay wrote before: no `errors`, and file/line on testcase."""
    old = ('<testsuites><testsuite name="x" tests="1" failures="0">'
           '<testcase name="a" file="f.yaml" line="3"/></testsuite></testsuites>')
    problems = validate(old)
    assert any("errors" in p for p in problems) and any("file" in p for p in problems)


def test_json_is_an_object_with_a_summary(results: list[ScenarioResult]) -> None:
    doc = json.loads(to_json(report_of(results), fixtures="fixtures"))
    summary = doc["summary"]
    assert {k: summary[k] for k in ("total", "passed", "failed", "errors", "exit_code")} == {
        "total": 3, "passed": 1, "failed": 1, "errors": 1, "exit_code": 2}
    assert summary["definitions_root"] == str(project_root())
    assert summary["version"] and summary["duration"] == 2.0 and summary["fixtures"] == "fixtures"
    assert [s["outcome"] for s in doc["scenarios"]] == ["passed", "failed", "error"]
    assert doc["scenarios"][1]["evidence"] == ["replay-report/sandbox/bad/failure.html",
                                               "replay-report/sandbox/bad/trace.zip"]


@pytest.mark.parametrize(("keep", "code"), [((0,), 0), ((0, 1), 1), ((0, 1, 2), 2), ((), 2)])
def test_exit_codes(results: list[ScenarioResult], keep: tuple[int, ...], code: int) -> None:
    assert report_of([results[i] for i in keep]).exit_code == code


def test_table_says_the_failure_once_then_where_the_evidence_is(
        results: list[ScenarioResult]) -> None:
    text = table(report_of(results))
    assert text.count("Composer textarea not found") == 1
    assert ("FAILED sandbox/bad (fixtures/sandbox/scenarios.yaml:7): status: expected "
            "SUCCEEDED, got FAILED — Composer textarea not found") in text
    assert ("  evidence: replay-report/sandbox/bad/failure.html, "
            "replay-report/sandbox/bad/trace.zip") in text
    assert "npx playwright show-trace replay-report/sandbox/bad/trace.zip" in text
    assert "1 passed, 1 failed, 1 could not run" in text


def test_health_marks_expected_fallbacks_and_gives_candidate_lines(
        results: list[ScenarioResult]) -> None:
    root = project_root()
    platform = load_platform("sandbox", root)
    text = health(report_of(results), {"sandbox": platform}, root)
    lines = {line.split()[1]: line for line in text.splitlines()[1:]}
    source = (root / platform.selector_file).read_text(encoding="utf-8").splitlines()
    # composerTextarea fell back in `bad`, which expects it; postButton did not expect it.
    assert lines["composerTextarea"].lstrip().startswith("expected")
    assert lines["postButton"].lstrip().startswith("FALLBACK")
    assert "not expected by bad" in lines["postButton"]
    cand_line = int(lines["composerTextarea"].split("candidate 2 (line ")[1].split(")")[0])
    assert source[cand_line - 1].lstrip().startswith("- ")  # the candidate's own line
    assert cand_line > platform.selector_line("composerTextarea")
    assert "candidate 1 (line" in lines["composerTextarea"]


def test_scenario_paths_are_relative_to_the_working_folder(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    folder = tmp_path / "repo" / "ci" / "cases"
    folder.mkdir(parents=True)
    (folder / "scenarios.yaml").write_text(textwrap.dedent(SCENARIOS), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "repo")
    assert load_scenarios(folder / "scenarios.yaml")[0].file == "ci/cases/scenarios.yaml"
