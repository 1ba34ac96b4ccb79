"""`publish-runner replay`: playbooks against saved HTML fixtures, for CI and for the
developer fixing a selector."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from runner.replay import LoadedScenario, ScenarioResult

DEFAULT_OUT = Path("replay-report")
LAST_FAILED = "last-failed.json"

EPILOG = """\b
Exit status:
  0  every scenario ran as its file expects
  1  some scenario ran and did not match (a selector, an expectation)
  2  usage or configuration error: unknown platform or option, no or missing
     fixtures, a scenarios file or playbook that cannot be read

\b
Evidence of failed scenarios (failure HTML, trace, proofs) is kept under
--out (default replay-report/), one folder per scenario; --keep all keeps
it for every scenario, --keep none for none."""


def _matches(sc: LoadedScenario, patterns: tuple[str, ...]) -> bool:
    """`-k`: a substring of the scenario id (platform/name), or a glob when it has * ? [."""
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatchcase(sc.id, pattern) or fnmatch.fnmatchcase(sc.name, pattern):
                return True
        elif pattern in sc.id:
            return True
    return False


def _select(scenarios: list[LoadedScenario], platforms: tuple[str, ...], folder: Path,
            patterns: tuple[str, ...], last_failed: set[str] | None) -> list[LoadedScenario]:
    from runner.engine.suggest import did_you_mean

    known = sorted({sc.platform for sc in scenarios})
    for name in platforms:
        if name not in known:
            raise click.UsageError(f"no scenarios for platform {name!r} under {folder}"
                                   f"{did_you_mean(name, known)} (found: {', '.join(known)})")
    chosen = [sc for sc in scenarios if not platforms or sc.platform in platforms]
    if patterns:
        chosen = [sc for sc in chosen if _matches(sc, patterns)]
        if not chosen:
            raise click.UsageError(f"no scenario matches -k {' -k '.join(patterns)}")
    if last_failed:
        chosen = [sc for sc in chosen if sc.id in last_failed] or chosen
    return chosen


def _read_last_failed(out: Path) -> set[str] | None:
    path = out / LAST_FAILED
    try:
        ids = json.loads(path.read_text(encoding="utf-8"))["failed"]
    except (OSError, ValueError, KeyError, TypeError):
        click.echo(f"no failures recorded in {path}: replaying every scenario", err=True)
        return None
    if not ids:
        click.echo("no scenario failed last time: replaying every scenario", err=True)
    return set(ids)


def _replaced_root(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """`--root` was this command's own spelling of the definitions root; one option for
    every command now, so an old CI line fails saying what to write instead."""
    if value is not None and not ctx.resilient_parsing:
        raise click.UsageError(f"--root is replaced by --definitions: write --definitions "
                               f"{value}")


async def _pause(page: Any, result: ScenarioResult) -> None:
    """`--pause-on-failure`: the failing page stays open with Playwright's inspector."""
    from runner.replay.report import headline

    click.echo(f"\nFAIL {result.scenario.id}: {headline(result)}\n"
               "paused on the failing page: inspect it, then press Resume in the inspector",
               err=True)
    await page.pause()


@click.command("replay", epilog=EPILOG)
@click.argument("platforms", nargs=-1)
@click.option("--fixtures", "fixtures_dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A fixture folder holding scenarios.yaml, or a folder of such folders; any "
                   "names (default: fixtures/ of the definitions root).")
@click.option("-k", "patterns", multiple=True, metavar="PATTERN",
              help="Only scenarios whose id (platform/name) contains PATTERN, or matches it "
                   "as a glob; repeat for more.")
@click.option("--last-failed", "--lf", "last_failed", is_flag=True,
              help="Only the scenarios that failed in the previous run (recorded in --out).")
@click.option("--json", "as_json", is_flag=True,
              help="Print {summary, scenarios} as JSON instead of the table.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JUnit XML report here.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a self-contained HTML report here.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Report folder: evidence per scenario, last failures.")
@click.option("--keep", type=click.Choice(["failed", "all", "none"]), default="failed",
              show_default=True, help="Whose evidence stays in --out.")
@click.option("--report", is_flag=True,
              help="Print the selector health table (which candidate matched where).")
@click.option("--annotations/--no-annotations", default=None,
              help="GitHub Actions annotations (default: on under GitHub Actions).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Scenarios at once.")
@click.option("--root", hidden=True, expose_value=False, callback=_replaced_root,
              help="Replaced by --definitions.")
@click.option("--headed", is_flag=True, help="Show the browser (needs a display).")
@click.option("--pause-on-failure", is_flag=True,
              help="With --headed: stop on a failing scenario's page with the Playwright "
                   "inspector open (one scenario at a time).")
@click.option("--browser", "browser_pref", envvar="PUBLISH_RUNNER_BROWSER")
@click.option("--type-method", type=click.Choice(["insert_text", "keyboard", "fill", "paste"]),
              help="Every `type` step uses this method (default: the one each step names).")
@click.option("--suggest", is_flag=True,
              help="For a selector that did not resolve, print near matches on the page.")
def replay_cmd(platforms: tuple[str, ...], fixtures_dir: Path | None, patterns: tuple[str, ...],
               last_failed: bool, as_json: bool, junit: Path | None, html_file: Path | None,
               out: Path, keep: str, report: bool, annotations: bool | None,
               workers: int | None, headed: bool, pause_on_failure: bool,
               browser_pref: str | None, type_method: Any, suggest: bool) -> None:
    """Replay each fixture scenario through the real playbook and engine, in Chromium with
    the network closed."""
    from runner.engine.definitions import project_root
    from runner.replay import discover, load_scenarios, prune, run_replay
    from runner.replay import report as reports

    if pause_on_failure and not headed:
        raise click.UsageError("--pause-on-failure needs --headed (the inspector is a window)")
    definitions = project_root().resolve()  # --definitions, as every command takes it
    folder = fixtures_dir or definitions / "fixtures"
    files = discover(folder)
    if not files:
        raise click.UsageError(f"no scenarios.yaml in {folder} or its subfolders")
    everything = [sc for f in files for sc in load_scenarios(f)]
    scenarios = _select(everything, platforms, folder, patterns,
                        _read_last_failed(out) if last_failed else None)
    show_progress = not as_json and sys.stdout.isatty()
    bar: Any = None
    if show_progress:
        bar = click.progressbar(length=len(scenarios), label="replaying", show_pos=True)
        bar.__enter__()

    def progress(result: ScenarioResult) -> None:
        if bar is not None:
            bar.update(1)
        elif not as_json:
            click.echo(f"{'ok  ' if result.passed else 'FAIL'} {result.scenario.id} "
                       f"({result.duration_s:.2f}s)")

    try:
        result = asyncio.run(run_replay(
            scenarios, out_dir=out, workers=workers, root=definitions, on_result=progress,
            trace=keep != "none", browser_preference=browser_pref, headless=not headed,
            pause=_pause if pause_on_failure else None, type_method=type_method,
            suggest=suggest))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if annotations is None:
        annotations = os.environ.get("GITHUB_ACTIONS") == "true"
    if annotations:
        for r in result.results:
            for note in r.annotations:
                click.echo(str(note))
    if html_file:
        from runner.replay.html_report import to_html

        reports.write(html_file, to_html(result, html_file, linked=lambda r: keep == "all" or (
            keep == "failed" and not r.passed)))
    prune(result, keep)
    reports.write(out / LAST_FAILED, json.dumps(
        {"failed": [r.scenario.id for r in result.failed]}, indent=2) + "\n")
    if junit:
        reports.write(junit, reports.to_junit(result))
    if as_json:
        click.echo(reports.to_json(result, fixtures=str(folder), report_folder=str(out)))
    else:
        click.echo(reports.table(result))
        for r in result.results:
            if r.suggestions:
                click.echo(f"\nnear matches for {r.failed_selector} ({r.scenario.id}); paste "
                           "one under its candidates: and replay:")
                for s in r.suggestions:
                    click.echo(f"  {s['rank']}. {s['yaml']}   # {s['element']}: "
                               f"{', '.join(s['reasons'])}")
    if report:
        names = sorted({sc.platform for sc in scenarios})
        click.echo("\nselector health\n" + reports.health(
            result, {n: result_platform for n in names
                     if (result_platform := _platform(n, definitions)) is not None},
            definitions))
    sys.exit(result.exit_code)


def _platform(name: str, root: Path) -> Any:
    from common.errors import DefinitionError
    from runner.engine import load_platform

    try:
        return load_platform(name, root)
    except DefinitionError:
        return None  # its scenarios already report why it cannot load


def register(group: click.Group) -> None:
    group.add_command(replay_cmd)
