"""Definitions sets for the tests of shipping definitions: the sandbox platform's own
playbook, selector file and fixtures, copied into a folder and changed the way a developer
fixing a selector would change them."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# Candidates of the sandbox's composer textarea: a test id first, the role and label next.
TESTID_FIRST = """    candidates:
      - testid: composer-text
      - role: textbox
        name: {en: Post text, ar: نص المنشور}
"""
ROLE_FIRST = """    candidates:
      - role: textbox
        name: {en: Post text, ar: نص المنشور}
      - testid: composer-text
"""


def sandbox_set(dest: Path, *, scenarios: tuple[str, ...] | None = None,
                note: str = "") -> Path:
    """The sandbox's definitions under `dest` (only the named scenarios when given), with
    `note` as a comment in its selector file so each set has its own hash."""
    (dest / "playbooks").mkdir(parents=True)
    (dest / "selectors").mkdir()
    shutil.copy(ROOT / "playbooks" / "sandbox.yaml", dest / "playbooks")
    text = (ROOT / "selectors" / "sandbox.yaml").read_text(encoding="utf-8")
    (dest / "selectors" / "sandbox.yaml").write_text(text + (f"# {note}\n" if note else ""),
                                                    encoding="utf-8")
    shutil.copytree(ROOT / "fixtures" / "sandbox", dest / "fixtures" / "sandbox",
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    if scenarios is not None:
        path = dest / "fixtures" / "sandbox" / "scenarios.yaml"
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc["scenarios"] = {k: v for k, v in doc["scenarios"].items() if k in scenarios}
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return dest


def role_first(root: Path, *, fix_scenarios: bool) -> None:
    """Try the composer textarea's role and label before its test id. The redesign
    scenarios expect that selector to resolve through a fallback, so they fail, unless
    `fix_scenarios` updates what they expect."""
    path = root / "selectors" / "sandbox.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index("  composerTextarea:"):]
    assert TESTID_FIRST in block
    path.write_text(text.replace(block, block.replace(TESTID_FIRST, ROLE_FIRST, 1)),
                    encoding="utf-8")
    if fix_scenarios:
        scen = root / "fixtures" / "sandbox" / "scenarios.yaml"
        doc = yaml.safe_load(scen.read_text(encoding="utf-8"))
        for spec in doc["scenarios"].values():
            fallbacks = spec.get("expect", {}).get("fallbacks")
            if fallbacks and "composerTextarea" in fallbacks:
                fallbacks.remove("composerTextarea")
        scen.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
