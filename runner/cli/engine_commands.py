"""Commands around playbooks: `lint`, `schema` and `publish` (one post, no server)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from runner.cli.params import DEFAULT_ACCOUNT


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def lint_cmd(files: tuple[Path, ...], strict: bool) -> None:
    """Check playbooks, selector files and replay scenarios together, each recognised by its
    content (default: all of them in the definitions root)."""
    from runner.engine.lint import lint_paths

    report = lint_paths(list(files) or None)
    if report.files == 0:
        from common.errors import ConfigError
        from runner.engine.definitions import project_root

        raise ConfigError(f"nothing to lint: no playbooks/*.yaml or selectors/*.yaml under "
                          f"{project_root()}")
    for problem in report.problems:
        click.echo(str(problem))
    errors, warnings = len(report.errors), len(report.warnings)
    click.echo(f"{report.files} file(s): {errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@click.command("schema")
@click.argument("kind", type=click.Choice(["playbook", "selectors", "scenarios"]),
                default="playbook")
@click.option("--write", "write_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write all three schema files into this folder (docs/schema in the repo).")
@click.option("--check", "check_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Exit 1 when the schema files in this folder are not current.")
def schema_cmd(kind: str, write_dir: Path | None, check_dir: Path | None) -> None:
    """Print the JSON Schema of playbooks, selector files or replay scenarios (editors use
    the shipped copies in docs/schema/)."""
    from runner.engine import schema

    if write_dir is not None:
        for path in schema.write_all(write_dir):
            click.echo(str(path))
    elif check_dir is not None:
        if stale := schema.stale(check_dir):
            click.echo("not current (publish-runner schema --write "
                       f"{check_dir}): {', '.join(stale)}", err=True)
            sys.exit(1)
    else:
        click.echo(schema.render(kind), nl=False)


@click.command("publish")
@click.option("--platform", "platform_name", required=True)
@click.option("--text", required=True)
@click.option("--media", multiple=True, type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path))
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True)
@click.option("--profile", type=click.Path(file_okay=False, path_type=Path),
              help="A browser profile (user-data directory) that is logged in.")
@click.option("--headless", is_flag=True, help="No window (default: headed, as operators run).")
@click.option("--base-url", help="Where the platform lives (default: the playbook's).")
@click.option("--locale", default="auto", show_default=True, help="UI locale: en, ar or auto.")
@click.option("--browser", "browser_pref", envvar="PUBLISH_RUNNER_BROWSER")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
              show_default=True, help="Where proofs and failure snapshots go.")
@click.option("--json", "as_json", is_flag=True)
def publish_cmd(platform_name: str, text: str, media: tuple[Path, ...], account: str,
                profile: Path | None, headless: bool, base_url: str | None, locale: str,
                browser_pref: str | None, out: Path, as_json: bool) -> None:
    """Publish one post with no server, to try a playbook live.

    For the sandbox platform without --base-url, a sandbox is started for the run and the
    account is logged in, so this works on a fresh machine.
    """
    from runner.publish_once import publish_once

    result = asyncio.run(publish_once(
        platform_name, text=text, media=list(media), account=account, profile=profile,
        headless=headless, base_url=base_url, locale=locale, browser=browser_pref, out=out,
    ))
    if as_json:
        click.echo(json.dumps(result.summary(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.describe())
    sys.exit(0 if result.ok else 1)


def register(group: click.Group) -> None:
    for command in (lint_cmd, schema_cmd, publish_cmd):
        group.add_command(command)
