"""`replay --suggest`: a scenario failing on a selector that no longer resolves gets near
matches from its fixture page, and pasting the first one moves the failure past it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner.engine.definitions import project_root

pytestmark = pytest.mark.browser


def _replay(root: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "runner", "replay", "sandbox", "-k", "redesign-broken-en",
         "--definitions", str(root), "--out", str(root / "report"), "--json", *extra],
        cwd=root, text=True, capture_output=True, timeout=180, check=False)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    (result,) = json.loads(done.stdout)["scenarios"]
    return dict(result)


def test_suggestions_for_the_broken_redesign_fix_its_composer(tmp_path: Path) -> None:
    root = tmp_path / "defs"
    for part in ("playbooks", "selectors", "fixtures/sandbox"):
        shutil.copytree(project_root() / part, root / part)
    scenarios = root / "fixtures" / "sandbox" / "scenarios.yaml"
    data = yaml.safe_load(scenarios.read_text(encoding="utf-8"))
    # As a developer does once the redesign is known: the scenario should pass again.
    data["scenarios"]["redesign-broken-en"]["expect"] = {"status": "SUCCEEDED"}
    scenarios.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    result = _replay(root)
    assert result["outcome"] == "failed" and result["suggestions"] == []  # only when asked
    result = _replay(root, "--suggest")
    assert result["outcome"] == "failed"
    suggestions = result["suggestions"]
    assert suggestions and suggestions[0]["rank"] == 1
    first = suggestions[0]
    assert "css" in first["candidate"] or "role" in first["candidate"], first
    assert first["yaml"].startswith("- ")
    assert "Composer textarea not found" in result["error"]
    assert "its scope composer not found" in result["error"]

    selector_file = root / "selectors" / "sandbox.yaml"
    lines = selector_file.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  composer:"))
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == "candidates:")
    lines.insert(at + 1, f"      {first['yaml']}\n")
    selector_file.write_text("".join(lines), encoding="utf-8")
    result = _replay(root, "--suggest")
    # The composer resolves now: the failure is the textarea's own candidates, and the
    # next suggestion is for it (the new design's textarea, by its role and name).
    assert "its scope composer not found" not in result["error"], result["error"]
    assert any(s["candidate"].get("role") == "textbox" for s in result["suggestions"])
