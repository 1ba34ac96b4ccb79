"""`publish-runner capture` and `publish-runner fixture import`: making replay fixtures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from contract.models import DEFAULT_ACCOUNT
from runner.cli.params import HtmlFile


@click.command("capture")
@click.argument("platform")
@click.option("--state", required=True, help="Fixture name: fixtures/PLATFORM/STATE.html.")
@click.option("--url", help="Page to open (default: the playbook's base URL).")
@click.option("--profile", type=click.Path(file_okay=False, path_type=Path),
              help="A logged-in browser profile (user-data directory).")
@click.option("--until", "until_phase", metavar="PHASE",
              help="Run the playbook up to and including this phase instead of waiting for "
                   "the operator (open, login_check, compose, attach, confirm, …).")
@click.option("--headless", is_flag=True, help="No window (default: headed).")
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True,
              help="Account the post is for; for the auto-started sandbox, who is logged in.")
@click.option("--logged-out", is_flag=True,
              help="Auto-started sandbox only: capture without logging in.")
@click.option("--base-url", help="Where the platform lives (default: the playbook's).")
@click.option("--text", help="Post text typed when the playbook runs past compose.")
@click.option("--media", multiple=True, type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path))
@click.option("--locale", default="auto", show_default=True, help="UI locale: en, ar or auto.")
@click.option("--browser", "browser_pref", envvar="PUBLISH_RUNNER_BROWSER")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of fixtures/PLATFORM/STATE.html.")
def capture_cmd(platform: str, state: str, url: str | None, profile: Path | None,
                until_phase: str | None, headless: bool, account: str, logged_out: bool,
                base_url: str | None, text: str | None, media: tuple[Path, ...], locale: str,
                browser_pref: str | None, out: Path | None) -> None:
    """Save a live page of PLATFORM as a sanitised replay fixture.

    Headed, without --until, the browser opens and waits: bring the page to the state, then
    press Enter in this terminal. Review the file (and run the fixtures test) before
    committing it.
    """
    from runner.capture.capture import DEFAULT_TEXT, capture

    path = asyncio.run(capture(
        platform, state, url=url, profile=profile, headless=headless, until_phase=until_phase,
        out=out, account=None if logged_out else account, base_url=base_url,
        text=text or DEFAULT_TEXT, media=media, browser=browser_pref, locale=locale,
    ))
    click.echo(str(path))


@click.group("fixture")
def fixture_group() -> None:
    """Replay fixtures: import a failed run's HTML."""


@fixture_group.command("import")
@click.argument("file", type=HtmlFile())
@click.option("--platform", required=True)
@click.option("--state", required=True, help="Fixture name: fixtures/PLATFORM/STATE.html.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of fixtures/PLATFORM/STATE.html.")
def import_cmd(file: Path, platform: str, state: str, out: Path | None) -> None:
    """Turn FILE (a run's failure.html) into a sanitised fixture."""
    from runner.capture.capture import import_fixture

    path = asyncio.run(import_fixture(file, platform, state, out=out))
    click.echo(str(path))


def register(group: click.Group) -> None:
    group.add_command(capture_cmd)
    group.add_command(fixture_group)
