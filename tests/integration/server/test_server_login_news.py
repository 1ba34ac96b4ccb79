"""Login news from outside the daemon reaches it, and a job's error belongs to its failure.

Issue 15: a separate `check-login` sent the job back to QUEUED while the running daemon kept
reporting the account as logged out (its heartbeat overwrote the news) and never claimed it;
and `lastErrorMessage` from an earlier attempt stayed on a re-queued or succeeded job.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.integration.server.conftest import OPERATOR, Running


def _state(logged_in: bool, ago: float) -> dict[str, object]:
    at = datetime.now(timezone.utc) - timedelta(seconds=ago)
    return {"platform": "x", "account": "main", "loggedIn": logged_in, "checkedAt": at.isoformat()}


def _logins(server: Running, device_id: str) -> dict[str, bool]:
    found = next(d for d in server.ok("GET", "/api/devices") if d["id"] == device_id)
    return {f"{x['platform']}/{x['account']}": x["loggedIn"] for x in found["loginStatus"]}


def test_heartbeat_with_an_older_logged_out_view_is_told_to_check(server: Running) -> None:
    dev = server.device(accounts=[{"platform": "x", "account": "main"}])
    # The daemon checked a minute ago and saw the login wall.
    assert dev.heartbeat(logins=[_state(False, 60)])["checkLogin"] is False
    assert _logins(server, dev.id) == {"x/main": False}
    # `publish-runner check-login` (same device token, another process) finds it logged in.
    dev.login_status("x", "main", True)
    # The daemon's next heartbeat still carries its old view: it must not win, and the reply
    # asks the daemon to look again.
    reply = dev.heartbeat(logins=[_state(False, 55)])
    assert reply["checkLogin"] is True
    assert _logins(server, dev.id) == {"x/main": True}
    # The daemon checks, sees the login and says so: no more checks asked for.
    dev.login_status("x", "main", True)
    assert dev.heartbeat(logins=[_state(True, 0)])["checkLogin"] is False


def test_a_newer_heartbeat_view_wins(server: Running) -> None:
    dev = server.device(accounts=[{"platform": "x", "account": "main"}])
    dev.login_status("x", "main", True)
    # Logged out since (a job hit the login wall and the daemon says so in its heartbeat).
    assert dev.heartbeat(logins=[_state(False, -1)])["checkLogin"] is False
    assert _logins(server, dev.id) == {"x/main": False}


def test_retry_clears_the_earlier_error(server: Running) -> None:
    scheduled = server.post()
    job_id = scheduled["jobs"][0]["id"]
    server.ok("POST", f"/api/publishing/jobs/{job_id}/cancel")
    assert server.job(job_id)["lastErrorMessage"] == "Cancelled by operator"
    server.ok("POST", f"/api/publishing/jobs/{job_id}/retry")
    again = server.job(job_id)
    assert again["status"] == "QUEUED"
    assert again.get("lastErrorMessage") is None


def test_requeue_after_login_and_success_clear_the_error(server: Running) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    dev.complete(job["id"], lease, run_id, "NEEDS_LOGIN", errorCode="NEEDS_LOGIN",
                 errorMessage="login page shown")
    assert server.job(job["id"])["lastErrorMessage"]
    dev.login_status("x", "main", True)
    requeued = server.job(job["id"])
    assert requeued["status"] == "QUEUED"
    assert requeued.get("lastErrorMessage") is None
    # The first run keeps its own error: the record of that attempt.
    assert requeued["runs"][0]["errorMessage"] == "login page shown"
    job2, lease2, run2 = dev.run_to()
    assert dev.complete(job2["id"], lease2, run2, "SUCCEEDED",
                        postUrl="https://x.test/1").is_success
    done = server.job(job["id"])
    assert done["status"] == "SUCCEEDED"
    assert done.get("lastErrorMessage") is None


def test_scheduling_warning_says_not_yet_checked_for_an_online_unchecked_device(
        server: Running) -> None:
    dev = server.device("laptop", accounts=[{"platform": "x", "account": "main"}])
    dev.heartbeat()  # online, has not checked its login yet
    (warning,) = server.post()["warnings"]
    assert "not yet checked" in warning and "laptop" in warning and "x/main" in warning
    assert "no online device" not in warning
    dev.login_status("x", "main", False)
    assert server.post()["warnings"] == ["no online device has a logged-in profile for x/main"]
    dev.login_status("x", "main", True)
    assert server.post()["warnings"] == []


def test_jobs_command_says_when_no_device_can_publish_a_job(server: Running,
                                                            tmp_path: Path) -> None:
    from click.testing import CliRunner

    from runner.cli import main

    dev = server.device("laptop", accounts=[{"platform": "x", "account": "main"}])
    (waiting,) = server.post()["jobs"]
    (orphan,) = server.post([("x", "brand")])["jobs"]
    env = {"PUBLISH_RUNNER_HOME": str(tmp_path), "PUBLISH_RUNNER_CONFIG": str(tmp_path / "n.yaml")}

    def lines() -> dict[str, str]:
        result = CliRunner().invoke(main, ["jobs", "--server-url", server.url,
                                           "--operator-token", OPERATOR], env=env)
        assert result.exit_code == 0, result.output
        return {line.split()[0]: line for line in result.output.splitlines()}

    found = lines()
    assert found[waiting["id"]].endswith("(the login for x/main is not yet checked)")
    assert found[orphan["id"]].endswith("(no device is logged in to x/brand)")
    dev.login_status("x", "main", True)
    found = lines()
    assert "(" not in found[waiting["id"]]
    assert found[orphan["id"]].endswith("(no device is logged in to x/brand)")
