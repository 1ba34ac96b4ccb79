"""The new step and selector syntax (frame per candidate, branches, bounded dismiss,
waits that fail on an error element): the tool and the shipped JSON Schemas agree on what
they accept and refuse, and lint warns about a frame that does nothing."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from common.errors import DefinitionError
from runner.engine.definitions import load_files
from runner.engine.lint import lint_paths
from runner.engine.steps import Dismiss, WaitFor

SELECTORS = """\
platform: demo
version: 1
selectors:
  dialog:
    frame: 'iframe#composer'
    candidates:
      - css: 'div[role=dialog]'
      - css: 'div.dialog'
        frame: top
  okButton: {scope: dialog, candidates: [{role: button, name: {en: OK, ar: حسنا}}]}
  errorToast: {candidates: [{css: '[role=alert]'}]}
"""
PLAYBOOK = """\
platform: demo
version: 1
base_url: https://demo.example
phases:
  open:
    - STEP
  publish:
    - click: okButton
"""

ACCEPTED = {
    "any-into": "wait_for: {any: [dialog, errorToast], into: layout}",
    "fail-on": "wait_for: {selector: okButton, fail_on: errorToast, code: MEDIA_REJECTED}",
    "dismiss-within": "dismiss: {selector: dialog, button: okButton, within: 3s}",
    "dismiss-within-number": "dismiss: {selector: dialog, within: 0.5}",
}
REFUSED = {
    "into-without-any": "wait_for: {selector: dialog, into: layout}",
    "into-reserved": "wait_for: {any: [dialog], into: post}",
    "into-not-a-name": "wait_for: {any: [dialog], into: 'my layout'}",
    "bad-within": "dismiss: {selector: dialog, within: soon}",
    "code-too-long": "wait_for: {selector: dialog, fail_on: errorToast, code: " + "X" * 101 + "}",
}


def _project(tmp_path: Path, step: str, selectors: str = SELECTORS) -> Path:
    (tmp_path / "playbooks").mkdir(exist_ok=True)
    (tmp_path / "selectors").mkdir(exist_ok=True)
    (tmp_path / "playbooks" / "demo.yaml").write_text(PLAYBOOK.replace("STEP", step), "utf-8")
    (tmp_path / "selectors" / "demo.yaml").write_text(selectors, "utf-8")
    return tmp_path


def _schema_errors(kind: str, text: str) -> list[str]:
    path = Path(__file__).resolve().parents[2] / "docs" / "schema" / f"{kind}.schema.json"
    validator = jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))
    return [e.message for e in validator.iter_errors(yaml.safe_load(text))]


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepted(tmp_path: Path, case: str) -> None:
    root = _project(tmp_path, ACCEPTED[case])
    load_files(root / "playbooks" / "demo.yaml", root=root)
    assert _schema_errors("playbook", PLAYBOOK.replace("STEP", ACCEPTED[case])) == []


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused(tmp_path: Path, case: str) -> None:
    root = _project(tmp_path, REFUSED[case])
    with pytest.raises(DefinitionError):
        load_files(root / "playbooks" / "demo.yaml", root=root)
    assert _schema_errors("playbook", PLAYBOOK.replace("STEP", REFUSED[case])), case


def test_selector_file_with_candidate_frames_matches_the_schema() -> None:
    assert _schema_errors("selectors", SELECTORS) == []
    broken = SELECTORS.replace("frame: top", "frame: 3")
    assert _schema_errors("selectors", broken)


def test_frame_of_a_candidate() -> None:
    from runner.engine.selectorfile import SelectorFile

    model = SelectorFile.model_validate(yaml.safe_load(SELECTORS))
    dialog = model.selectors["dialog"]
    assert [dialog.frame_of(c) for c in dialog.candidates] == ["iframe#composer", None]
    ok = model.selectors["okButton"]
    assert ok.frame_of(ok.candidates[0]) is None


def test_durations_and_defaults() -> None:
    assert Dismiss(selector="d").within == 1.0
    assert Dismiss(selector="d", within="250ms").within == 0.25  # type: ignore[arg-type]
    # No code given: fail_on fails PLATFORM_REJECTED, a `text` wait keeps the wait's own.
    assert WaitFor(selector="x").code is None
    assert WaitFor(selector="x", text="{{ post.text }}", code="VERIFY_IMPOSSIBLE").code == \
        "VERIFY_IMPOSSIBLE"


def test_lint_warns_about_a_frame_that_does_nothing(tmp_path: Path) -> None:
    selectors = SELECTORS.replace("  errorToast: {candidates: [{css: '[role=alert]'}]}",
                                  "  errorToast: {candidates: [{css: '[role=alert]', "
                                  "frame: top}]}")
    root = _project(tmp_path, ACCEPTED["fail-on"], selectors)
    text = "\n".join(str(p) for p in lint_paths(root=root).problems)
    assert "errorToast: candidate 1 says `frame: top` but the selector has no frame" in text
    assert "dialog: candidate 2" not in text
