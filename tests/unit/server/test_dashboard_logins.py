"""Which waiting jobs the dashboard flags as having no device logged in to their account."""

from __future__ import annotations

from datetime import datetime, timezone

from contract import models as s
from server.dashboard.logins import login_notice, login_notices

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def device(accounts: list[str], logins: dict[str, bool]) -> s.Device:
    return s.Device(
        id="dev_1", name="d", status=s.DeviceStatus.ONLINE, last_seen_at=NOW, platforms=["x"],
        accounts=[s.Target(platform="x", account=a) for a in accounts],
        login_status=[s.LoginState(platform="x", account=a, logged_in=v, checked_at=NOW)
                      for a, v in logins.items()],
        current_job_id=None)


def job(job_id: str, account: str, status: s.JobStatus) -> s.Job:
    return s.Job.model_validate({
        "id": job_id, "postId": "post_1", "platform": "x", "account": account,
        "status": status.value, "scheduledAt": NOW.isoformat(), "idempotencyKey": job_id,
        "attemptCount": 0, "maxAttempts": 3, "createdAt": NOW.isoformat(),
        "updatedAt": NOW.isoformat()})


def test_logged_in_anywhere_needs_no_notice() -> None:
    devices = [device(["main"], {"main": False}), device(["main"], {"main": True})]
    assert login_notice(devices, "x", "main") is None


def test_carried_but_never_checked_is_not_the_same_as_logged_out() -> None:
    assert login_notice([device(["main"], {})], "x", "main") == "login_unchecked"
    assert login_notice([device(["main"], {"main": False})], "x", "main") == "login_none"
    assert login_notice([device(["other"], {})], "x", "main") == "login_none"
    assert login_notice([], "x", "main") == "login_none"


def test_only_waiting_jobs_get_a_notice() -> None:
    devices = [device(["main"], {"main": False})]
    jobs = [job("a", "main", s.JobStatus.QUEUED), job("b", "main", s.JobStatus.NEEDS_LOGIN),
            job("c", "main", s.JobStatus.SUCCEEDED), job("d", "main", s.JobStatus.CANCELLED)]
    assert login_notices(devices, jobs) == {"a": "login_none", "b": "login_none"}
