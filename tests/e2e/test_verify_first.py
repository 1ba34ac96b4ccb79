"""Verify-first against another job's post with the same text (issue 12, defect 1): a retry
whose earlier attempt was rejected after the click must not take an older post for its own."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def job_of(post: dict[str, Any]) -> str:
    (job,) = post["jobs"]
    return str(job["id"])


def test_a_retry_never_claims_another_jobs_post_with_the_same_text(
        server_factory: Any, daemon_factory: Any, sandbox: Any) -> None:
    server = server_factory()
    daemon_factory(server)
    text = "the same words, twice"
    job_a = server.wait_job(job_of(server.publish(text)), "SUCCEEDED", timeout=90)
    (live,) = sandbox.state.posts()
    assert job_a["postUrl"] == f"{sandbox.url}/p/{live.id}"

    sandbox.state.set_faults("main", "reject")  # the platform refuses it after the click
    job_b_id = job_of(server.publish(text))
    server.wait_job(job_b_id, "FAILED", timeout=90)
    assert len(sandbox.state.posts()) == 1
    sandbox.state.set_faults("main")

    retried = server.api("POST", f"/api/publishing/jobs/{job_b_id}/retry")
    assert retried["verifyFirst"] is True  # the rejected attempt reached the publish step
    job_b = server.wait_job(job_b_id, "SUCCEEDED", "FAILED", timeout=90)
    assert job_b["postUrl"] != job_a["postUrl"]
    # Not A's post: B is published for real, once, at its own URL.
    wait_until(lambda: len(sandbox.state.posts()) == 2, 10, "B's own post")
    assert job_b["status"] == "SUCCEEDED"
    assert job_b["postUrl"] == f"{sandbox.url}/p/{sandbox.state.posts()[1].id}"
    said = [e["message"] for e in job_b["runs"][-1]["logs"] if e["phase"] == "verify"]
    assert "not among recent posts: publishing" in said, said  # it looked, and published
