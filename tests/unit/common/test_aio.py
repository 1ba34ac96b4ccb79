"""`common.aio`: the first of several things, and side tasks whose death is never silent."""

from __future__ import annotations

import asyncio

import pytest

from common.aio import SideTaskFailed, Supervisor, first_of, sleep_or


@pytest.mark.asyncio
async def test_first_of_says_which_and_cancels_only_what_it_made() -> None:
    event = asyncio.Event()
    slow = asyncio.ensure_future(asyncio.sleep(10))
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, event.set)
    assert await first_of(slow, event, asyncio.sleep(10)) == 1
    assert not slow.done()  # the caller's task is the caller's
    slow.cancel()
    assert await first_of(asyncio.Event(), timeout=0.01) is None
    assert await sleep_or(0.01, asyncio.Event()) is False


@pytest.mark.asyncio
async def test_a_cancel_of_the_caller_is_not_swallowed_while_helpers_wind_down() -> None:
    waiter = asyncio.ensure_future(first_of(asyncio.Event(), timeout=10))
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter


@pytest.mark.asyncio
async def test_a_side_task_that_crashes_stops_the_main_task() -> None:
    async def crash() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("boom")

    main_cancelled = False

    async def main() -> None:
        nonlocal main_cancelled
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            main_cancelled = True
            raise

    async with Supervisor() as sup:
        sup.spawn("crasher", crash())
        with pytest.raises(SideTaskFailed, match=r"crasher.*boom") as caught:
            await sup.run(main())
    assert main_cancelled and isinstance(caught.value.cause, RuntimeError)


@pytest.mark.asyncio
async def test_a_side_task_that_ends_early_is_a_failure_unless_it_may() -> None:
    told: list[str] = []
    wind_down = asyncio.Event()

    async def main() -> str:
        await wind_down.wait()
        return "wound down"

    def on_failure(failure: SideTaskFailed) -> None:
        told.append(failure.name)
        wind_down.set()

    async with Supervisor(on_failure=on_failure) as sup:
        sup.spawn("optional", asyncio.sleep(0), may_end=True)
        sup.spawn("sender", asyncio.sleep(0.02))
        with pytest.raises(SideTaskFailed, match="'sender' ended unexpectedly"):
            await sup.run(main())
    assert told == ["sender"]  # main was told, and wound down on its own


@pytest.mark.asyncio
async def test_closing_cancels_the_side_tasks_left() -> None:
    async with Supervisor() as sup:
        task = sup.spawn("forever", asyncio.sleep(10))
        assert await sup.run(asyncio.sleep(0, "done")) == "done"
    assert task.cancelled() and sup.failure is None
