"""`publish-runner canary PLATFORM --account A`: a dry run on a live account.

It opens the account's profile, runs the playbook up to `confirm` with a canary text (and a
small image where the platform takes one), discards the draft, checks that nothing was
posted and reports per selector how it resolved, with a verdict. Exit status: 0 healthy,
1 degraded, 3 inconclusive (logged out, challenged), 4 broken. docs/canary.md.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from runner.cli.params import DEFAULT_ACCOUNT


@click.command("canary")
@click.argument("platform_name", metavar="PLATFORM")
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True)
@click.option("--profile", type=click.Path(file_okay=False, path_type=Path),
              help="The account's logged-in browser profile (user-data directory).")
@click.option("--base-url", help="Where the platform lives (default: the playbook's).")
@click.option("--locale", default="auto", show_default=True, help="UI locale: en, ar or auto.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for machines.")
@click.option("--capture", "capture_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Save every page reached as a sanitised fixture here, with scenarios.yaml.")
@click.option("--no-image", is_flag=True, help="Text only, even where the platform takes one.")
@click.option("--headless/--headed", default=None, help="Default: headless without a display.")
@click.option("--browser", "browser_pref", envvar="PUBLISH_RUNNER_BROWSER")
def canary_cmd(platform_name: str, account: str, profile: Path | None, base_url: str | None,
               locale: str, as_json: bool, capture_dir: Path | None, no_image: bool,
               headless: bool | None, browser_pref: str | None) -> None:
    """Dry-run PLATFORM's playbook on ACCOUNT without publishing, and report selector health.

    For the sandbox platform without --base-url or --profile, a sandbox is started and the
    account logged in.
    """
    from runner.canary import run_canary
    from runner.canary.table import render

    report = asyncio.run(run_canary(
        platform_name, account=account, profile=profile, base_url=base_url, locale=locale,
        capture_dir=capture_dir, headless=headless, browser=browser_pref,
        image=not no_image))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render(report))
    sys.exit(report.exit_code)


def register(group: click.Group) -> None:
    group.add_command(canary_cmd)
