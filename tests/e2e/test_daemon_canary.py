"""The daemon's scheduled canary, end to end: the real daemon process with canaries enabled
for its sandbox account runs one at start, the result reaches the server and
GET /api/selector-health shows it, and nothing was published. With the sandbox's
`redesign_broken` fault a job fails on a selector, which runs a canary right away; it
reports broken with the selector's file:line and proof, and scheduling for the platform
then warns."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.conftest import OPERATOR, ServerProcess, wait_until

CANARIES = {
    "PUBLISH_RUNNER_DEVICE__CANARY_EVERY": "sandbox/main=1h",  # the first one: at start
    "PUBLISH_RUNNER_DEVICE__CANARY_JITTER_S": "0",
    "PUBLISH_RUNNER_DEVICE__CANARY_MARGIN_S": "5s",
}


def health(server: ServerProcess) -> dict[str, Any] | None:
    rows = server.api("GET", "/api/selector-health")
    return next((r for r in rows if (r["platform"], r["account"]) == ("sandbox", "main")),
                None)


def results(server: ServerProcess) -> list[dict[str, Any]]:
    return list(server.api("GET", "/api/canary-results", params={"platform": "sandbox"}))


def test_scheduled_canary_reaches_the_server_and_a_broken_one_warns(
        server_factory: Callable[..., ServerProcess], daemon_factory: Any,
        sandbox: Any) -> None:
    server = server_factory(**{"max-attempts": "1"})
    daemon = daemon_factory(server, **CANARIES)
    first = wait_until(lambda: health(server), 90, "the first canary's result")
    assert first["verdict"] == "healthy", first
    assert first["lastHealthyAt"] == first["checkedAt"] and first["broken"] == []
    (done,) = results(server)
    assert done["trigger"] == "schedule" and done["posted"] is False
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", done["definitionsHash"])
    assert done["definitionsVersion"] is None  # a local root
    assert {f["status"] for f in done["findings"]} == {"ok"} and done["findings"]
    assert [p["kind"] for p in done["proofs"]] == ["before_confirm"]
    assert sandbox.state.posts() == []  # the canary published nothing
    assert daemon.logs("canary for sandbox/main: healthy")

    # The platform changes: the next job fails on a selector, which triggers a canary.
    sandbox.state.set_faults("main", "redesign_broken")
    scheduled = server.publish("after the redesign")
    assert not [w for w in scheduled["warnings"] if "canary" in w]  # last one was healthy
    (job,) = scheduled["jobs"]
    server.wait_job(job["id"], "FAILED")
    broken = wait_until(lambda: (h := health(server)) and h["verdict"] == "broken" and h,
                        90, "the triggered canary's broken result")
    latest = results(server)[0]
    assert latest["trigger"] == "selector_failure" and latest["posted"] is False
    assert broken["lastHealthyAt"] == first["checkedAt"]
    (selector,) = broken["broken"]
    assert re.fullmatch(r"selectors/sandbox\.yaml:\d+", selector["where"]), selector
    assert selector["selector"] == latest["brokenSelector"]
    image = httpx.get(server.url + selector["proofUrl"], timeout=10,
                      headers={"Authorization": f"Bearer {OPERATOR}"})
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/")
    assert sandbox.state.posts() == []  # neither the job nor the canaries published

    warned = [w for w in server.publish("while it is broken")["warnings"] if "canary" in w]
    assert len(warned) == 1 and warned[0].startswith("sandbox: the latest canary")
    assert selector["where"] in warned[0]
