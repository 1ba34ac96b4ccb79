"""Whether a job's account can be published by any device, said where the operator looks.

The devices page shows each device's login state; a job waiting for a login it cannot get
must say so on the posts and jobs pages too (issue 15). One word per case, so the pages and
their translations stay exact: no device has the account logged in, or a device carries it but
has not checked its login yet (not the same thing: that one resolves itself).
"""

from __future__ import annotations

from collections.abc import Iterable

from contract import models as s

__all__ = ["NOTICE_STATUSES", "login_notice", "login_notices"]

# Only jobs still waiting to be published need the warning.
NOTICE_STATUSES = frozenset({s.JobStatus.QUEUED, s.JobStatus.NEEDS_LOGIN})


def login_notice(devices: Iterable[s.Device], platform: str, account: str) -> str | None:
    """None when a device has the account logged in; else `login_unchecked` when one carries
    it without a check yet, else `login_none`."""
    unchecked = False
    for device in devices:
        state = next((x for x in device.login_status
                      if x.platform == platform and x.account == account), None)
        if state is not None and state.logged_in:
            return None
        carries = any(a.platform == platform and a.account == account for a in device.accounts)
        if state is None and carries:
            unchecked = True
    return "login_unchecked" if unchecked else "login_none"


def login_notices(devices: list[s.Device], jobs: Iterable[s.Job]) -> dict[str, str]:
    """Job id → notice word, for the jobs that are waiting and have one."""
    found: dict[str, str] = {}
    for job in jobs:
        if job.status not in NOTICE_STATUSES:
            continue
        notice = login_notice(devices, job.platform, job.account)
        if notice is not None:
            found[job.id] = notice
    return found
