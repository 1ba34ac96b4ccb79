"""`Patience`: a wait stops at its deadline, or after one more look once the page was seen
settled; without a probe (live runs) only the deadline counts."""

from __future__ import annotations

import asyncio
import time

import pytest

from runner.engine.locate import Patience


def _probe(answers: list[bool]) -> tuple[list[int], object]:
    asked = [0]

    async def settled() -> bool:
        asked[0] += 1
        return answers.pop(0) if answers else True

    return asked, settled


async def _looks(patience: Patience) -> int:
    looks = 0
    while True:
        looks += 1  # a look that found nothing
        if await patience.exhausted():
            return looks
        await patience.pause(0.01)


@pytest.mark.asyncio
async def test_without_a_probe_the_wait_lasts_its_timeout() -> None:
    started = time.monotonic()
    looks = await _looks(Patience(0.2, None))
    assert time.monotonic() - started >= 0.2
    assert looks > 3


@pytest.mark.asyncio
async def test_a_settled_page_gets_one_more_look_then_the_wait_ends() -> None:
    asked, settled = _probe([True])
    started = time.monotonic()
    assert await _looks(Patience(30, settled)) == 2  # type: ignore[arg-type]
    assert time.monotonic() - started < 1
    assert asked == [1]


@pytest.mark.asyncio
async def test_a_page_still_busy_keeps_the_wait_going_until_it_settles() -> None:
    asked, settled = _probe([False, False, False, True])
    assert await _looks(Patience(30, settled)) == 5  # type: ignore[arg-type]
    assert asked == [4]


@pytest.mark.asyncio
async def test_the_deadline_still_ends_a_wait_on_a_page_that_never_settles() -> None:
    async def never() -> bool:
        await asyncio.sleep(0)
        return False

    started = time.monotonic()
    await _looks(Patience(0.2, never))
    assert 0.2 <= time.monotonic() - started < 2
