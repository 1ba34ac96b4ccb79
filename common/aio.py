"""Small asyncio helpers: wait for the first of several things; supervise side tasks.

A long-running program (the daemon) has one main task and side tasks that must live as long
as it does (the outbox sender, the heartbeat). A side task that dies silently is the worst
failure: everything looks alive while results pile up. `Supervisor` makes such a death loud:
it is logged with its traceback and the main task is told to stop, so the process ends with
a non-zero exit instead of running on half-broken. Nothing here swallows an exception the
way `gather(..., return_exceptions=True)` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["SideTaskFailed", "Supervisor", "first_of", "sleep_or"]

log = logging.getLogger(__name__)
T = TypeVar("T")


async def first_of(*things: Awaitable[Any] | asyncio.Event,
                   timeout: float | None = None) -> int | None:
    """Wait until the first of `things` is done; return its index, or None on timeout.

    An `asyncio.Event` counts as done when it is set. Coroutines and events are wrapped in
    tasks of our own, and those are cancelled before returning. A Task or Future passed in is
    the caller's: it is never cancelled here (a claim in flight may carry a job that must not
    be dropped), so the caller decides what to do with it.
    """
    futures: list[asyncio.Future[Any]] = []
    owned: list[asyncio.Future[Any]] = []
    for thing in things:
        if isinstance(thing, asyncio.Event):
            future: asyncio.Future[Any] = asyncio.ensure_future(thing.wait())
            owned.append(future)
        elif isinstance(thing, asyncio.Future):
            future = thing
        else:
            future = asyncio.ensure_future(thing)
            owned.append(future)
        futures.append(future)
    try:
        done, _ = await asyncio.wait(futures, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in owned:
            future.cancel()
        if owned:  # let them finish cancelling; a cancel of our own caller still goes on
            await asyncio.wait(owned)
            for future in owned:
                if not future.cancelled():
                    future.exception()  # retrieved: a failure of a helper is not ours
    for index, future in enumerate(futures):
        if future in done:
            return index
    return None


async def sleep_or(seconds: float, *wake: asyncio.Event) -> bool:
    """Sleep `seconds`, or less when one of `wake` is set; True when woken."""
    if not wake:
        await asyncio.sleep(seconds)
        return False
    return await first_of(*wake, timeout=seconds) is not None


class SideTaskFailed(Exception):
    """A supervised side task crashed or ended while the program still ran."""

    def __init__(self, name: str, cause: BaseException | None) -> None:
        self.name = name
        self.cause = cause
        what = f"crashed: {cause!r}" if cause is not None else "ended unexpectedly"
        super().__init__(f"side task {name!r} {what}")


class Supervisor:
    """Side tasks that live as long as the program; a crash is logged and stops it.

        async with Supervisor() as sup:
            sup.spawn("sender", outbox.run_sender(...))
            await sup.run(main())   # raises SideTaskFailed if a side task dies first

    `on_failure` is called once, at the first failure, so the main task can wind down in
    an orderly way (stop claiming, hand jobs back) before `run` raises. Leaving the block
    cancels whatever side tasks are left and waits for them.
    """

    def __init__(self, on_failure: Any = None) -> None:
        self._tasks: dict[asyncio.Task[Any], str] = {}
        self._may_end: set[asyncio.Task[Any]] = set()
        self._closing = False
        self.failure: SideTaskFailed | None = None
        self.failed = asyncio.Event()
        self._on_failure = on_failure

    async def __aenter__(self) -> Supervisor:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    def spawn(self, name: str, coro: Coroutine[Any, Any, Any], *,
              may_end: bool = False) -> asyncio.Task[Any]:
        """Start a side task. It must not end before the supervisor is closed unless
        `may_end` (then only a crash counts as a failure)."""
        task = asyncio.ensure_future(coro)
        self._tasks[task] = name
        if may_end:
            self._may_end.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        name = self._tasks.get(task, "?")
        if self._closing or (task.cancelled() and self.failure is not None):
            return
        cause = None if task.cancelled() else task.exception()
        if cause is None and task in self._may_end:
            return
        failure = SideTaskFailed(name, cause)
        if cause is not None:
            log.critical("%s; stopping", failure, exc_info=cause)
        else:
            log.critical("%s; stopping", failure)
        if self.failure is None:
            self.failure = failure
            self.failed.set()
            if self._on_failure is not None:
                self._on_failure(failure)

    async def run(self, main: Awaitable[T]) -> T:
        """Run `main` to its end; then raise the side task failure if there was one.

        With no `on_failure` given, the main task is cancelled at the first failure."""
        task = asyncio.ensure_future(main)
        try:
            if self._on_failure is None:
                await first_of(task, self.failed)
                if not task.done():
                    task.cancel()
            result = await task
        except asyncio.CancelledError:
            if self.failure is not None and task.cancelled():
                raise self.failure from self.failure.cause
            raise
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if self.failure is not None:
            raise self.failure from self.failure.cause
        return result

    async def close(self) -> None:
        """Cancel the side tasks left and wait for them to end."""
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await task
                except Exception:  # it crashed while being cancelled: still say so
                    log.exception("side task %r failed while stopping",
                                  self._tasks.get(task, "?"))
