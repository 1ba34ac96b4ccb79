"""`serve` and the operator commands (post, jobs, job, cancel, retry, confirm, devices).

The operator commands talk to the server over its API; the URL and operator token come from
flags, `PUBLISH_RUNNER_SERVER_URL` / `PUBLISH_RUNNER_OPERATOR_TOKEN`, or the config file's
`operator:` section, and on the server's own machine the token it saved is found by itself.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from common.config import OperatorSettings
from runner.cli.duration_param import DURATION
from runner.cli.params import (
    DEFAULT_ACCOUNT,
    JOB_STATUSES,
    TIME_FORMATS,
    PlatformName,
    Timestamp,
)

T = TypeVar("T")


def _config_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config", type=click.Path(path_type=Path), default=None,
                        help="YAML settings file (default: the user's config.yaml).")(f)


def _operator_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")(f)
    f = click.option("--operator-token", default=None, help="Operator token.")(f)
    f = click.option("--server-url", default=None, help="Server URL.")(f)
    return _config_option(f)


def _operator(config: Path | None, server_url: str | None, token: str | None) -> Any:
    from common import settings as base
    from runner.client import ServerClient
    from server import auth
    from server import settings as server_settings

    file = config or base.default_config_file()
    opts = base.load(OperatorSettings, file=file, section="operator",
                     flags={"server_url": server_url, "operator_token": token})
    found = opts.operator_token
    if found is None:
        local = server_settings.load(file=file)
        found = local.operator_token or auth.saved_operator_token(local.resolved_data_dir())
    if found is None:
        raise click.UsageError("no operator token: pass --operator-token or set "
                               "PUBLISH_RUNNER_OPERATOR_TOKEN")
    return ServerClient(opts.server_url, found)


def _run(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(make())


def _show(value: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    from runner.client import dumps

    click.echo(dumps(value) if as_json else text(value))


def _job_line(j: Any) -> str:
    extra = f"  {j.last_error_message}" if j.last_error_message else ""
    return (f"{j.id}  {j.status.value:<16} {j.platform}/{j.account}  "
            f"attempts={j.attempt_count}/{j.max_attempts}  {j.scheduled_at.isoformat()}{extra}")


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
    group.add_command(serve)
    group.add_command(prune)
    for command in (post, jobs, job, cancel, retry, confirm, devices):
        group.add_command(command)


def _server_default(name: str) -> str:
    """The server setting's default as `--help` shows it (the flag's own default is None, so
    the config file and the environment still count)."""
    from common.config import ServerSettings

    value = ServerSettings.model_fields[name].default
    return f"{value:g}" if isinstance(value, float) else str(value)


def _serve_option(flag: str, help_text: str, name: str | None = None,
                  **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    default = f" [default: {_server_default(name)}]" if name else ""
    return click.option(flag, default=None, help=help_text + default, **kw)


@click.command()
@_serve_option("--db", "SQLite file (or sqlite:///PATH), or a PostgreSQL URL "
               "(postgresql://USER@HOST/DB) for several replicas [default: DATA_DIR/server.db].",
               metavar="PATH_OR_URL")
@click.option("--workers", type=click.IntRange(min=1), default=1,
              help="Server processes on this port, each a replica (PostgreSQL only) "
                   "[default: 1].")
@_serve_option("--host", "Address to listen on; 0.0.0.0 for every interface.", "host")
@_serve_option("--port", "TCP port.", "port", type=int)
@_serve_option("--operator-token", "Bearer token of the operator API and the dashboard "
               "[default: generated once, saved in DATA_DIR/tokens.json].")
@_serve_option("--enroll-token", "Token a device registers with once "
               "[default: generated once, saved in DATA_DIR/tokens.json].")
@_serve_option("--claim-timeout", "How long a job may stay CLAIMED before it is re-queued "
               "(90, 30s, 5m).",
               "claim_timeout_s", type=DURATION)
@_serve_option("--claim-ack-timeout", "How long a claim may go unstarted before it is "
               "re-queued without counting an attempt (its reply never reached a device).",
               "claim_ack_timeout_s", type=DURATION)
@_serve_option("--run-timeout", "How long a RUNNING job may go silent before recovery "
               "(600, 10m).",
               "run_timeout_s", type=DURATION)
@_serve_option("--recovery-interval", "Time between two recovery passes (120, 2m).",
               "recovery_interval_s", type=DURATION)
@_serve_option("--max-attempts", "Attempts of a job before it is FAILED.", "max_attempts",
               type=int)
@_serve_option("--data-dir", "Folder of the database, tokens and assets "
               "[default: the user's data folder/server].", type=click.Path(path_type=Path))
@_config_option
def serve(config: Path | None, workers: int, **flags: Any) -> None:
    """Run the reference publishing server and its dashboard.

    Tokens not given are generated on the first start, saved owner-only in DATA_DIR's
    tokens.json and printed that once; later starts say where they are. SIGTERM or Ctrl+C
    releases waiting devices and stops cleanly. With --workers N (PostgreSQL), N processes
    share the port; each answers with its process id in the X-Publish-Runner-Worker header.
    """
    from common import settings as base
    from server import auth
    from server import serve as serving
    from server import settings as server_settings
    from server.store import is_postgres

    settings = server_settings.load(file=config or base.default_config_file(), flags=flags)
    if workers > 1 and not (settings.db and is_postgres(settings.db)):
        raise click.UsageError("--workers above 1 needs a PostgreSQL --db: a SQLite database "
                               "belongs to one server process")
    data = settings.resolved_data_dir()
    tokens = auth.ensure_tokens(data, operator=settings.operator_token,
                                enroll=settings.enroll_token)
    for name in tokens.generated:  # stdout, once: never through the log stream
        click.echo(f"generated {name} token: {getattr(tokens, name)}")
    saved = data / auth.TOKENS_FILE
    if saved.exists() and {"operator", "enroll"} - set(tokens.generated):
        click.echo(f"tokens: {saved} (owner-only)")
    settings = settings.model_copy(update={"operator_token": tokens.operator,
                                           "enroll_token": tokens.enroll})
    url = f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '::') else settings.host}" \
          f":{settings.port}"
    click.echo(f"serving on {url}\ndashboard: {url}/app/publishing", err=True)
    if workers > 1:
        sys.exit(serving.run_workers(settings, workers))
    serving.run(settings)


@click.command()
@click.option("--older-than", "older_than", type=DURATION, default=None,
              help="Remove what finished longer ago than this (30d, 12h) [default: the "
                   "server's retention_s, " + _server_default("retention_s") + " s].")
@click.option("--dry-run", is_flag=True, help="Only count what would go.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@_serve_option("--db", "SQLite file (or sqlite:///PATH), or a PostgreSQL URL "
               "[default: DATA_DIR/server.db].", metavar="PATH_OR_URL")
@_serve_option("--data-dir", "The server's folder (its assets are removed with their rows).",
               type=click.Path(path_type=Path))
@_config_option
def prune(older_than: float | None, dry_run: bool, as_json: bool, config: Path | None,
          **flags: Any) -> None:
    """Remove finished posts (every job SUCCEEDED, FAILED or CANCELLED, nothing changed since
    the cutoff) with their jobs, runs, logs, proofs and snapshots, and assets nothing refers
    to any more. A live job's post is never touched; the audit log is kept. Run it where
    the server's database and data folder are."""
    import json

    from common import settings as base
    from server import settings as server_settings
    from server.services import retention

    settings = server_settings.load(file=config or base.default_config_file(), flags=flags)
    done = retention.prune(settings, older_than_s=older_than, dry_run=dry_run)
    counts = {"posts": done.posts, "jobs": done.jobs, "runs": done.runs, "events": done.events,
              "proofs": done.proofs, "snapshots": done.snapshots,
              "canaryResults": done.canary_results, "assets": len(done.assets),
              "dryRun": dry_run}
    if as_json:
        click.echo(json.dumps(counts))
    else:
        verb = "would remove" if dry_run else "removed"
        click.echo(f"{verb} " + ", ".join(f"{v} {k}" for k, v in counts.items()
                                          if k != "dryRun"))


