"""`publish-runner replay`: playbooks against saved HTML fixtures, for CI."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import click


@click.command("replay")
@click.argument("platforms", nargs=-1)
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False, path_type=Path),
              help="A platform's fixture folder or a folder of them (default: fixtures/).")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a JUnit XML report here.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Keep proofs, failure HTML and traces here.")
@click.option("--report", is_flag=True, help="Print the selector health table.")
@click.option("--annotations/--no-annotations", default=None,
              help="GitHub Actions annotations (default: on under GitHub Actions).")
@click.option("--workers", type=int, default=None, help="Scenarios at once.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding playbooks/ and selectors/ (default: this project).")
@click.option("--browser", "browser_pref", envvar="PUBLISH_RUNNER_BROWSER")
def replay_cmd(platforms: tuple[str, ...], fixtures_dir: Path | None, as_json: bool,
               junit: Path | None, out: Path | None, report: bool,
               annotations: bool | None, workers: int | None, root: Path | None,
               browser_pref: str | None) -> None:
    """Replay each fixture scenario through the real playbook and engine; exit 0 only when
    every scenario matches its expectations."""
    from runner.engine.definitions import project_root
    from runner.replay import discover, load_scenarios, run_replay
    from runner.replay import report as reports

    folder = fixtures_dir or (root or project_root()) / "fixtures"
    files = discover(folder, list(platforms) or None)
    if not files:
        raise click.ClickException(f"no scenarios.yaml under {folder}"
                                   + (f" for {', '.join(platforms)}" if platforms else ""))
    scenarios = [sc for f in files for sc in load_scenarios(f)]
    show_progress = not as_json and sys.stdout.isatty()
    bar: Any = None
    if show_progress:
        bar = click.progressbar(length=len(scenarios), label="replaying", show_pos=True)
        bar.__enter__()

    def progress(result: Any) -> None:
        if bar is not None:
            bar.update(1)
        elif not as_json:
            click.echo(f"{'ok  ' if result.passed else 'FAIL'} {result.scenario.id} "
                       f"({result.duration_s:.2f}s)")

    try:
        result = asyncio.run(run_replay(scenarios, out_dir=out, workers=workers, root=root,
                                        on_result=progress, trace=out is not None,
                                        browser_preference=browser_pref))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if annotations is None:
        annotations = os.environ.get("GITHUB_ACTIONS") == "true"
    if annotations:
        for r in result.results:
            for note in r.annotations:
                click.echo(str(note))
    if as_json:
        click.echo(reports.to_json(result))
    else:
        click.echo(reports.table(result))
    if junit:
        reports.write(junit, reports.to_junit(result))
    if report:
        from runner.engine import load_platform

        names = sorted({sc.platform for sc in scenarios})
        click.echo("\nselector health\n" + reports.health(
            result, {n: load_platform(n, root) for n in names}))
    sys.exit(0 if result.passed else 1)


def register(group: click.Group) -> None:
    group.add_command(replay_cmd)
