"""The wake-up timer reads a stretch of due times in one look and fires from memory: one
waiting claim woken per job at its due time, one read for a second of steady arrivals, and
a stretch cut at its limit picks up where it stopped."""

from __future__ import annotations

import asyncio
import time
from typing import cast

from contract import models as s
from server import wakeup
from server.store import Store

X = s.Target(platform="x")


class _Due:
    """Only what the timer reads: QUEUED jobs' due times (in memory)."""

    def __init__(self, dues: list[float]) -> None:
        self.dues = sorted(dues)
        self.reads = 0

    def next_due_after(self, after: float) -> float | None:
        return next((d for d in self.dues if d > after), None)

    def due_times(self, after: float, upto: float, limit: int) -> list[tuple[float, s.Target]]:
        self.reads += 1
        return [(d, X) for d in self.dues if after < d <= upto][:limit]


async def _woken_at(store: _Due, count: int, timeout: float = 5) -> list[float]:
    hub = wakeup.Wakeup(cast(Store, store))
    hub.start()
    woken: list[float] = []

    async def one() -> None:
        with hub.listen(lambda t: True) as ear:
            ear.arm()
            if await ear.wait(timeout) is not None:
                woken.append(time.time())
                ear.arm()  # as a claim does before its look: the wake-up is acted on

    waiters = [asyncio.create_task(one()) for _ in range(count)]
    await asyncio.wait(waiters, timeout=timeout + 1)
    hub.close()
    return woken


def test_each_job_wakes_one_claim_at_its_due_time_from_one_read() -> None:
    start = time.time() + 0.2
    store = _Due([start + k * 0.05 for k in range(5)])  # five jobs within 0.2 s
    woken = asyncio.run(_woken_at(store, count=8, timeout=1.5))
    assert len(woken) == 5  # one claim per job, not the herd of eight
    for due, at in zip(store.dues, sorted(woken), strict=True):
        assert at >= due - 0.005  # never before it is due
    assert store.reads == 1  # the whole stretch in one look


def test_a_stretch_cut_at_its_limit_goes_on_from_where_it_stopped(monkeypatch: object) -> None:
    import pytest

    mp = cast(pytest.MonkeyPatch, monkeypatch)
    mp.setattr(wakeup, "AHEAD_LIMIT", 3)
    start = time.time() + 0.2
    store = _Due([start + k * 0.02 for k in range(7)])
    woken = asyncio.run(_woken_at(store, count=10, timeout=1.5))
    assert len(woken) == 7  # none lost at the cuts
    assert store.reads >= 3
