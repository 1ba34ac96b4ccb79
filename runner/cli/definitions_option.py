"""`--definitions DIR` on every command that reads playbooks, selector files or fixtures.

The option only records the choice (`runner.definitions_root.choose`) and asks for the root
to be printed once on stderr when a command first uses it, so every such command says
which root it reads and `--json` output on stdout stays machine-clean.
"""

from __future__ import annotations

from pathlib import Path

import click

from runner import definitions_root

__all__ = ["COMMANDS", "add_definitions_option"]

# The commands that read definitions (a group's name covers its subcommands).
COMMANDS = frozenset({"lint", "replay", "run", "publish", "login", "check-login", "capture",
                      "fixture", "demo", "canary"})


def _choose(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if ctx.resilient_parsing:
        return
    definitions_root.reset()
    ctx.call_on_close(definitions_root.reset)  # the next command in this process starts afresh
    if value is not None:
        definitions_root.choose(value)
    definitions_root.announce()


def _option() -> click.Option:
    return click.Option(
        ["--definitions"], type=click.Path(file_okay=False, path_type=Path), default=None,
        expose_value=False, is_eager=True, callback=_choose,
        help=f"Folder holding playbooks/, selectors/ and fixtures/ (default: "
             f"${definitions_root.ENV}, the config's `definitions`, the current folder "
             f"when it holds them, else the packaged copy).")


def add_definitions_option(command: click.Command) -> None:
    """Add the option to this command, or to every subcommand of a group."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_definitions_option(sub)
        return
    if not any("--definitions" in p.opts for p in command.params):
        command.params.append(_option())
