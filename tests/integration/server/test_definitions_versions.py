"""Definitions versions over real HTTP on both backends: the push gate, the versions, the
heartbeat's offer, downloads, rollback and what a run records.

The server checks the pushing client's results structurally (it cannot replay), so these
tests attach results they write themselves; the client that really lints and replays is
tested in tests/integration/test_definitions_cli.py and the e2e test.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.definitions_bundle import pack, unpack_set
from common.definitions_set import hash_root
from tests.integration.server.conftest import Running

SCENARIOS = """platform: sandbox
scenarios:
  publish-text:
    post: {text: hi}
    pages: {"http://127.0.0.1/**": compose.html}
  redesign:
    post: {text: hi}
    pages: {"http://127.0.0.1/**": compose.html}
"""


def make_set(root: Path, note: str = "") -> Path:
    (root / "playbooks").mkdir(parents=True)
    (root / "selectors").mkdir()
    (root / "fixtures" / "sandbox").mkdir(parents=True)
    (root / "playbooks" / "sandbox.yaml").write_text(
        "platform: sandbox\nbase_url: http://127.0.0.1\nphases:\n  open: []\n")
    (root / "selectors" / "sandbox.yaml").write_text(
        f"platform: sandbox\nselectors:\n  composer:  # {note}\n    candidates: []\n")
    (root / "fixtures" / "sandbox" / "scenarios.yaml").write_text(SCENARIOS)
    (root / "fixtures" / "sandbox" / "compose.html").write_text("<p>compose</p>")
    return root


def report(root: Path, *, failing: tuple[str, ...] = (), skip: tuple[str, ...] = (),
           lint_errors: int = 0, digest: str | None = None) -> dict[str, Any]:
    return {
        "hash": digest or hash_root(root),
        "lint": {"files": 3, "errors": lint_errors, "warnings": 0,
                 "problems": ["selectors/sandbox.yaml:3:5: boom"] if lint_errors else []},
        "scenarios": [
            {"file": "fixtures/sandbox/scenarios.yaml", "name": name, "platform": "sandbox",
             "passed": name not in failing, "outcome": "failed" if name in failing else "passed",
             "message": "fallbacks: expected [composer], got []" if name in failing else ""}
            for name in ("publish-text", "redesign") if name not in skip],
        "runnerVersion": "test",
    }


def push(server: Running, archive: bytes, rep: dict[str, Any], *, author: str = "dana",
         token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else None
    client = server.op if headers is None else httpx.Client(base_url=server.url,
                                                             headers=headers)
    return client.post("/api/definitions", data={"author": author}, files={
        "bundle": ("d.tar.gz", archive, "application/gzip"),
        "report": ("r.json", json.dumps(rep).encode(), "application/json")})


def test_a_green_set_becomes_current_and_devices_hear_of_it(server: Running,
                                                            tmp_path: Path) -> None:
    root = make_set(tmp_path / "set")
    r = push(server, pack(root), report(root))
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert (v1["version"], v1["hash"], v1["author"], v1["current"]) == (
        1, hash_root(root), "dana", True)
    assert v1["scenarios"] == 2 and v1["files"] == 4
    again = push(server, pack(root), report(root))
    assert again.status_code == 200 and again.json()["version"] == 1  # nothing new stored
    assert [v["version"] for v in server.ok("GET", "/api/definitions")] == [1]

    device = server.device()
    old_style = device.heartbeat()
    assert "definitions" not in old_style  # a device that does not follow: reply unchanged
    r = device.http.post(f"/api/devices/{device.id}/heartbeat",
                         json={"definitionsHash": "sha256:" + "0" * 64})
    offer = r.json()["definitions"]
    assert offer == {"version": 1, "hash": hash_root(root), "url": "/api/definitions/1/bundle"}
    assert device.http.get("/api/definitions/current").json()["version"] == 1
    got = device.http.get(offer["url"])
    assert got.status_code == 200 and got.headers["x-definitions-hash"] == offer["hash"]
    assert unpack_set(got.content, tmp_path / "device") == offer["hash"]
    assert [a["detail"]["version"] for a in server.audit(action="DEFINITIONS_PUSHED")] == [1]


def test_a_push_whose_replay_failed_is_refused_with_the_failing_scenarios(
        server: Running, tmp_path: Path) -> None:
    root = make_set(tmp_path / "set")
    r = push(server, pack(root), report(root, failing=("redesign",)))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "REPLAY_FAILED"
    assert "sandbox/redesign (failed: fallbacks: expected [composer], got [])" in error["message"]
    assert "publish-text" not in error["message"]
    assert server.ok("GET", "/api/definitions") == []
    assert server.op.get("/api/definitions/current").status_code == 404
    (refused,) = server.audit(action="DEFINITIONS_REFUSED")
    assert refused["detail"]["code"] == "REPLAY_FAILED"
    assert refused["detail"]["hash"] == hash_root(root)


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"skip": ("redesign",)}, "REPORT_INCOMPLETE", "no replay result for sandbox/redesign"),
    ({"digest": "sha256:" + "1" * 64}, "REPORT_MISMATCH", "the results are for sha256:111"),
    ({"lint_errors": 2}, "LINT_FAILED", "selectors/sandbox.yaml:3:5: boom"),
])
def test_results_that_do_not_cover_this_set_are_refused(
        server: Running, tmp_path: Path, change: dict[str, Any], code: str, words: str) -> None:
    root = make_set(tmp_path / "set")
    r = push(server, pack(root), report(root, **change))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == code and words in r.json()["error"]["message"]


def test_malformed_or_unsafe_archives_are_refused_with_where(server: Running,
                                                            tmp_path: Path) -> None:
    root = make_set(tmp_path / "set")
    (root / "selectors" / "sandbox.yaml").write_text("platform: sandbox\nselectors: [\n")
    r = push(server, pack(root), report(root))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "DEFINITIONS_INVALID"
    assert "selectors/sandbox.yaml:3: not valid YAML" in r.json()["error"]["message"]

    (root / "selectors" / "sandbox.yaml").write_text("platform: sandbox\n")
    r = push(server, pack(root), report(root))
    assert "selectors/sandbox.yaml:1: expected a mapping with selectors" in r.text

    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as gz, tarfile.open(fileobj=gz, mode="w") as t:
        link = tarfile.TarInfo("playbooks/sandbox.yaml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        t.addfile(link)
    r = push(server, buf.getvalue(), report(root))
    assert r.status_code == 422 and "not a regular file" in r.json()["error"]["message"]
    r = push(server, b"\x1f\x8b garbage", report(root))
    assert r.status_code == 422 and "readable" in r.json()["error"]["message"]
    bad_report = server.op.post("/api/definitions", files={
        "bundle": ("d.tar.gz", pack(make_set(tmp_path / "ok")), "application/gzip"),
        "report": ("r.json", b'{"hash": "nope"}', "application/json")})
    assert bad_report.status_code == 422 and "report: hash" in bad_report.text
    assert server.ok("GET", "/api/definitions") == []


def test_only_the_operator_pushes_and_archives_are_bounded(server: Running,
                                                          tmp_path: Path) -> None:
    root = make_set(tmp_path / "set")
    device = server.device()
    assert push(server, pack(root), report(root), token=device.token).status_code == 401
    assert device.http.post("/api/definitions/1/rollback").status_code == 401
    huge = b"\x1f\x8b" + b"\0" * (20 * 1024 * 1024 + 10)
    r = push(server, huge, report(root))
    assert r.status_code == 413 and r.json()["error"]["code"] == "TOO_LARGE"
    assert httpx.get(f"{server.url}/api/definitions/current").status_code == 401


def test_rollback_makes_an_earlier_version_current_again(server: Running,
                                                         tmp_path: Path) -> None:
    first, second = make_set(tmp_path / "a", "one"), make_set(tmp_path / "b", "two")
    assert push(server, pack(first), report(first)).status_code == 201
    r = push(server, pack(second), report(second), author="lee")
    assert r.json()["version"] == 2
    listed = server.ok("GET", "/api/definitions")
    assert [(v["version"], v["current"], v["author"]) for v in listed] == [
        (2, True, "lee"), (1, False, "dana")]
    back = server.ok("POST", "/api/definitions/1/rollback", params={"author": "lee"})
    assert (back["version"], back["current"], back["hash"]) == (1, True, hash_root(first))
    device = server.device()
    r = device.http.post(f"/api/devices/{device.id}/heartbeat",
                         json={"definitionsHash": hash_root(second)})
    assert r.json()["definitions"]["version"] == 1
    assert server.op.post("/api/definitions/9/rollback").status_code == 404
    assert server.op.get("/api/definitions/9/bundle").status_code == 404
    (rolled,) = server.audit(action="DEFINITIONS_ROLLED_BACK")
    assert (rolled["detail"]["version"], rolled["detail"]["previous"]) == (1, 2)
    # Pushing the first content again is a new version: history only grows.
    assert push(server, pack(second), report(second)).json()["version"] == 3


def test_concurrent_pushes_get_consecutive_versions(server: Running, tmp_path: Path) -> None:
    roots = [make_set(tmp_path / f"s{i}", f"n{i}") for i in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda r: push(server, pack(r), report(r)), roots))
    assert all(r.status_code == 201 for r in replies), [r.text for r in replies]
    assert sorted(r.json()["version"] for r in replies) == [1, 2, 3, 4]
    (current,) = [v for v in server.ok("GET", "/api/definitions") if v["current"]]
    assert current["version"] == 4


def test_a_run_records_the_definitions_it_ran_with(server: Running) -> None:
    digest = "sha256:" + "ab" * 32
    device = server.device()
    post = server.post()
    job = device.claim(["x"], wait=5)
    assert job is not None
    r = device.http.post(f"/api/publishing/jobs/{job['job']['id']}/start", json={
        "leaseToken": job["leaseToken"], "definitionsVersion": 3, "definitionsHash": digest})
    assert r.status_code == 200, r.text
    run_id = r.json()["runId"]
    (run,) = server.job(job["job"]["id"])["runs"]
    assert (run["definitionsVersion"], run["definitionsHash"]) == (3, digest)
    # The completion may say it too; what the start said is kept.
    done = device.complete(job["job"]["id"], job["leaseToken"], run_id, "FAILED",
                           errorCode="X", definitionsHash="sha256:" + "cd" * 32)
    assert done.status_code == 200, done.text
    (run,) = server.job(job["job"]["id"])["runs"]
    assert run["definitionsHash"] == digest
    # An older device says nothing at start; its completion may.
    (second,) = server.post([("instagram", "main")])["jobs"]
    got = device.claim(["instagram"], wait=5)
    assert got is not None and post["id"] != second["postId"]
    run_id = device.start(got["job"]["id"], got["leaseToken"])
    device.complete(got["job"]["id"], got["leaseToken"], run_id, "FAILED", errorCode="X",
                    definitionsVersion=2, definitionsHash=digest)
    (run,) = server.job(got["job"]["id"])["runs"]
    assert (run["definitionsVersion"], run["definitionsHash"]) == (2, digest)
    bad = device.http.post(f"/api/publishing/jobs/{got['job']['id']}/start", json={
        "leaseToken": got["leaseToken"], "definitionsHash": "md5:x"})
    assert bad.status_code == 422


def test_the_job_page_and_the_bundle_show_the_run_definitions(server: Running) -> None:
    import io
    import zipfile

    from tests.integration.server.conftest import OPERATOR

    digest = "sha256:" + "ef" * 32
    device = server.device()
    server.post()
    job = device.claim(["x"], wait=5)
    assert job is not None
    job_id = job["job"]["id"]
    device.http.post(f"/api/publishing/jobs/{job_id}/start", json={
        "leaseToken": job["leaseToken"], "definitionsVersion": 5, "definitionsHash": digest})
    app = "/app/publishing"
    with httpx.Client(base_url=server.url, timeout=30) as web:
        signed = web.post(f"{app}/login", data={"token": OPERATOR, "next": f"{app}/jobs"},
                          headers={"Origin": server.url})
        assert signed.status_code == 303
        page = web.get(f"{app}/jobs/{job_id}")
        arabic = web.get(f"{app}/jobs/{job_id}", headers={"Accept-Language": "ar"})
        bundle = web.get(f"{app}/jobs/{job_id}/bundle.zip")
    assert 'data-definitions-version="5"' in page.text and "v5</bdi>" in page.text
    assert digest[:19] in page.text and "Definitions" in page.text
    assert "التعريفات" in arabic.text and "الخاصة بالجهاز" not in arabic.text
    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    (run,) = json.loads(archive.read("summary.json"))["runs"]
    assert (run["definitionsVersion"], run["definitionsHash"]) == (5, digest)
    logs = next(n for n in archive.namelist() if n.endswith("logs.txt"))
    assert f"definitions version 5 {digest}" in archive.read(logs).decode()


def test_db_copy_moves_the_versions_with_their_archives(
        tmp_path: Path, new_database: Any) -> None:
    import subprocess
    import sys

    from server.store import SqliteStore
    from server.store.pg import PgStore

    lite = SqliteStore(tmp_path / "server.db")
    first, second = make_set(tmp_path / "a", "one"), make_set(tmp_path / "b", "two")
    for root in (first, second):
        lite.add_definitions(hash=hash_root(root), author="dana", archive=pack(root), files=4,
                             scenarios=2, report="{}")
    lite.set_current_definitions(1, "lee")
    url = new_database()
    done = subprocess.run([sys.executable, "-m", "runner", "db", "copy", "--from",
                           f"sqlite:{tmp_path / 'server.db'}", "--to", url],
                          cwd=Path(__file__).resolve().parents[3], text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    pg = PgStore(url)
    try:
        assert pg.list_definitions() == lite.list_definitions()
        assert pg.current_definitions() == lite.current_definitions()
        assert pg.definitions_archive(2) == lite.definitions_archive(2)
        assert pg.add_definitions(hash="sha256:" + "9" * 64, author="x", archive=b"z",
                                  files=1, scenarios=1, report="{}")[0].version == 3
    finally:
        pg.close()
        lite.close()