@click.command()
@click.option("--platform", "platforms", multiple=True, required=True, type=PlatformName(),
              help="Platform to post on; repeat it for several (--platform x --platform "
                   "threads): one job each.")
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True,
              help="Account on every platform given.")
@click.option("--text", required=True, help="The post's text.")
@click.option("--media", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="An image or video to attach; repeatable.")
@click.option("--at", "when", type=Timestamp(), default="now", show_default=True,
              help=f"When to publish: {TIME_FORMATS}.")
@click.option("--confirm", "confirm_mode", type=click.Choice(["auto", "manual"]), default="auto",
              show_default=True, help="manual: an operator confirms before the post goes out.")
@_operator_options
def post(platforms: tuple[str, ...], account: str, text: str, media: tuple[Path, ...],
         when: datetime, confirm_mode: str, config: Path | None, server_url: str | None,
         operator_token: str | None, as_json: bool) -> None:
    """Create, approve and schedule a post in one go."""
    from contract import models as s

    async def go() -> s.ScheduleResponse:
        async with _operator(config, server_url, operator_token) as client:
            ids = [(await client.upload_asset(p.read_bytes(), p.name)).asset_id for p in media]
            created = await client.create_post(s.PostCreate(
                text=text, media=ids, confirm_mode=s.ConfirmMode(confirm_mode),
                targets=[s.Target(platform=p, account=account) for p in platforms]))
            await client.submit_post(created.id)
            await client.approve_post(created.id)
            reply: s.ScheduleResponse = await client.schedule_post(
                created.id, s.ScheduleRequest(scheduled_at=when))
            return reply

    _show(_run(go), as_json, lambda r: "\n".join(
        [f"post {r.id} {r.status.value}", *(_job_line(j) for j in r.jobs),
         *(f"warning: {w}" for w in r.warnings)]))


