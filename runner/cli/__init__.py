"""The `publish-runner` command. Each command group lives in its own module and registers
itself here; heavy imports happen inside the commands so `--help` stays fast."""

from __future__ import annotations

import sys

import click

from common.errors import PublishRunnerError
from common.logs import configure
from runner import __version__


class _Group(click.Group):
    """Turns our own errors into one clear line and exit status 2, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PublishRunnerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publish-runner")
@click.option("--log-level", default="INFO", show_default=True, envvar="PUBLISH_RUNNER_LOG_LEVEL")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="PUBLISH_RUNNER_LOG_FORMAT",
)
def main(log_level: str, log_format: str) -> None:
    """Publish scheduled social-media posts through a real browser."""
    configure(log_level, log_format)


def _register() -> None:
    from runner.cli import (
        browser_commands,
        capture_commands,
        daemon_commands,
        demo_commands,
        engine_commands,
        replay_commands,
        sandbox_commands,
        server_commands,
    )

    for module in (browser_commands, capture_commands, daemon_commands, demo_commands,
                   engine_commands, replay_commands, sandbox_commands, server_commands):
        module.register(main)


_register()
