"""`publish-runner capture` and `publish-runner fixture import`: making replay fixtures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import click

from runner.cli.params import DEFAULT_ACCOUNT, HtmlFile

EXPECTS = ("SUCCEEDED", "FAILED", "NEEDS_LOGIN")


def _scenario_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option(
        "--expect", type=click.Choice(EXPECTS), default="FAILED", show_default=True,
        help="The scenario's expected status (what the playbook must do on this page).",
    )(command)
    return click.option(
        "--write-scenario", "scenario_name", metavar="NAME",
        help="Add a scenario NAME replaying the fixture to its folder's scenarios.yaml.",
    )(command)


def _follow_up(platform: str, path: Path, state: str, scenario_name: str | None,
               expect: str, text: str) -> None:
    """Print the fixture's path, then the next step: the scenario that replays it."""
    from runner.replay.next_step import append_scenario, next_step

    click.echo(str(path))
    if scenario_name:
        target = append_scenario(platform, scenario_name, path, text=text, expect=expect)
        click.echo(f"added scenario {scenario_name!r} to {target}\nnext: publish-runner replay "
                   f"{platform} --fixtures {path.parent} -k {scenario_name}")
    else:
        click.echo(next_step(platform, f"{state}-{platform}", path, text=text, expect=expect))


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
@_scenario_options
def capture_cmd(platform: str, state: str, url: str | None, profile: Path | None,
                until_phase: str | None, headless: bool, account: str, logged_out: bool,
                base_url: str | None, text: str | None, media: tuple[Path, ...], locale: str,
                browser_pref: str | None, out: Path | None, scenario_name: str | None,
                expect: str) -> None:
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
    _follow_up(platform, path, state, scenario_name, expect, text or DEFAULT_TEXT)


@click.group("fixture")
def fixture_group() -> None:
    """Replay fixtures: import a failed run's HTML."""


@fixture_group.command("import")
@click.argument("file", type=HtmlFile())
@click.option("--platform", required=True)
@click.option("--state", required=True, help="Fixture name: fixtures/PLATFORM/STATE.html.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of fixtures/PLATFORM/STATE.html.")
@_scenario_options
def import_cmd(file: Path, platform: str, state: str, out: Path | None,
               scenario_name: str | None, expect: str) -> None:
    """Turn FILE (a run's failure.html) into a sanitised fixture."""
    from runner.capture.capture import DEFAULT_TEXT, import_fixture

    path = asyncio.run(import_fixture(file, platform, state, out=out))
    _follow_up(platform, path, state, scenario_name, expect, DEFAULT_TEXT)


def register(group: click.Group) -> None:
    group.add_command(capture_cmd)
    group.add_command(fixture_group)