@click.command()
@click.option("--status", type=click.Choice(JOB_STATUSES, case_sensitive=False),
              default=None, help="Only jobs in this status.")
@_operator_options
def jobs(status: str | None, config: Path | None, server_url: str | None,
         operator_token: str | None, as_json: bool) -> None:
    """List publishing jobs."""
    from contract import models as s

    async def go() -> tuple[list[s.Job], list[s.Device]]:
        async with _operator(config, server_url, operator_token) as client:
            found: list[s.Job] = await client.list_jobs(
                status=s.JobStatus(status) if status else None, limit=1000)
            known: list[s.Device] = [] if as_json else await client.devices()
            return found, known

    found, known = _run(go)
    notes = _login_notes(known, found)
    _show(found, as_json, lambda js: "\n".join(
        _job_line(j) + notes.get(j.id, "") for j in js) or "no jobs")


LOGIN_NOTES = {"login_none": "no device is logged in to {target}",
               "login_unchecked": "the login for {target} is not yet checked"}


def _login_notes(devices: list[Any], jobs: list[Any]) -> dict[str, str]:
    """Job id → what the dashboard says of a waiting job whose account no device can publish
    (the same rule: `server.dashboard.logins`)."""
    from server.dashboard.logins import login_notices

    by_id = {j.id: j for j in jobs}
    return {job_id: "  (" + LOGIN_NOTES[word].format(
                target=f"{by_id[job_id].platform}/{by_id[job_id].account}") + ")"
            for job_id, word in login_notices(devices, jobs).items()}


@click.command()
@click.argument("job_id")
@_operator_options
def job(job_id: str, config: Path | None, server_url: str | None, operator_token: str | None,
        as_json: bool) -> None:
    """A job with its runs, logs and proof links."""
    from contract import models as s

    async def go() -> tuple[s.JobDetail, str]:
        async with _operator(config, server_url, operator_token) as client:
            detail: s.JobDetail = await client.get_job(job_id)
            return detail, client.base_url

    detail, base = _run(go)

    def text(d: s.JobDetail) -> str:
        lines = [_job_line(d)]
        for run in d.runs:
            lines.append(f"  run {run.id} attempt {run.attempt} {run.status.value}"
                         f" {run.error_code or ''} {run.error_message or ''}".rstrip())
            lines += [f"    {e.seq:>4} {e.at.isoformat()} {e.level:<5} {e.phase}/{e.step}"
                      f" {e.message}" for e in run.logs]
            lines += [f"    proof {p.kind.value}: {base}/api/assets/{p.asset_id}"
                      for p in run.proofs]
        return "\n".join(lines)

    _show(detail, as_json, text)


def _job_action(name: str, doc: str, call: Callable[[Any, str], Awaitable[Any]]) -> click.Command:
    @click.command(name=name, help=doc)
    @click.argument("job_id")
    @_operator_options
    def command(job_id: str, config: Path | None, server_url: str | None,
                operator_token: str | None, as_json: bool) -> None:
        async def go() -> Any:
            async with _operator(config, server_url, operator_token) as client:
                return await call(client, job_id)

        _show(_run(go), as_json, _job_line)

    return command


cancel = _job_action("cancel", "Cancel a job (a running device stops before publishing).",
                     lambda c, j: c.cancel_job(j))
retry = _job_action("retry", "Send a FAILED, NEEDS_LOGIN or CANCELLED job back to QUEUED.",
                    lambda c, j: c.retry_job(j))


@click.command()
@click.argument("job_id")
@click.option("--reject", is_flag=True, help="Reject instead of approving.")
@_operator_options
def confirm(job_id: str, reject: bool, config: Path | None, server_url: str | None,
            operator_token: str | None, as_json: bool) -> None:
    """Answer a manual confirm: approve (default) or --reject."""
    async def go() -> Any:
        async with _operator(config, server_url, operator_token) as client:
            return await client.confirm_job(job_id, not reject)

    _show(_run(go), as_json, _job_line)


@click.command()
@_operator_options
def devices(config: Path | None, server_url: str | None, operator_token: str | None,
            as_json: bool) -> None:
    """Devices with their status and login state."""
    async def go() -> Any:
        async with _operator(config, server_url, operator_token) as client:
            return await client.devices()

    def text(ds: list[Any]) -> str:
        lines = []
        for d in ds:
            logins = ", ".join(f"{x.platform}/{x.account}={'in' if x.logged_in else 'OUT'}"
                               for x in d.login_status)
            lines.append(f"{d.id}  {d.name}  {d.status.value}  "
                         f"seen={d.last_seen_at.isoformat() if d.last_seen_at else '-'}  "
                         f"job={d.current_job_id or '-'}  {logins}")
        return "\n".join(lines) or "no devices"

    _show(_run(go), as_json, text)
