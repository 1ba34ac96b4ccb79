"""In-process wake-up for long-poll claims: no loop querying the database.

Concurrency notes: everything here runs on the server's event loop thread, while the claim
query itself may run in a worker thread (a networked store, see `server.services`). So a
claim arms a `Listener` *before* each look at the store: a job that comes due while the query
runs wakes the armed listener, and the claim looks again instead of waiting, so no
notification slips through the gap. Each job that comes due wakes at most one matching
listener (not the whole herd); the claim query, not the wake-up, decides who gets which job,
and a claim that leaves with a wake-up it did not act on hands it on. Jobs scheduled in the
future are announced by one timer: it reads the jobs due in the next `LOOKAHEAD` seconds in
one look (at most `AHEAD_LIMIT`), then fires at each one's due time from memory, so jobs
coming due at a steady rate cost one read a `LOOKAHEAD`, not two reads a job. Anything
scheduled re-arms it (the stretch read is dropped, the next fire reads afresh); those small
reads stay on the loop, since the timer's horizon must move in order.

Across replicas (a `Shared` store, i.e. PostgreSQL): another process's change arrives as a
LISTEN/NOTIFY callback; this process then looks at the database once (due jobs → waiters,
and the timer re-armed for jobs due later), however many notifications came meanwhile. A
fallback poll does the same look every `FALLBACK_POLL` seconds while claims wait, so a lost
notification costs at most that long, never a missed job.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from contract import models as s
from server.store import Shared, Store

__all__ = ["FALLBACK_POLL", "Listener", "Matcher", "Wakeup", "matcher"]

FALLBACK_POLL = 1.0  # seconds between looks at the database while claims wait (Shared only)
LOOKAHEAD = 1.0  # seconds of coming due times the timer reads in one look
AHEAD_LIMIT = 5000  # at most this many of them (a stretch denser than that is read in parts)

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
    def __init__(
        self, store: Store, *, clock: Callable[[], float] = time.time,
        fallback_poll: float = FALLBACK_POLL,
    ) -> None:
        self._store = store
        self._clock = clock
        self._fallback_poll = fallback_poll
        self._unlisten: Callable[[], None] | None = None
        self._poll: asyncio.TimerHandle | None = None
        self._look_pending = False
        self._waiters: list[_Waiter] = []
        self._timer: asyncio.TimerHandle | None = None
        self._horizon = clock()  # jobs due up to here have been announced
        # Read ahead: every QUEUED job due in (horizon, ahead_until], earliest first.
        self._ahead: collections.deque[tuple[float, s.Target]] = collections.deque()
        self._ahead_until: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closed = False
        self.rearm()
        if isinstance(self._store, Shared) and self._unlisten is None:
            self._unlisten = self._store.listen(self._changed_elsewhere)
            self._poll = self._loop.call_later(self._fallback_poll, self._poll_fired)

    def close(self) -> None:
        """Release every waiter (they answer 204) and stop the timers and the listener."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        if self._poll is not None:
            self._poll.cancel()
            self._poll = None
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_result(None)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def closed(self) -> bool:
        return self._closed

    def listen(self, matches: Matcher) -> Listener:
        """A claim's place in line, for as long as its long poll lasts (`with` it)."""
        return Listener(self, matches)

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
        """Set the timer to the earliest QUEUED job not yet announced (forgetting the stretch
        read ahead: something was scheduled or changed)."""
        if self._loop is None or self._closed:
            return
        self._ahead.clear()
        self._ahead_until = None
        self._set_timer(self._store.next_due_after(self._horizon))

    def _set_timer(self, due: float | None) -> None:
        assert self._loop is not None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if due is not None:
            delay = max(0.0, due - self._clock())
            self._timer = self._loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._closed:
            return
        now = self._clock()
        try:
            if self._ahead_until is None or now > self._ahead_until:
                self._read_ahead(now)
        except Exception:  # the store failing must not kill the timer for good
            log.exception("wake-up timer could not read due jobs", extra={"action": "wakeup"})
            self._ahead.clear()
            self._ahead_until = None
        targets = []
        while self._ahead and self._ahead[0][0] <= now:
            targets.append(self._ahead.popleft()[1])
        # Up to the stretch read (a cut stretch may end before now: the rest comes next).
        self._horizon = max(self._horizon, now if self._ahead_until is None
                            else min(now, self._ahead_until))
        self.notify(targets)
        try:
            if self._ahead:
                self._set_timer(self._ahead[0][0])
            elif self._ahead_until is not None:
                self._set_timer(self._store.next_due_after(self._ahead_until))
            else:
                self._set_timer(self._store.next_due_after(self._horizon))
        except Exception:
            log.exception("wake-up timer could not read due jobs", extra={"action": "wakeup"})

    def _read_ahead(self, now: float) -> None:
        """Read the jobs due in (horizon, now + LOOKAHEAD]. A stretch cut at `AHEAD_LIMIT`
        ends before its last due time (whose jobs may be cut off), unless every job in it is
        due at that one time (a burst: more wake-ups than that find no waiter anyway)."""
        until = now + LOOKAHEAD
        rows = self._store.due_times(self._horizon, until, AHEAD_LIMIT)
        if len(rows) >= AHEAD_LIMIT:
            last = rows[-1][0]
            kept = [r for r in rows if r[0] < last]
            if kept:
                rows, until = kept, kept[-1][0]
            else:
                until = last
        self._ahead = collections.deque(rows)
        self._ahead_until = until

    # --- across replicas (Shared stores) ---------------------------------------------------

    def _changed_elsewhere(self) -> None:
        """Called from the listener's thread: look at the database soon, on the loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._schedule_look)

    def _schedule_look(self) -> None:
        if not self._look_pending and not self._closed:
            self._look_pending = True
            assert self._loop is not None
            self._loop.call_soon(self.look)

    def look(self) -> None:
        """Wake waiters for every job due now and re-arm the timer for later ones."""
        self._look_pending = False
        if self._closed:
            return
        try:
            if self._waiters:
                self.notify(self._store.due_targets(0.0, self._clock()))
            self.rearm()
        except Exception:  # like the timer: a failing look must not stop the next ones
            log.exception("wake-up could not read due jobs", extra={"action": "wakeup"})

    def _poll_fired(self) -> None:
        self.look()
        if not self._closed and self._loop is not None:
            self._poll = self._loop.call_later(self._fallback_poll, self._poll_fired)


class Listener:
    """One long poll's wake-ups: `arm()` before each look at the store, then `wait()`.

    A wake-up that arrives while the look is running is kept (`woken`), so the claim looks
    again rather than sleeping through it. Leaving (`close`, or the end of the `with`) with a
    wake-up no look acted on hands it to the next matching listener.
    """

    def __init__(self, hub: Wakeup, matches: Matcher) -> None:
        self._hub = hub
        self._matches = matches
        self._waiter: _Waiter | None = None

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def arm(self) -> None:
        """Listen afresh: whatever woke us before is being acted on by the coming look."""
        self._drop()
        if not self._hub.closed:
            self._waiter = _Waiter(self._matches, asyncio.get_running_loop().create_future())
            self._hub._waiters.append(self._waiter)

    @property
    def woken(self) -> s.Target | None:
        """The target of a job that came due since `arm()`, if one did."""
        waiter = self._waiter
        if waiter is None or not waiter.future.done() or waiter.future.cancelled():
            return None
        return waiter.future.result()

    async def wait(self, timeout: float) -> s.Target | None:
        """The armed wake-up, or None after `timeout` seconds or on shutdown."""
        waiter = self._waiter
        if waiter is None or timeout <= 0:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        woken = self.woken
        self._drop()
        if woken is not None:
            self._hub.notify([woken])

    def _drop(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is None:
            return
        if not waiter.future.done():
            waiter.future.cancel()
        if waiter in self._hub._waiters:
            self._hub._waiters.remove(waiter)
