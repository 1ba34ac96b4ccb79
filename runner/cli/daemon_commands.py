"""`publish-runner run`, `login` and `check-login`: the device daemon and its profiles."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from common.settings import default_config_file
from runner.cli.duration_param import DURATION
from runner.cli.params import DEFAULT_ACCOUNT, PlatformName


def _settings(config: Path | None, flags: dict[str, Any]) -> Any:
    from common import settings as base
    from runner import definitions_root
    from runner.device.settings import DaemonSettings

    definitions_root.use_config_file(config)  # its `definitions:`, unless a flag chose
    return base.load(DaemonSettings, file=config or default_config_file(), section="runner",
                     flags=flags)


def _embedded(config: Path | None, device: Any) -> Any:
    """The config's `embedded` section; unset fields fall back to the device's db/token."""
    from common.config import EmbeddedSettings, load_section

    section = load_section(EmbeddedSettings, file=config or default_config_file())
    return section.model_copy(update={"db": section.db or device.db,
                                      "operator_token": section.operator_token
                                      or device.operator_token})


_common = [
    click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                 help="Settings file (YAML, section `runner`)."),
    click.option("--server-url", help="The publishing server (default: an embedded one)."),
    click.option("--enroll-token", help="The server's enrollment token, to register once."),
    click.option("--account", "accounts", multiple=True,
                 help="platform/account[=PROFILE_DIR], repeatable (e.g. x/main)."),
    click.option("--headless/--headed", default=None, help="Default: headed."),
    click.option("--browser", help="playwright, chrome, msedge or a path."),
    click.option("--cdp-url", help="Attach to a running Chrome (dedicated profile)."),
    click.option("--base-url", "base_urls", multiple=True,
                 help="platform=URL, where a platform lives (the sandbox's port)."),
]


def common(fn: Any) -> Any:
    for option in reversed(_common):
        fn = option(fn)
    return fn


def _flags(**kw: Any) -> dict[str, Any]:
    out = {k: v for k, v in kw.items() if v not in (None, ())}
    for key in ("accounts", "base_urls", "concurrency"):
        if key in out:
            out[key] = list(out[key])
    return out


@click.command("run")
@common
@click.option("--device-name")
@click.option("--concurrency", multiple=True, help="platform=N jobs at once (default 1).")
@click.option("--max-parallel", type=int, help="Profiles working at once (default 2).")
@click.option("--min-gap", "min_gap_s", type=DURATION,
              help="Time between two posts on one account: 90, 30s, 5m (default 60).")
@click.option("--human/--no-human", default=None,
              help="Human-like typing and pauses (default: as the playbook says).")
@click.option("--db", help="Embedded server's database (default: under the data dir).")
def run_cmd(config: Path | None, **kw: Any) -> None:
    """Run the device daemon: claim due jobs and publish them in the accounts' profiles."""
    from runner.cli.embedded import run

    settings = _settings(config, _flags(**kw))
    if not settings.server_url:
        from runner.cli.extras import require_server_extra

        require_server_extra("publish-runner run without --server-url (the embedded server)")
    sys.exit(run(settings, embedded=_embedded(config, settings)))


@click.command("login")
@click.argument("platform", type=PlatformName())
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True,
              help="The account whose profile to log in.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
              help="Settings file (YAML, section `runner`).")
@click.option("--base-url", help="Where the platform lives (the sandbox's URL).")
@click.option("--cdp-url", help="Log in inside a running Chrome (its remote-debugging URL).")
@click.option("--timeout", type=float, default=900.0, show_default=True,
              help="Seconds to wait for the login.")
def login_cmd(platform: str, account: str, config: Path | None, base_url: str | None,
              cdp_url: str | None, timeout: float) -> None:
    """Open the account's profile at the platform's login page and wait until logged in.

    Log in in the window that opens, as usual; your tab is left alone (the check runs in a
    background tab) and the command ends once the platform shows you logged in. Needs a
    display: on a machine without one, log in where there is one and copy the profile, or
    attach to a browser with --cdp-url.
    """
    from runner.browser import has_display
    from runner.device.profile_tools import login

    flags: dict[str, Any] = {"accounts": [f"{platform}/{account}"]}
    if base_url:
        flags["base_urls"] = [f"{platform}={base_url}"]
    if cdp_url:
        flags["cdp_url"] = cdp_url
    settings = _settings(config, flags)
    if not settings.cdp_url and not has_display():
        raise click.UsageError(
            "login needs a display to show the browser, and none was found (DISPLAY and "
            "WAYLAND_DISPLAY are unset): run it in a desktop session or over `ssh -X`, or "
            "attach to a browser you started with --cdp-url")
    click.echo(f"log in to {platform} as {account} in the browser window "
               f"(waiting up to {timeout:g}s)", err=True)
    ok = asyncio.run(login(settings, f"{platform}/{account}", timeout))
    click.echo("logged in" if ok else "not logged in (timed out)")
    sys.exit(0 if ok else 1)


@click.command("check-login")
@common
def check_login_cmd(config: Path | None, **kw: Any) -> None:
    """Check every profile's login and report it to the server (NEEDS_LOGIN jobs requeue)."""
    from runner.device.profile_tools import check_all

    settings = _settings(config, _flags(**kw))
    results = asyncio.run(check_all(settings))
    for key, ok in sorted(results.items()):
        click.echo(f"{key:30} {'logged in' if ok else 'NEEDS LOGIN'}")
    sys.exit(0 if all(results.values()) else 1)


def register(group: click.Group) -> None:
    for command in (run_cmd, login_cmd, check_login_cmd):
        group.add_command(command)
