"""The server's decisions on a pushed set: what it reads from the archive, and when the
attached results let the set through (no HTTP, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.definitions_bundle import pack
from common.definitions_set import hash_root
from contract import models as s
from server import errors
from server.services.definitions import Inspected, gate, inspect, offer

SCENARIOS = "platform: x\nscenarios:\n  a: {post: {text: t}, pages: {}}\n  b: {}\n"


def make(root: Path, scenarios: str = SCENARIOS) -> Path:
    for folder in ("playbooks", "selectors", "fixtures/x"):
        (root / folder).mkdir(parents=True)
    (root / "playbooks" / "x.yaml").write_text("platform: x\nphases: {}\n")
    (root / "selectors" / "x.yaml").write_text("platform: x\nselectors: {}\n")
    (root / "fixtures" / "x" / "scenarios.yaml").write_text(scenarios)
    return root


def outcome(name: str, passed: bool = True, file: str = "fixtures/x/scenarios.yaml"
            ) -> s.ScenarioOutcome:
    return s.ScenarioOutcome(file=file, name=name, platform="x", passed=passed,
                             outcome="passed" if passed else "failed",
                             message="" if passed else "status FAILED, expected SUCCEEDED")


def report(digest: str, *scenarios: s.ScenarioOutcome, errors_: int = 0) -> s.DefinitionsReport:
    return s.DefinitionsReport(hash=digest, lint=s.LintSummary(errors=errors_),
                               scenarios=list(scenarios))


def test_inspect_reads_the_hash_and_every_scenario(tmp_path: Path) -> None:
    root = make(tmp_path / "set")
    found = inspect(pack(root))
    assert found.hash == hash_root(root) and found.files == 3
    assert found.scenarios == {("fixtures/x/scenarios.yaml", "a"),
                               ("fixtures/x/scenarios.yaml", "b")}


@pytest.mark.parametrize(("file", "text", "words"), [
    ("selectors/x.yaml", "selectors: [a,\n  b\n", "selectors/x.yaml:3: not valid YAML"),
    ("playbooks/x.yaml", "platform: x\n", "playbooks/x.yaml:1: expected a mapping with phases"),
    ("playbooks/x.yaml", "phases: [open]\n", "`phases` must be a mapping"),
    ("fixtures/x/scenarios.yaml", "platform: x\nscenarios: [a]\n",
     "`scenarios` must be a mapping"),
    ("selectors/x.yaml", "[" * 5000 + "]" * 5000, "selectors/x.yaml"),
])
def test_inspect_refuses_malformed_yaml_naming_the_file(tmp_path: Path, file: str, text: str,
                                                        words: str) -> None:
    root = make(tmp_path / "set")
    (root / file).write_text(text)
    with pytest.raises(errors.Invalid) as caught:
        inspect(pack(root))
    assert caught.value.code == "DEFINITIONS_INVALID" and words in caught.value.message


def test_a_covering_green_report_passes_the_gate() -> None:
    found = Inspected(hash="sha256:" + "a" * 64, files=3,
                      scenarios={("fixtures/x/scenarios.yaml", "a"),
                                 ("fixtures/x/scenarios.yaml", "b")},
                      platforms={("fixtures/x/scenarios.yaml", "a"): "x",
                                 ("fixtures/x/scenarios.yaml", "b"): "x"})
    assert gate(found, report(found.hash, outcome("a"), outcome("b"))) == []
    failing = gate(found, report(found.hash, outcome("a"), outcome("b", passed=False)))
    assert [r.code for r in failing] == ["REPLAY_FAILED"]
    assert "x/b (failed: status FAILED, expected SUCCEEDED)" in failing[0].message
    assert "x/a" not in failing[0].message
    # Every reason is given, the failing scenarios first.
    several = gate(found, report("sha256:" + "b" * 64, outcome("b", passed=False), errors_=1))
    assert [r.code for r in several] == ["REPLAY_FAILED", "REPORT_MISMATCH", "LINT_FAILED",
                                         "REPORT_INCOMPLETE"]
    assert "x/a (fixtures/x/scenarios.yaml)" in several[3].message


def test_results_for_other_or_repeated_scenarios_do_not_count() -> None:
    key = ("fixtures/x/scenarios.yaml", "a")
    found = Inspected(hash="sha256:" + "a" * 64, files=3, scenarios={key},
                      platforms={key: "x"})
    extra = gate(found, report(found.hash, outcome("a"), outcome("a", file="fixtures/y/s.yaml")))
    assert [r.code for r in extra] == ["REPORT_MISMATCH"]
    twice = gate(found, report(found.hash, outcome("a"), outcome("a")))
    assert [r.code for r in twice] == ["REPORT_MISMATCH"] and "given twice" in twice[0].message
    empty = Inspected(hash=found.hash, files=2)
    assert [r.code for r in gate(empty, report(found.hash))] == ["REPORT_INCOMPLETE"]


def test_the_offer_points_at_the_current_version() -> None:
    assert offer(None) is None
    current = s.DefinitionsVersion(version=4, hash="sha256:" + "c" * 64, author="a",
                                   created_at=s.MIN_TIME, current=True, size=1, files=1,
                                   scenarios=1)
    assert offer(current) == s.DefinitionsOffer(version=4, hash=current.hash,
                                                url="/api/definitions/4/bundle")
