"""docs/ci.md's workflows are ready to paste: valid YAML, and every `publish-runner` command
in them is one the CLI accepts (a renamed option fails here, not in a team's pipeline)."""

from __future__ import annotations

import re
import shlex

import click
import yaml

from runner.cli import main
from runner.engine.definitions import project_root

DOC = project_root() / "docs" / "ci.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def commands(value: object) -> list[str]:
    """Every shell line of a parsed workflow that runs publish-runner."""
    found: list[str] = []
    if isinstance(value, dict):
        for item in value.values():
            found += commands(item)
    elif isinstance(value, list):
        for item in value:
            found += commands(item)
    elif isinstance(value, str):
        found += [line.strip() for line in value.splitlines()
                  if line.strip().startswith("publish-runner ")]
    return found


def test_workflows_parse_and_run_known_commands() -> None:
    docs = [yaml.safe_load(b) for b in blocks("yaml")]
    github, gitlab = docs
    assert "replay" in github["jobs"] and gitlab["replay"]["artifacts"]["reports"]["junit"]
    upload = [s for s in github["jobs"]["replay"]["steps"]
              if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload and upload[0]["if"] == "always()"
    assert upload[0]["with"]["path"] == "replay-report/"
    assert gitlab["replay"]["artifacts"]["paths"] == ["replay-report/"]
    lines = [c for d in docs for c in commands(d)]
    assert any(" replay " in f" {c} " for c in lines) and any(" lint " in f"{c} " for c in lines)
    for line in lines:
        args = shlex.split(line.split("#", 1)[0])[1:]
        command = main.commands[args[0]]
        ctx = command.make_context(args[0], args[1:], resilient_parsing=False)
        assert isinstance(ctx, click.Context)
