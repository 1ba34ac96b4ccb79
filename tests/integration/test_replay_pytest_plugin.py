"""The pytest plugin (entry point `pytest11`): a team's own repository of definitions runs
its scenarios with plain `pytest`. Each test builds such a repository in a temporary folder
(playbooks/, selectors/ and a fixture folder) and runs pytest there in a subprocess, as the
team's CI would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from runner.engine.definitions import project_root

pytestmark = pytest.mark.browser

ROOT = project_root()


@pytest.fixture
def team_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "team-repo"
    shutil.copytree(ROOT / "playbooks", repo / "playbooks")
    shutil.copytree(ROOT / "selectors", repo / "selectors")
    cases = repo / "checks" / "our-sandbox-cases"  # any folder name
    shutil.copytree(ROOT / "fixtures" / "sandbox", cases)
    path = cases / "scenarios.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["scenarios"] = {k: v for k, v in doc["scenarios"].items()
                        if k in ("publish-text-en", "logged-out-en")}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return repo


def pytest_in(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-o", "addopts=", *args], cwd=repo, capture_output=True, text=True,
                          timeout=300, env=env)


def test_scenarios_are_collected_as_items(team_repo: Path) -> None:
    proc = pytest_in(team_repo, "--collect-only", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    items = [line for line in proc.stdout.splitlines() if "::" in line]
    assert sorted(items) == ["checks/our-sandbox-cases/scenarios.yaml::logged-out-en",
                             "checks/our-sandbox-cases/scenarios.yaml::publish-text-en"]


def test_passing_and_failing_scenarios(team_repo: Path) -> None:
    path = team_repo / "checks" / "our-sandbox-cases" / "scenarios.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: NEEDS_LOGIN",
                                                             "status: SUCCEEDED"),
                    encoding="utf-8")
    junit = team_repo / "junit.xml"
    proc = pytest_in(team_repo, "-v", "--replay-out", "evidence", f"--junitxml={junit}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "scenarios.yaml::publish-text-en PASSED" in proc.stdout
    assert "scenarios.yaml::logged-out-en FAILED" in proc.stdout
    assert ("checks/our-sandbox-cases/scenarios.yaml:") in proc.stdout
    assert "status: expected SUCCEEDED, got NEEDS_LOGIN" in proc.stdout
    assert "1 failed, 1 passed" in proc.stdout
    # evidence kept for the failed scenario only
    kept = team_repo / "evidence" / "sandbox"
    assert (kept / "logged-out-en").is_dir() and not (kept / "publish-text-en").exists()
    selected = pytest_in(team_repo, "-k", "publish", "-q")
    assert selected.returncode == 0, selected.stdout + selected.stderr
    assert "1 passed, 1 deselected" in selected.stdout


def test_a_broken_scenarios_file_is_a_collection_error(team_repo: Path) -> None:
    path = team_repo / "checks" / "our-sandbox-cases" / "scenarios.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("expect:", "expectt:", 1),
                    encoding="utf-8")
    proc = pytest_in(team_repo, "-q")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unknown field 'expectt' (did you mean 'expect'?)" in proc.stdout
