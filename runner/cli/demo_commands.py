"""`publish-runner demo`: the README's first command."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click


@click.command("demo")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("demo-proofs"), show_default=True,
              help="Where the proof screenshots are copied.")
@click.option("--headed", is_flag=True, help="Show the browser window (needs a display).")
def demo_cmd(out: Path, headed: bool) -> None:
    """Run an embedded server, the sandbox and the daemon; schedule a text post, an image
    post, an Arabic-UI post, a login wall and a selector failure; print the outcomes with
    their proof files. Exits 0 only when every outcome is the expected one."""
    from runner.cli.demo import render, run_demo

    outcomes = asyncio.run(run_demo(out, headed))
    click.echo(render(outcomes))
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


def register(group: click.Group) -> None:
    group.add_command(demo_cmd)
