"""The daemon's canary decisions (runner.device.canary_schedule), on a fake clock."""

from __future__ import annotations

import pytest

from contract.models import CanaryTrigger
from runner.device.canary_schedule import BUSY_RECHECK_S, SERVER_RECHECK_S, CanarySchedule


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def top(lo: float, hi: float) -> float:
    """A 'random' draw that always takes the whole jitter (the worst case)."""
    return hi


def schedule(clock: Clock, every: dict[str, float] | None = None, *, jitter: float = 10.0,
             margin: float = 60.0) -> CanarySchedule:
    return CanarySchedule({"x/main": 100.0} if every is None else every, jitter_s=jitter,
                          margin_s=margin, clock=clock, uniform=top)


def test_only_enabled_accounts_get_canaries() -> None:
    clock = Clock()
    sched = schedule(clock)
    assert sched.enabled("x/main") and not sched.enabled("x/other")
    assert sched.trigger("x/other") is False
    clock.now += 1e6
    assert sched.due() == ["x/main"]
    assert not sched.decide("x/other", busy=False, next_due_in=None).run


def test_nothing_enabled_means_nothing_due_ever() -> None:
    clock = Clock()
    sched = schedule(clock, {})
    clock.now += 1e6
    assert sched.due() == [] and sched.wait() == 86400.0


def test_first_canary_within_jitter_then_every_plus_jitter() -> None:
    clock = Clock()
    sched = schedule(clock)
    assert sched.due() == [] and sched.wait() == pytest.approx(10.0)
    clock.now += 9.9
    assert not sched.decide("x/main", busy=False, next_due_in=None).run
    clock.now += 0.1
    assert sched.due() == ["x/main"]
    assert sched.decide("x/main", busy=False, next_due_in=None).run
    sched.started("x/main")
    assert sched.wait() == pytest.approx(110.0)  # every 100 + the whole jitter 10
    clock.now += 109.0
    assert sched.due() == []
    clock.now += 1.0
    assert sched.due() == ["x/main"]


def test_jitter_is_drawn_between_zero_and_the_setting() -> None:
    clock = Clock()
    draws: list[tuple[float, float]] = []

    def uniform(lo: float, hi: float) -> float:
        draws.append((lo, hi))
        return lo

    sched = CanarySchedule({"x/main": 50.0}, jitter_s=7.0, margin_s=0.0, clock=clock,
                           uniform=uniform)
    sched.started("x/main")
    assert draws == [(0.0, 7.0), (0.0, 7.0)]
    assert sched.wait() == pytest.approx(50.0)


def test_a_busy_profile_postpones_and_keeps_the_canary() -> None:
    clock = Clock()
    sched = schedule(clock)
    clock.now += 10.0
    got = sched.decide("x/main", busy=True, next_due_in=None)
    assert not got.run and got.reason == "its profile is in use"
    assert got.retry_in == BUSY_RECHECK_S and sched.due() == []
    clock.now += BUSY_RECHECK_S
    assert sched.decide("x/main", busy=False, next_due_in=None).run


@pytest.mark.parametrize(("next_due_in", "runs"), [
    (None, True), (61.0, True), (60.0, True), (59.0, False), (0.0, False), (-300.0, False),
])
def test_never_within_the_margin_before_a_due_job(next_due_in: float | None,
                                                  runs: bool) -> None:
    clock = Clock()
    sched = schedule(clock, margin=60.0)
    clock.now += 10.0
    got = sched.decide("x/main", busy=False, next_due_in=next_due_in)
    assert got.run is runs, got
    if not runs:
        assert "a job is due" in got.reason
        assert BUSY_RECHECK_S <= got.retry_in <= 60.0
        assert sched.due() == []  # postponed, looked at again later


def test_an_overdue_job_rechecks_soon_not_after_the_whole_margin() -> None:
    clock = Clock()
    sched = schedule(clock, margin=600.0)
    clock.now += 10.0
    assert sched.decide("x/main", busy=False, next_due_in=-5.0).retry_in == BUSY_RECHECK_S
    clock.now += BUSY_RECHECK_S
    assert sched.decide("x/main", busy=False, next_due_in=30.0).retry_in == pytest.approx(
        30.0 + BUSY_RECHECK_S)


def test_an_unreachable_server_postpones() -> None:
    clock = Clock()
    sched = schedule(clock)
    clock.now += 10.0
    got = sched.decide("x/main", busy=False, next_due_in=None, server_known=False)
    assert not got.run and got.retry_in == SERVER_RECHECK_S


def test_a_selector_failure_makes_it_due_now_and_says_why() -> None:
    clock = Clock()
    sched = schedule(clock, {"x/main": 100.0, "x/b": 100.0})
    clock.now += 10.0
    for key in ("x/main", "x/b"):
        assert sched.decide(key, busy=False, next_due_in=None).run
        sched.started(key)
    clock.now += 1.0
    assert sched.due() == []
    assert sched.trigger("x/b") is True
    assert sched.due() == ["x/b"]
    got = sched.decide("x/b", busy=True, next_due_in=None)
    assert not got.run and got.trigger is CanaryTrigger.SELECTOR_FAILURE
    clock.now += BUSY_RECHECK_S
    got = sched.decide("x/b", busy=False, next_due_in=None)
    assert got.run and got.trigger is CanaryTrigger.SELECTOR_FAILURE
    sched.started("x/b")
    clock.now += 1.0
    assert sched.due() == []
    clock.now += 200.0
    assert sched.decide("x/b", busy=False, next_due_in=None).trigger is CanaryTrigger.SCHEDULE


def test_triggered_accounts_come_first() -> None:
    clock = Clock()
    sched = schedule(clock, {"a/main": 100.0, "b/main": 100.0})
    clock.now += 10.0
    assert sched.due() == ["a/main", "b/main"]
    sched.trigger("b/main")
    assert sched.due() == ["b/main", "a/main"]
