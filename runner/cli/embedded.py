"""Starting the daemon: settings, the server it talks to (or an embedded one), signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from common.config import EmbeddedSettings
from runner.device.daemon import Daemon
from runner.device.settings import DaemonSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerEndpoint:
    url: str
    enroll_token: str | None
    operator_token: str | None = None
    embedded: bool = False


@contextlib.contextmanager
def server_for(settings: DaemonSettings,
               embedded: EmbeddedSettings | None = None) -> Iterator[ServerEndpoint]:
    """The configured server, or the reference server started in this process on SQLite
    (the config's `embedded` section; by default the device section's `db` and token)."""
    if embedded is None:
        embedded = EmbeddedSettings(db=settings.db, operator_token=settings.operator_token)
    if settings.server_url:
        yield ServerEndpoint(settings.server_url, settings.enroll_token, settings.operator_token)
        return
    from server.auth import ensure_tokens
    from server.serve import ServerThread
    from server.settings import ServerSettings

    data = settings.home / "server"
    data.mkdir(parents=True, exist_ok=True)
    tokens = ensure_tokens(data, operator=embedded.operator_token,
                           enroll=settings.enroll_token)
    server_settings = ServerSettings(
        db=embedded.db, host=embedded.host, port=embedded.port, data_dir=data,
        operator_token=tokens.operator, enroll_token=tokens.enroll,
    )
    with ServerThread(server_settings) as thread:
        log.info("embedded server at %s", thread.url)
        yield ServerEndpoint(thread.url, tokens.enroll, tokens.operator, embedded=True)


async def _main(settings: DaemonSettings, endpoint: ServerEndpoint) -> int:
    daemon = Daemon(settings, endpoint.url, enroll_token=endpoint.enroll_token)
    daemon.install_signals()
    return await daemon.run()


def run(settings: DaemonSettings, announce: bool = True,
        embedded: EmbeddedSettings | None = None) -> int:
    with server_for(settings, embedded) as endpoint:
        if endpoint.embedded and announce:
            print(f"embedded server: {endpoint.url}", flush=True)
            print(f"operator token: {endpoint.operator_token}", flush=True)
        return asyncio.run(_main(settings, endpoint))
