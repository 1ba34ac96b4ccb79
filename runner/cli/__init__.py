"""The `publish-runner` command. Each command group lives in its own module and registers
itself here; heavy imports happen inside the commands so `--help` stays fast."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import click

from common.errors import PublishRunnerError
from common.logs import configure
from runner import __version__
from runner.cli.params import LOG_LEVELS


class _Group(click.Group):
    """Turns our own errors and usage mistakes into one clear line and exit status 2, not a
    traceback or click's three-line usage block; `--log-level`/`--log-format` are accepted
    after any subcommand too, as the docs write them."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PublishRunnerError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})
            sys.exit(code if isinstance(code, int) else 0)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except PublishRunnerError as exc:  # raised while parsing (a value's own check)
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        except BrokenPipeError:  # `publish-runner jobs | head`: the reader left; no traceback
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)


def _relog(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """A `--log-level`/`--log-format` given after the subcommand: reconfigure with it."""
    if value is None:
        return
    root = ctx.find_root()
    assert param.name is not None
    root.params[param.name] = value
    configure(root.params["log_level"], root.params["log_format"])


def _log_options() -> list[click.Option]:
    return [
        click.Option(["--log-level"], type=LOG_LEVEL, default=None, expose_value=False,
                     callback=_relog, help="As before the command [default: INFO, or "
                     "PUBLISH_RUNNER_LOG_LEVEL]."),
        click.Option(["--log-format"], type=click.Choice(["text", "json"]), default=None,
                     expose_value=False, callback=_relog, help="As before the command "
                     "[default: text, or PUBLISH_RUNNER_LOG_FORMAT]."),
    ]


def _add_log_options(command: click.Command) -> None:
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_log_options(sub)
        return
    names = {opt for p in command.params for opt in p.opts}
    command.params += [o for o in _log_options() if not names & set(o.opts)]


LOG_LEVEL = click.Choice(LOG_LEVELS, case_sensitive=False)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publish-runner")
@click.option("--log-level", type=LOG_LEVEL, default="INFO", show_default=True,
              envvar="PUBLISH_RUNNER_LOG_LEVEL", help="Also accepted after the command.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="PUBLISH_RUNNER_LOG_FORMAT",
    help="Also accepted after the command.",
)
def main(log_level: str, log_format: str) -> None:
    """Publish scheduled social-media posts through a real browser."""
    configure(log_level, log_format)


def _register() -> None:
    from runner.cli import (
        browser_commands,
        canary_commands,
        capture_commands,
        daemon_commands,
        db_commands,
        definitions_commands,
        demo_commands,
        engine_commands,
        replay_commands,
        sandbox_commands,
        server_commands,
        service_commands,
    )
    from runner.cli.definitions_option import COMMANDS, add_definitions_option
    from runner.cli.extras import NEEDS_SERVER, guard

    for module in (browser_commands, canary_commands, capture_commands, daemon_commands,
                   db_commands, definitions_commands,
                   demo_commands,
                   engine_commands, replay_commands, sandbox_commands, server_commands,
                   service_commands):
        module.register(main)
    for command in main.commands.values():
        _add_log_options(command)
    for name in COMMANDS & set(main.commands):
        add_definitions_option(main.commands[name])
    for name, what in NEEDS_SERVER.items():
        if name in main.commands:
            guard(main.commands[name], what)


_register()
