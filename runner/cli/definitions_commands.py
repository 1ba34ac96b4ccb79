"""`publish-runner definitions push|list|rollback`: ship a definitions set to every device.

`push` lints the set and replays its scenarios here, on the operator's machine (the server
cannot: it never imports the runner), then uploads the set's archive with the results; the
server accepts it only if the results are for exactly this set's hash, lint clean and cover
every scenario, all passed (`server.services.definitions`). Devices hear of the new version
in their next heartbeat reply and use it from their next job on. The server is reached like
every operator command (`--server-url`, `--operator-token`, the config's `operator:`).

Exit status: 0 accepted (or already current), 1 refused (the reasons are printed, failing
scenarios by name), 2 usage or configuration error.
"""

from __future__ import annotations

import asyncio
import getpass
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runner.cli.server_commands import _operator, _operator_options, _run, _show

if TYPE_CHECKING:
    from contract import models as s

__all__ = ["Checked", "check_set", "definitions", "register"]

EPILOG = """\b
Exit status:
  0  the set is the current version (new, or already)
  1  refused: lint errors, or scenarios that did not replay as expected
  2  usage or configuration error"""


@dataclass
class Checked:
    """What `push` learnt about a set before uploading it."""

    report: s.DefinitionsReport
    lint_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "platform/name: why"


def _scenario_file(folder: Path, root: Path) -> str:
    return (folder / "scenarios.yaml").resolve().relative_to(root.resolve()).as_posix()


def check_set(root: Path, *, workers: int | None = None,
              browser: str | None = None) -> Checked:
    """Lint the set under `root` and replay all its scenarios; the report the server wants."""
    from common.definitions_set import hash_root
    from common.errors import DefinitionError
    from contract import models as s
    from runner import __version__
    from runner.engine.lint import lint_paths
    from runner.replay import discover, load_scenarios, run_replay
    from runner.replay.report import headline

    digest = hash_root(root)
    linted = lint_paths(None, root=root)
    errors = [str(p) for p in linted.errors]
    scenarios = []
    for file in discover(root / "fixtures"):
        try:
            scenarios += load_scenarios(file)
        except DefinitionError:
            continue  # lint reported it; the server will find its scenarios uncovered
    outcomes: list[s.ScenarioOutcome] = []
    failed: list[str] = []
    if scenarios:
        replayed = asyncio.run(run_replay(scenarios, root=root, workers=workers,
                                          browser_preference=browser))
        for r in replayed.results:
            why = "" if r.passed else headline(r)[: s.MAX_REASON]
            outcomes.append(s.ScenarioOutcome(
                file=_scenario_file(r.scenario.folder, root), name=r.scenario.name,
                platform=r.scenario.platform, passed=r.passed, outcome=r.outcome,
                message=why))
            if not r.passed:
                failed.append(f"{r.scenario.id}: {why}")
    report = s.DefinitionsReport(
        hash=digest, runner_version=__version__, scenarios=outcomes,
        lint=s.LintSummary(files=linted.files, errors=len(errors),
                           warnings=len(linted.warnings),
                           problems=[e[: s.MAX_REASON] for e in errors[:100]]))
    return Checked(report=report, lint_errors=errors, failed=failed)


def _default_author() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without /etc/passwd entry)
        user = "operator"
    return f"{user}@{socket.gethostname()}"


def _root(folder: Path | None) -> Path:
    from runner import definitions_root

    if folder is None:
        chosen = definitions_root.current()
        click.echo(chosen.describe(), err=True)
        folder = chosen.path
    if not (folder / "playbooks").is_dir():
        raise click.UsageError(f"{folder} holds no playbooks/ folder: not a definitions set")
    return folder.resolve()


@click.group("definitions", epilog=EPILOG)
def definitions() -> None:
    """Versions of the definitions (playbooks, selector files, fixtures) on the server,
    which every device follows: push a set, list the versions, roll back to one."""


@definitions.command("push", epilog=EPILOG)
@click.argument("folder", required=False,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--author", default=None,
              help="Who pushes, as the versions list shows it [default: user@host].")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Scenarios replayed at once.")
@click.option("--browser", "browser_pref", envvar="PUBLISH_RUNNER_BROWSER")
@_operator_options
def push(folder: Path | None, author: str | None, workers: int | None,
         browser_pref: str | None, config: Path | None, server_url: str | None,
         operator_token: str | None, as_json: bool) -> None:
    """Lint FOLDER (default: the definitions root), replay all its scenarios, and upload it
    with the results; the server makes it the current version only if all is green."""
    from common.definitions_bundle import BadArchive, pack
    from common.errors import ServerRejected

    root = _root(folder)
    client = _operator(config, server_url, operator_token)  # a missing token stops us first
    checked = check_set(root, workers=workers, browser=browser_pref)
    report = checked.report
    say = (lambda text: click.echo(text, err=True)) if as_json else click.echo
    say(f"lint: {report.lint.files} file(s), {report.lint.errors} error(s), "
        f"{report.lint.warnings} warning(s)")
    for line in checked.lint_errors:
        say(f"  {line}")
    passed = sum(o.passed for o in report.scenarios)
    say(f"replay: {len(report.scenarios)} scenario(s), {passed} passed, "
        f"{len(report.scenarios) - passed} failed")
    for line in checked.failed:
        say(f"  FAIL {line}")
    try:
        archive = pack(root)
    except BadArchive as exc:
        raise click.UsageError(str(exc)) from exc
    who = author or _default_author()
    say(f"pushing {report.hash} ({len(archive)} bytes) to {client.base_url} as {who}")

    async def go() -> tuple[s.DefinitionsVersion, bool]:
        async with client:
            return await client.push_definitions(archive, report, who)  # type: ignore[no-any-return]

    try:
        version, created = _run(go)
    except ServerRejected as exc:
        click.echo(f"refused by the server ({exc.status} {exc.code}):", err=True)
        for reason in exc.message.removeprefix("refused: ").split(" | "):
            click.echo(f"  {reason}", err=True)
        sys.exit(1)
    if as_json:
        _show(version, True, str)
    elif created:
        click.echo(f"version {version.version} is current ({version.hash}); devices use it "
                   "from their next job")
    else:
        click.echo(f"unchanged: version {version.version} already has this content")


def _line(v: Any) -> str:
    mark = "*" if v.current else " "
    return (f"{mark} {v.version:>4}  {v.hash[:19]}…  {v.created_at:%Y-%m-%d %H:%M:%S}  "
            f"{v.author}  files={v.files} scenarios={v.scenarios}")


@definitions.command("list")
@_operator_options
def list_cmd(config: Path | None, server_url: str | None, operator_token: str | None,
             as_json: bool) -> None:
    """The stored versions, newest first; `*` marks the current one."""
    async def go() -> Any:
        async with _operator(config, server_url, operator_token) as client:
            return await client.definitions_versions()

    _show(_run(go), as_json, lambda vs: "\n".join(_line(v) for v in vs) or "no versions")


@definitions.command("rollback")
@click.argument("version", type=click.IntRange(min=1))
@click.option("--author", default=None, help="Who rolls back [default: user@host].")
@_operator_options
def rollback(version: int, author: str | None, config: Path | None, server_url: str | None,
             operator_token: str | None, as_json: bool) -> None:
    """Make VERSION the current one again; each device switches at its next job."""
    async def go() -> Any:
        async with _operator(config, server_url, operator_token) as client:
            return await client.rollback_definitions(version, author or _default_author())

    _show(_run(go), as_json, lambda v: f"version {v.version} is current again ({v.hash}); "
          "devices use it from their next job")


def register(group: click.Group) -> None:
    group.add_command(definitions)
