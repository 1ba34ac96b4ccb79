"""Whether the server answers: the daemon's clients report every connection failure and
every answer here, so the status line can say "server unreachable since 12:03:05, retrying"
from the first failed attempt, not only once a call has used up its retry budget.

The watch sits in the clients' transport: it sees each attempt the client's retries make
and passes every request, response and error through unchanged (the client still
translates httpx's errors; this only notes them).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import datetime

import httpx

log = logging.getLogger(__name__)


class Reachability:
    """The time of the first connection failure since the server last answered, or None.
    `on_change` gets the new value whenever it changes."""

    def __init__(self, on_change: Callable[[datetime | None], None] | None = None) -> None:
        self.down_since: datetime | None = None
        self.on_change = on_change

    def failed(self) -> None:
        if self.down_since is not None:
            return
        self.down_since = datetime.now().astimezone()
        log.warning("server unreachable since %s; retrying", self.down_since.strftime("%H:%M:%S"))
        if self.on_change:
            self.on_change(self.down_since)

    def answered(self) -> None:
        if self.down_since is None:
            return
        since, self.down_since = self.down_since, None
        log.warning("server reachable again (unreachable since %s)", since.strftime("%H:%M:%S"))
        if self.on_change:
            self.on_change(None)


class WatchedTransport(httpx.AsyncBaseTransport):
    """A transport that tells `Reachability` what each attempt met."""

    def __init__(self, reach: Reachability, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.reach = reach
        # What the client would use without one: small JSON requests, so no Nagle delay.
        self.inner = inner or httpx.AsyncHTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.reach.failed()
            raise
        self.reach.answered()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


__all__ = ["Reachability", "WatchedTransport"]
