"""What every service holds, and the one way a service reaches the store: off the event loop.

The store's methods block (SQLite file I/O, a PostgreSQL round trip), and the server answers
every device from one event loop: a store call made on the loop would stall every long poll
and heartbeat while it runs. So a service runs each store call in a worker thread
(`offload`) and keeps on the loop only what must stay there: the wake-ups, which are not
thread-safe and cost nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from server.assets import AssetFiles
from server.recovery import Uptime
from server.settings import ServerSettings
from server.store import Store
from server.wakeup import Wakeup

__all__ = ["Parts", "Service", "offload"]

P = ParamSpec("P")
T = TypeVar("T")


async def offload(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn(*args, **kwargs)` in a worker thread; the loop serves others meanwhile."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@dataclass(frozen=True)
class Parts:
    """The server's parts a service works with (built once by `create_app`)."""

    settings: ServerSettings
    store: Store
    wakeup: Wakeup
    assets: AssetFiles
    uptime: Uptime


class Service:
    """Base of the services: the parts, under short names."""

    def __init__(self, parts: Parts) -> None:
        self.settings = parts.settings
        self.store = parts.store
        self.wakeup = parts.wakeup
        self.assets = parts.assets
        self.uptime = parts.uptime
