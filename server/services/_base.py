"""What every service holds, and the one way a service reaches the store (`Service.call`).

The store's methods block, and the server answers every device from one event loop. A
PostgreSQL round trip waits on the network, so with a shared store each call runs in a worker
thread (`offload`) and the loop serves others meanwhile. A SQLite call is a few tens of
microseconds of local work under one lock; handing it to a thread costs more than it saves:
the GIL changes hands twice per call, and measured with `bench/claims.py` (320 jobs due a
second, 50 long-polling devices) claims fell from 318 to 124 a second. So SQLite calls run on
the loop, as one decision in this one place. The wake-ups always stay on the loop (they are
not thread-safe and cost nothing); work that is slow whatever the store (zipping a bundle)
uses `offload` directly.
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
    offload_store: bool = False  # run store calls in worker threads (a networked store)


class Service:
    """Base of the services: the parts, under short names."""

    def __init__(self, parts: Parts) -> None:
        self.settings = parts.settings
        self.store = parts.store
        self.wakeup = parts.wakeup
        self.assets = parts.assets
        self.uptime = parts.uptime
        self._offload_store = parts.offload_store

    async def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A store call: in a worker thread for a networked store, else right here."""
        if self._offload_store:
            return await asyncio.to_thread(fn, *args, **kwargs)
        return fn(*args, **kwargs)
