"""When the daemon runs a canary for an account: the decisions, apart from the doing.

A canary (runner.canary) opens the account's profile, so it competes with the jobs for it.
The rules, each kept here as one decision the daemon asks about:

- Off unless enabled: only accounts named in the `canary_every` setting get canaries.
- Jittered: after a canary, the next one is due `every` seconds later plus up to
  `jitter_s` (uniform), so a team's devices do not all open the platform at the same second
  and a platform does not see a canary at exactly the same minute each hour. The first one
  after the daemon starts is due within `jitter_s`.
- Triggered: a job of the account that fails on a selector (`SELECTOR_NOT_FOUND`) makes a
  canary due at once, without jitter: the team learns whether it is the platform that
  changed (broken) or the one page (healthy) while the failure is fresh.
- Never while the profile is in use: the daemon says whether the account is busy (a job,
  a hold, a logged-out profile); a busy account is looked at again after `BUSY_RECHECK_S`.
- Never within `margin_s` before a due job of the account: the daemon only learns about jobs
  by claiming them, so it asks the server, right before starting, when the account's next
  job is due (`next_due_at`, see docs/api.md). Asked then, not taken from a heartbeat, the
  answer is as fresh as it can be; a job scheduled during the canary's minute waits for the
  profile at most that minute. A job due within the margin (or overdue) postpones the canary
  by `recheck` seconds; an unreachable server postpones it too (its result could not be
  reported anyway).

The clock (`time.monotonic` by default) and the random source are injected, so the
decisions are tested without waiting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from contract.models import CanaryTrigger

__all__ = ["BUSY_RECHECK_S", "SERVER_RECHECK_S", "CanarySchedule", "Decision"]

BUSY_RECHECK_S = 5.0  # a busy profile is looked at again this soon
SERVER_RECHECK_S = 30.0  # after the server could not say when the next job is due


@dataclass(frozen=True)
class Decision:
    """Run the canary now, or not (and why, and when to look again)."""

    run: bool
    reason: str
    trigger: CanaryTrigger = CanaryTrigger.SCHEDULE
    retry_in: float = 0.0


@dataclass
class _Plan:
    every: float
    due_at: float  # clock seconds
    triggered: bool = False


class CanarySchedule:
    """The canary plan of one daemon's accounts (keys `platform/account`)."""

    def __init__(self, every: Mapping[str, float], *, jitter_s: float, margin_s: float,
                 clock: Callable[[], float] = time.monotonic,
                 uniform: Callable[[float, float], float] = random.uniform) -> None:
        self.jitter_s = jitter_s
        self.margin_s = margin_s
        self._clock = clock
        self._uniform = uniform
        now = clock()
        self._plans = {key: _Plan(every=float(seconds), due_at=now + uniform(0.0, jitter_s))
                       for key, seconds in every.items()}

    def enabled(self, key: str) -> bool:
        return key in self._plans

    @property
    def accounts(self) -> list[str]:
        return sorted(self._plans)

    def trigger(self, key: str) -> bool:
        """A job of `key` failed on a selector: a canary is due now. False when the account
        has no canaries enabled (then nothing is run)."""
        plan = self._plans.get(key)
        if plan is None:
            return False
        plan.triggered = True
        plan.due_at = min(plan.due_at, self._clock())
        return True

    def due(self) -> list[str]:
        """Accounts whose canary is due now, triggered ones first."""
        now = self._clock()
        found = [(not p.triggered, p.due_at, k) for k, p in self._plans.items()
                 if p.due_at <= now]
        return [k for _, _, k in sorted(found)]

    def wait(self) -> float:
        """Seconds until the next canary is due (a day when none is enabled)."""
        now = self._clock()
        return max(0.0, min((p.due_at - now for p in self._plans.values()), default=86400.0))

    def decide(self, key: str, *, busy: bool, next_due_in: float | None,
               server_known: bool = True) -> Decision:
        """Whether to start `key`'s canary now. `busy`: its profile is in use (or held, or
        logged out); `next_due_in`: seconds until its next job is due (negative: overdue;
        None: no job); `server_known`: False when the server could not be asked. A refusal
        postpones the canary (it stays triggered)."""
        plan = self._plans.get(key)
        if plan is None:
            return Decision(False, "canaries are not enabled for this account")
        trigger = CanaryTrigger.SELECTOR_FAILURE if plan.triggered else CanaryTrigger.SCHEDULE
        now = self._clock()
        if plan.due_at > now:
            return Decision(False, "not due yet", trigger, plan.due_at - now)
        if busy:
            return self._postpone(plan, "its profile is in use", trigger, BUSY_RECHECK_S)
        if not server_known:
            return self._postpone(plan, "the server could not say when its next job is due",
                                  trigger, SERVER_RECHECK_S)
        if next_due_in is not None and next_due_in < self.margin_s:
            # Look again once the job should have run, at least a few seconds from now.
            recheck = max(BUSY_RECHECK_S, min(self.margin_s, max(next_due_in, 0.0)
                                              + BUSY_RECHECK_S))
            return self._postpone(plan, f"a job is due in {max(next_due_in, 0.0):.0f}s "
                                  f"(margin {self.margin_s:.0f}s)", trigger, recheck)
        return Decision(True, "due", trigger)

    def _postpone(self, plan: _Plan, reason: str, trigger: CanaryTrigger,
                  seconds: float) -> Decision:
        plan.due_at = self._clock() + seconds
        return Decision(False, reason, trigger, seconds)

    def started(self, key: str) -> None:
        """The canary of `key` ran (whatever its verdict): the next one is due `every`
        seconds plus jitter from now, and a trigger is spent."""
        plan = self._plans[key]
        plan.triggered = False
        plan.due_at = self._clock() + plan.every + self._uniform(0.0, self.jitter_s)
