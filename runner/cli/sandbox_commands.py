"""`publish-runner sandbox`: serve the local sandbox social site in the foreground, so the
demo (or a person with a browser) has somewhere real-looking to publish to."""

from __future__ import annotations

import click


def _parse_account(value: str) -> tuple[str, str]:
    name, _, locale = value.partition(":")
    locale = locale or "en"
    if not name or locale not in ("en", "ar"):
        raise click.BadParameter(f"{value!r}: expected NAME or NAME:en or NAME:ar")
    return name, locale


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("accounts", "--account", multiple=True, metavar="NAME[:LOCALE]",
              help="Add an account (password = name; locale en or ar). Repeatable; "
                   "the default accounts main (en) and arabic (ar) always exist.")
@click.option("--log-level", "server_log_level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              help="uvicorn's log level (info shows every request).")
def sandbox_cmd(
    host: str, port: int, accounts: tuple[str, ...], server_log_level: str
) -> None:
    """Serve the sandbox social site until interrupted (Ctrl+C)."""
    import asyncio
    import contextlib

    import uvicorn

    from sandbox import SandboxError, SandboxState, create_app

    state = SandboxState()
    for value in accounts:
        name, locale = _parse_account(value)
        try:
            state.add_account(name, name, locale)
        except SandboxError as exc:
            raise click.BadParameter(f"{value!r}: {exc}", param_hint="--account") from None

    config = uvicorn.Config(
        create_app(state), host=host, port=port, log_level=server_log_level,
        lifespan="off", ws="none", timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    shown_host = f"[{host}]" if ":" in host else host

    async def announce() -> None:
        """Print the URL once the socket is bound (so port 0 shows the real port)."""
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.05)
        bound = port
        for srv in server.servers:
            for sock in srv.sockets:
                bound = int(sock.getsockname()[1])
        url = f"http://{shown_host}:{bound}"
        click.echo(f"Sandbox social site: {url}")
        click.echo("Accounts (log in at /login; password = as shown):")
        for account in state.accounts():
            click.echo(f"  {account.name:<12} password {account.password!r:<12} "
                       f"locale {account.locale}")
        click.echo(f"Composer: {url}/compose   Control API: {url}/_control/state (loopback only)")
        click.echo("Faults per request: add ?fault=NAME to a page, e.g. /compose?fault=slow")
        click.echo("Press Ctrl+C to stop.")

    async def serve() -> None:
        announcer = asyncio.create_task(announce())
        try:
            await server.serve()
        finally:
            announcer.cancel()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


def register(group: click.Group) -> None:
    """Add this module's commands to the main group."""
    group.add_command(sandbox_cmd)
