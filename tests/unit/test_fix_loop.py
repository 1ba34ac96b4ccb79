"""The fix loop after a failed run: `fixture import` writes a fixture whose header carries
no random port, then says what to do next (the scenario entry), or writes that entry with
`--write-scenario`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.capture.capture import canonical_source
from runner.cli import main
from runner.engine import load_platform
from runner.engine.definitions import project_root
from runner.engine.evidence import failure_header
from runner.replay import load_scenarios
from runner.replay.next_step import fixture_source

ROOT = project_root()


@pytest.mark.parametrize(("url", "base", "want"), [
    ("http://127.0.0.1:43117/compose?x=1", None, "http://127.0.0.1:8765/compose?x=1"),
    ("http://localhost:5000/compose", None, "http://127.0.0.1:8765/compose"),
    ("http://10.0.0.5:9000/compose", "http://10.0.0.5:9000", "http://127.0.0.1:8765/compose"),
    ("http://127.0.0.1:8765/compose", None, "http://127.0.0.1:8765/compose"),
    ("https://example.org/x", None, "https://example.org/x"),
])
def test_fixture_sources_carry_the_playbooks_address(url: str, base: str | None,
                                                     want: str) -> None:
    assert canonical_source(url, load_platform("sandbox"), base) == want


@pytest.fixture
def failed_run(tmp_path: Path) -> Path:
    page = (ROOT / "fixtures" / "sandbox" / "compose.html").read_text(encoding="utf-8")
    html = failure_header("sandbox", "compose", "http://127.0.0.1:40321/compose") + "\n" + page
    path = tmp_path / "run" / "failure.html"
    path.parent.mkdir()
    path.write_text(html, encoding="utf-8")
    return path


def test_import_prints_the_next_step(failed_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "cases" / "broken-2026.html"
    result = CliRunner().invoke(main, ["fixture", "import", str(failed_run), "--platform",
                                       "sandbox", "--state", "broken-2026", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert fixture_source(out) == "http://127.0.0.1:8765/compose"  # not port 40321
    assert "40321" not in out.read_text(encoding="utf-8")
    lines = result.stdout.splitlines()
    assert lines[0] == str(out)
    assert "next: replay it" in lines[1] and "--write-scenario broken-2026-sandbox" in lines[1]
    assert '      "http://127.0.0.1:8765/**": broken-2026.html' in lines
    assert "      status: FAILED" in lines
    assert lines[-1] == (f"then: publish-runner replay sandbox --fixtures {out.parent} "
                         "-k broken-2026-sandbox")


def test_write_scenario_adds_a_replayable_entry(failed_run: Path, tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    shutil.copytree(ROOT / "fixtures" / "sandbox", cases)
    before = (cases / "scenarios.yaml").read_text(encoding="utf-8")
    args = ["fixture", "import", str(failed_run), "--platform", "sandbox", "--state", "x2026",
            "--out", str(cases / "x2026.html"), "--write-scenario", "x2026-en",
            "--expect", "SUCCEEDED"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "added scenario 'x2026-en'" in result.output
    text = (cases / "scenarios.yaml").read_text(encoding="utf-8")
    assert text.startswith(before)  # comments and entries kept
    added = {sc.name: sc for sc in load_scenarios(cases / "scenarios.yaml")}["x2026-en"]
    assert added.spec.pages == {"http://127.0.0.1:8765/**": "x2026.html"}
    assert added.spec.expect.status == "SUCCEEDED"
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "already has a scenario 'x2026-en'" in again.output
    assert (cases / "scenarios.yaml").read_text(encoding="utf-8") == text


def test_write_scenario_starts_a_scenarios_file(failed_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "new-folder" / "compose-2026.html"
    result = CliRunner().invoke(main, ["fixture", "import", str(failed_run), "--platform",
                                       "sandbox", "--state", "c", "--out", str(out),
                                       "--write-scenario", "c-en"])
    assert result.exit_code == 0, result.output
    (sc,) = load_scenarios(out.parent / "scenarios.yaml")
    assert (sc.platform, sc.name, sc.spec.expect.status) == ("sandbox", "c-en", "FAILED")
