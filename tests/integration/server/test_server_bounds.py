"""Hostile values a device or an operator can send: refused at the contract with a 4xx that
names the field, and never a 500 on any later read (issue 12, defects 6 and 10)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.server.conftest import Running, now_iso

YEAR_ONE = "0001-01-01T00:00:00+14:00"  # year 0 once in UTC: an OverflowError when converted
YEAR_9999 = "9999-12-31T23:59:59-14:00"  # year 10000 once in UTC


def _refused(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, r.text
    assert field in r.json()["error"]["message"], r.text


@pytest.mark.parametrize("at", [YEAR_ONE, YEAR_9999])
def test_a_heartbeat_with_an_extreme_checked_at_is_refused_and_devices_still_list(
    server: Running, at: str
) -> None:
    dev = server.device()
    r = dev.http.post(f"/api/devices/{dev.id}/heartbeat", json={
        "loginStatus": [{"platform": "x", "account": "main", "loggedIn": True,
                         "checkedAt": at}]})
    _refused(r, "checkedAt")
    [listed] = server.ok("GET", "/api/devices")
    assert listed["loginStatus"] == []


@pytest.mark.parametrize("at", [YEAR_ONE, YEAR_9999])
def test_an_event_at_an_extreme_time_is_refused_and_the_job_still_reads(
    server: Running, at: str
) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    r = dev.http.post(f"/api/publishing/jobs/{job['id']}/events", json={
        "leaseToken": lease, "runId": run_id,
        "events": [{"seq": 1, "at": at, "phase": "compose", "message": "m"}]})
    _refused(r, "at")
    assert server.job(job["id"])["runs"][0]["logs"] == []


@pytest.mark.parametrize("at", [YEAR_ONE, YEAR_9999])
def test_scheduling_at_either_end_of_time_is_a_4xx_naming_scheduled_at(
    server: Running, at: str
) -> None:
    post = server.ok("POST", "/api/posts", json={"text": "t", "targets": [{"platform": "x"}]})
    server.ok("POST", f"/api/posts/{post['id']}/submit")
    server.ok("POST", f"/api/posts/{post['id']}/approve")
    r = server.op.post(f"/api/posts/{post['id']}/schedule", json={"scheduledAt": at})
    _refused(r, "scheduledAt")
    assert server.ok("GET", f"/api/posts/{post['id']}")["jobs"] == []


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:text/html,x",
                                 "ftp://example.com/p"])
def test_a_completion_with_a_post_url_that_is_not_http_is_refused(
    server: Running, url: str
) -> None:
    server.post()
    dev = server.device()
    job, lease, run_id = dev.run_to()
    _refused(dev.complete(job["id"], lease, run_id, "SUCCEEDED", postUrl=url), "postUrl")
    assert server.job(job["id"])["status"] == "RUNNING"  # nothing stored: the device retries
    ok = dev.complete(job["id"], lease, run_id, "SUCCEEDED", postUrl="https://x.test/p/1")
    assert ok.status_code == 200, ok.text
    assert server.job(job["id"])["postUrl"] == "https://x.test/p/1"


def test_ordinary_times_still_pass(server: Running) -> None:
    reply = server.post(at=now_iso(-3600))
    assert reply["jobs"][0]["status"] == "QUEUED"
