"""docs/fixtures.md's replay section matches `publish-runner replay --help`: every command
line it shows parses, and every option the command offers is described there."""

from __future__ import annotations

import re
import shlex

import click

from runner.cli import main
from runner.engine.definitions import project_root

DOC = project_root() / "docs" / "fixtures.md"
# Said once for every command (README, operations), not per command.
GLOBAL = {"--log-level", "--log-format", "--help"}


def _replay_lines() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    lines = [line.split("#", 1)[0].strip()
             for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
             for line in block.splitlines()]
    return [line for line in lines if line.startswith("publish-runner replay")]


def test_every_replay_line_in_the_doc_parses() -> None:
    lines = _replay_lines()
    assert len(lines) >= 8
    command = main.commands["replay"]
    for line in lines:
        args = shlex.split(line)[2:]
        # Resilient: the doc's folders need not exist here; unknown options still fail.
        ctx = command.make_context("replay", args, resilient_parsing=True)
        assert isinstance(ctx, click.Context), line


def test_every_replay_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    command = main.commands["replay"]
    offered = {opt for p in command.params if isinstance(p, click.Option) and not p.hidden
               for opt in (*p.opts, *p.secondary_opts) if opt.startswith("-")}
    assert {"--suggest", "--definitions", "--workers"} <= offered
    missing = sorted(o for o in offered - GLOBAL if f"`{o}" not in text and f" {o}" not in text)
    assert missing == []


def test_root_is_no_longer_offered() -> None:
    command = main.commands["replay"]
    root = next(p for p in command.params if "--root" in p.opts)
    assert isinstance(root, click.Option) and root.hidden
