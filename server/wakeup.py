"""In-process wake-up for long-poll claims: no loop querying the database.

Concurrency notes: everything here runs on the server's event loop thread. A waiting claim
registers a future *after* its claim query found nothing, with no await in between, so a
notification cannot slip through the gap. Each job that comes due wakes at most one matching
waiter (not the whole herd); a woken waiter claims whatever matching job is due, and the
claim query, not the wake-up, decides who gets which job. Jobs scheduled in the future are
announced by one timer set to the earliest due time, re-armed after it fires and whenever
something is scheduled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from contract import models as s
from server.store import Store

log = logging.getLogger(__name__)

Matcher = Callable[[s.Target], bool]


@dataclass(eq=False)
class _Waiter:
    matches: Matcher
    future: asyncio.Future[s.Target | None] = field(repr=False)


def matcher(platforms: Iterable[str], accounts: Iterable[s.Target]) -> Matcher:
    """Which jobs a claim asked for: its platforms, narrowed to its accounts if it gave any."""
    wanted_platforms = set(platforms)
    wanted_accounts = {(a.platform, a.account) for a in accounts}

    def matches(t: s.Target) -> bool:
        if t.platform not in wanted_platforms:
            return False
        return not wanted_accounts or (t.platform, t.account) in wanted_accounts

    return matches


class Wakeup:
    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._waiters: list[_Waiter] = []
        self._timer: asyncio.TimerHandle | None = None
        self._horizon = clock()  # jobs due up to here have been announced
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closed = False
        self.rearm()

    def close(self) -> None:
        """Release every waiter (they answer 204) and stop the timer."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_result(None)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def wait(self, matches: Matcher, timeout: float) -> s.Target | None:
        """Return the target of a matching job that came due, or None after `timeout`
        seconds (or on shutdown)."""
        if self._closed or timeout <= 0:
            return None
        waiter = _Waiter(matches, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            return None
        finally:
            self._waiters.remove(waiter)

    def notify(self, targets: Iterable[s.Target]) -> None:
        """Wake one waiting claim per job that is due now."""
        for target in targets:
            for waiter in self._waiters:
                if not waiter.future.done() and waiter.matches(target):
                    waiter.future.set_result(target)
                    break

    def notify_threadsafe(self, targets: list[s.Target]) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.notify, targets)

    def rearm(self) -> None:
        """Set the timer to the earliest QUEUED job not yet announced."""
        if self._loop is None or self._closed:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        due = self._store.next_due_after(self._horizon)
        if due is not None:
            delay = max(0.0, due - self._clock())
            self._timer = self._loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = self._clock()
        try:
            targets = self._store.due_targets(self._horizon, now)
        except Exception:  # the store failing must not kill the timer for good
            log.exception("wake-up timer could not read due jobs", extra={"action": "wakeup"})
            targets = []
        self._horizon = now
        self.notify(targets)
        self.rearm()
