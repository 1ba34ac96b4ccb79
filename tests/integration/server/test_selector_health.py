"""Selector health over HTTP, on both backends: devices report canary results with proofs,
operators read the latest per platform and account, scheduling warns on a broken platform,
devices learn when an account's next job is due, and retention keeps the latest."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from server.services import retention
from tests.integration.server.conftest import PNG, DeviceApi, Running, now_iso

SHA = "sha256:" + "ab" * 32


def proof(dev: DeviceApi, data: bytes = PNG) -> str:
    r = dev.http.post(f"/api/devices/{dev.id}/canary-proofs",
                      data={"sha256": hashlib.sha256(data).hexdigest()},
                      files={"file": ("proof.png", data, "image/png")})
    assert r.status_code == 201, r.text
    return str(r.json()["assetId"])


def result(verdict: str, *, platform: str = "x", account: str = "main",
           proofs: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "can_" + secrets.token_hex(8), "platform": platform, "account": account,
        "verdict": verdict, "message": f"the canary was {verdict}", "trigger": "schedule",
        "definitionsVersion": None, "definitionsHash": SHA, "startedAt": now_iso(-3),
        "durationS": 2.5, "proofs": proofs or [],
        "findings": [
            {"selector": "composer", "where": "selectors/x.yaml:10", "phase": "compose",
             "status": "ok", "candidate": 1, "candidates": 2, "count": 1, "elapsedMs": 12.0},
        ],
    }
    if verdict == "broken":
        body["findings"].append({"selector": "postButton", "where": "selectors/x.yaml:42",
                                 "phase": "confirm", "status": "broken", "candidates": 3,
                                 "tried": ["testid=tweetButton: 0 elements"]})
        body |= {"brokenSelector": "postButton", "brokenWhere": "selectors/x.yaml:42",
                 "brokenPhase": "confirm"}
    if verdict == "degraded":
        body["findings"][0] |= {"status": "fallback", "candidate": 2}
    return body | extra


def report(dev: DeviceApi, body: dict[str, Any]) -> dict[str, Any]:
    r = dev.http.post(f"/api/devices/{dev.id}/canary-results", json=body)
    assert r.status_code == 201, r.text
    reply: dict[str, Any] = r.json()
    return reply


def health(server: Running) -> dict[tuple[str, str], dict[str, Any]]:
    return {(h["platform"], h["account"]): h for h in server.ok("GET", "/api/selector-health")}


def test_results_reach_the_health_view_with_file_line_and_proof(server: Running) -> None:
    dev = server.device()
    assert server.ok("GET", "/api/selector-health") == []
    first = result("healthy")
    assert report(dev, first) == {"id": first["id"], "duplicate": False}
    assert report(dev, first)["duplicate"] is True  # a retried report is the same row
    shot = proof(dev, PNG + b"broken page")
    broken = result("broken", proofs=[{"kind": "on_failure", "assetId": shot}])
    report(dev, broken)
    report(dev, result("degraded", platform="threads"))
    got = health(server)
    x = got[("x", "main")]
    assert x["verdict"] == "broken" and x["resultId"] == broken["id"]
    assert x["deviceId"] == dev.id and x["definitionsHash"] == SHA
    assert x["lastHealthyAt"] is not None and x["lastHealthyAt"] <= x["checkedAt"]
    assert x["broken"] == [{"selector": "postButton", "where": "selectors/x.yaml:42",
                            "phase": "confirm", "proofAssetId": shot,
                            "proofUrl": f"/api/assets/{shot}"}]
    image = server.op.get(x["broken"][0]["proofUrl"])
    assert image.status_code == 200 and image.content == PNG + b"broken page"
    threads = got[("threads", "main")]
    assert threads["verdict"] == "degraded" and threads["fallbacks"] == ["composer"]
    assert threads["lastHealthyAt"] is None
    history = server.ok("GET", "/api/canary-results", params={"platform": "x"})
    assert [h["id"] for h in history] == [broken["id"], first["id"]]
    assert history[0]["findings"][1]["tried"] == ["testid=tweetButton: 0 elements"]
    assert server.audit(action="CANARY_REPORTED")


def test_bad_reports_are_refused_with_4xx(server: Running) -> None:
    dev, other = server.device("a"), server.device("b")
    body = result("healthy")
    assert other.http.post(f"/api/devices/{dev.id}/canary-results",
                           json=body).status_code == 403
    assert server.op.post(f"/api/devices/{dev.id}/canary-results",
                          json=body).status_code == 401
    unknown = result("broken", proofs=[{"kind": "on_failure", "assetId": "f" * 64}])
    r = dev.http.post(f"/api/devices/{dev.id}/canary-results", json=unknown)
    assert r.status_code == 422 and "unknown asset" in r.text
    for bad in ({"verdict": "fine"}, {"definitionsHash": "md5:1"}, {"platform": "x y"},
                {"message": "m" * 5000}, {"id": "short"}, {"definitionsVersion": "v4"},
                {"definitionsVersion": 0}):
        r = dev.http.post(f"/api/devices/{dev.id}/canary-results", json=result("healthy") | bad)
        assert r.status_code == 422, (bad, r.text)
    report(dev, body)
    assert other.http.post(f"/api/devices/{other.id}/canary-results",
                           json=body).status_code == 409
    r = dev.http.post(f"/api/devices/{dev.id}/canary-proofs",
                      data={"sha256": hashlib.sha256(b"<html>").hexdigest()},
                      files={"file": ("x.html", b"<html>", "text/html")})
    assert r.status_code == 415, r.text
    assert dev.http.get("/api/selector-health").status_code == 401


def test_the_definitions_version_is_an_integer_as_a_runs(server: Running) -> None:
    dev = server.device()
    body = result("healthy", definitionsVersion=4)
    report(dev, body)
    report(dev, result("healthy", account="second"))
    (recorded,) = server.ok("GET", "/api/canary-results?account=main")
    assert recorded["id"] == body["id"] and recorded["definitionsVersion"] == 4
    got = health(server)
    assert got[("x", "main")]["definitionsVersion"] == 4
    assert got[("x", "second")]["definitionsVersion"] is None


def test_scheduling_warns_while_the_platforms_latest_canary_is_broken(server: Running) -> None:
    dev = server.device()
    report(dev, result("broken", account="other"))
    scheduled = server.post([("x", "main"), ("threads", "main")])
    warned = [w for w in scheduled["warnings"] if "canary" in w]
    assert len(warned) == 1 and warned[0].startswith("x: the latest canary (x/other")
    assert "postButton at selectors/x.yaml:42" in warned[0]
    assert server.ok("GET", f"/api/posts/{scheduled['id']}")["warnings"] == scheduled["warnings"]
    report(dev, result("inconclusive"))  # logged out: says nothing about the selectors
    assert any("canary" in w for w in server.post([("x", "main")])["warnings"])
    report(dev, result("healthy"))
    assert not any("canary" in w for w in server.post([("x", "main")])["warnings"])


def test_next_due_is_the_accounts_earliest_live_job(server: Running) -> None:
    dev = server.device()

    def due(account: str = "main") -> Any:
        r = dev.http.get(f"/api/devices/{dev.id}/next-due",
                         params={"platform": "x", "account": account})
        assert r.status_code == 200, r.text
        return r.json()["nextDueAt"]

    assert due() is None
    server.post([("x", "main")], at="2031-05-01T10:00:00+00:00")
    server.post([("x", "main")], at="2030-05-01T10:00:00+00:00", text="sooner")
    server.post([("x", "other")], at="2029-01-01T00:00:00+00:00")
    assert due().startswith("2030-05-01T10:00:00")
    assert due("other").startswith("2029-01-01T00:00:00")
    r = dev.http.get(f"/api/devices/{dev.id}/next-due", params={"platform": "x y"})
    assert r.status_code == 422
    other = server.device("b")
    assert other.http.get(f"/api/devices/{dev.id}/next-due",
                          params={"platform": "x"}).status_code == 403


def test_retention_keeps_the_latest_and_the_last_healthy_result(server: Running) -> None:
    dev = server.device()
    old_healthy = result("healthy")
    report(dev, old_healthy)
    newest_healthy = result("healthy")
    report(dev, newest_healthy)
    dropped_shot = proof(dev, PNG + b"old broken")
    dropped = result("broken", proofs=[{"kind": "on_failure", "assetId": dropped_shot}])
    report(dev, dropped)
    kept_shot = proof(dev, PNG + b"latest broken")
    latest = result("broken", proofs=[{"kind": "on_failure", "assetId": kept_shot}])
    report(dev, latest)
    later = time.time() + 3600
    done = retention.prune(server.settings, older_than_s=60, now=later)
    assert done.canary_results == 2
    assert dropped_shot in done.assets and kept_shot not in done.assets
    left = [h["id"] for h in server.ok("GET", "/api/canary-results")]
    assert left == [latest["id"], newest_healthy["id"]]
    files = server.settings.resolved_data_dir() / "assets"
    assert (files / kept_shot[:2] / kept_shot).exists()
    assert not (files / dropped_shot[:2] / dropped_shot).exists()
    x = health(server)[("x", "main")]
    assert x["verdict"] == "broken" and x["lastHealthyAt"] is not None
    assert server.op.get(x["broken"][0]["proofUrl"]).status_code == 200
    again = retention.prune(server.settings, older_than_s=60, now=later)
    assert again.canary_results == 0


def test_the_same_report_sent_at_once_is_recorded_once(server: Running) -> None:
    from concurrent.futures import ThreadPoolExecutor

    dev = server.device()
    body = result("broken")
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: dev.http.post(
            f"/api/devices/{dev.id}/canary-results", json=body), range(8)))
    assert [r.status_code for r in replies] == [201] * 8, [r.text for r in replies]
    assert sorted(r.json()["duplicate"] for r in replies) == [False] + [True] * 7
    assert [h["id"] for h in server.ok("GET", "/api/canary-results")] == [body["id"]]
