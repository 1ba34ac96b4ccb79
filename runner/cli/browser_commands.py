"""`publish-runner browser`: which browser would be used, and why."""

from __future__ import annotations

import click


@click.command("browser")
@click.option("--browser", "preference", envvar="PUBLISH_RUNNER_BROWSER", default=None,
              help="playwright, chrome, msedge or a path; default: discover.")
@click.option("--quiet", is_flag=True, help="Print nothing; exit 0 only when one is found.")
def browser_cmd(preference: str | None, quiet: bool) -> None:
    """Show the Chromium-family browser publish-runner would launch."""
    from runner.browser import discover

    choice = discover(preference)
    if not quiet:
        click.echo(choice.describe())


def register(group: click.Group) -> None:
    group.add_command(browser_cmd)
