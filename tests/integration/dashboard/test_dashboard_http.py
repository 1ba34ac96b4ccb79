"""The dashboard over real HTTP: sessions, CSRF and origin checks, every action, bad input
answered with a 4xx and a message, the escalation bundle's contents."""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.integration.dashboard.dashboard_helpers import (  # noqa: F401 (fixtures)
    APP,
    OPERATOR,
    Dash,
    dash_db_fixture,
    dash_factory_fixture,
    dash_fixture,
    new_database,
    png,
    postgres_url,
)

pytestmark = pytest.mark.usefixtures("dash_db")  # every test on both backends

PAGES = ["", "/posts", "/jobs", "/devices", "/audit", "/posts/post_x", "/jobs/job_x"]


def text_of(page: httpx.Response) -> str:
    found = re.search(r'id="error-message">([^<]*)<', page.text)
    return found.group(1) if found else ""


def test_pages_refuse_access_without_a_session(dash: Dash) -> None:
    post = dash.post()
    (job,) = post["jobs"]
    anon = dash.client()
    for page in PAGES:
        r = anon.get(APP + page)
        assert r.status_code == 303, page
        assert r.headers["location"].startswith(f"{APP}/login?next=")
    assert anon.get(f"{APP}/jobs?status=FAILED").headers["location"] == (
        f"{APP}/login?next=/app/publishing/jobs%3Fstatus%3DFAILED")
    for data in (f"/status.json?job={job['id']}", f"/jobs/{job['id']}/bundle.zip",
                 "/assets/" + "0" * 64):
        r = anon.get(APP + data)
        assert r.status_code == 401, data
        assert r.json()["error"]["code"] == "UNAUTHORIZED"
    # An action without a session changes nothing.
    r = anon.post(f"{APP}/jobs/{job['id']}/cancel", data={"csrf": "x"})
    assert r.status_code == 303 and "/login" in r.headers["location"]
    assert dash.job(job["id"])["status"] == "QUEUED"
    # A made-up session cookie is no session.
    anon.cookies.set("pr_session", "guessed", path=APP)
    assert anon.get(f"{APP}/jobs").status_code == 303


def test_sign_in_with_the_operator_token_gives_an_httponly_samesite_cookie(dash: Dash) -> None:
    web = dash.client()
    wrong = web.post(f"{APP}/login", data={"token": "nope", "next": f"{APP}/jobs"})
    assert wrong.status_code == 401
    assert "Wrong operator token." in wrong.text
    assert "pr_session" not in web.cookies
    r = web.post(f"{APP}/login", data={"token": OPERATOR, "next": f"{APP}/devices"})
    assert r.status_code == 303 and r.headers["location"] == f"{APP}/devices"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Path={APP}" in cookie
    assert OPERATOR not in cookie
    page = web.get(f"{APP}/devices")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert OPERATOR not in page.text
    # Sign-in redirects only inside the dashboard.
    other = dash.client()
    r = other.post(f"{APP}/login", data={"token": OPERATOR, "next": "https://evil.example/"})
    assert r.headers["location"] == APP
    # Signing out ends the session server-side: the old cookie no longer opens pages.
    old = web.cookies["pr_session"]
    assert web.post(f"{APP}/logout", data={"csrf": dash.csrf(web)}).status_code == 303
    stale = dash.client()
    stale.cookies.set("pr_session", old, path=APP)
    assert stale.get(f"{APP}/jobs").status_code == 303


def test_actions_need_the_csrf_token_and_our_own_origin(dash: Dash) -> None:
    (job,) = dash.post()["jobs"]
    web = dash.sign_in()
    csrf = dash.csrf()
    cancel = f"{APP}/jobs/{job['id']}/cancel"
    assert web.post(cancel, data={}).status_code == 403
    assert web.post(cancel, data={"csrf": "forged"}).status_code == 403
    evil = web.post(cancel, data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    bare = httpx.Client(base_url=dash.url, cookies=web.cookies)
    assert bare.post(cancel, data={"csrf": csrf}).status_code == 403  # no Origin, no Referer
    assert bare.post(cancel, data={"csrf": csrf},
                     headers={"Referer": "https://evil.example/x"}).status_code == 403
    assert dash.job(job["id"])["status"] == "QUEUED"
    # A login form posted from another site is refused too.
    assert dash.client().post(f"{APP}/login", data={"token": OPERATOR},
                              headers={"Origin": "https://evil.example"}).status_code == 403
    ok = bare.post(cancel, data={"csrf": csrf}, headers={"Referer": f"{dash.url}/app/publishing"})
    assert ok.status_code == 303 and ok.headers["location"].endswith("?msg=cancelled")
    assert dash.job(job["id"])["status"] == "CANCELLED"


def test_bad_input_is_a_4xx_with_a_message(dash: Dash) -> None:
    web = dash.sign_in()
    csrf = dash.csrf()
    done = dash.post()
    (job,) = done["jobs"]
    assert web.post(f"{APP}/jobs/{job['id']}/cancel", data={"csrf": csrf}).status_code == 303
    cases: list[tuple[httpx.Response, int, str]] = [
        (web.post(f"{APP}/posts", data={"csrf": csrf, "text": "t"}), 422, "targets"),
        (web.post(f"{APP}/posts", data={"csrf": csrf, "text": "t", "target": "x y/me"}),
         422, "platform"),
        (web.post(f"{APP}/posts", data={"csrf": csrf, "text": "t", "targets_extra": "x/a, x/b"}),
         422, "at most one target per platform"),
        (web.post(f"{APP}/posts", data={"csrf": csrf, "text": "t", "target": "x/main"},
                  files={"media": ("a.txt", b"plain text", "text/plain")}), 415, "accepted type"),
        (web.post(f"{APP}/posts", data={"csrf": csrf, "text": "t", "target": "x/main",
                                        "confirm_mode": "sometimes"}), 422, "confirmMode"),
        (web.post(f"{APP}/posts", data={"csrf": csrf, "text": "t", "target": "x/main"},
                  files=[("media", (f"{i}.png", png(), "image/png")) for i in range(11)]),
         400, "Too many files"),
        (web.post(f"{APP}/posts/{done['id']}/schedule",
                  data={"csrf": csrf, "scheduled_at": "tomorrow"}), 422, "scheduled_at"),
        (web.post(f"{APP}/posts/post_nope/schedule", data={"csrf": csrf}), 404, "no post"),
        (web.get(f"{APP}/jobs/job_nope"), 404, "no job"),
        (web.get(f"{APP}/posts/post_nope"), 404, "no post"),
        (web.get(f"{APP}/jobs?status=DONE"), 422, "unknown job status"),
        (web.get(f"{APP}/jobs?show=everything"), 422, "show"),
        (web.get(f"{APP}/jobs?platform=" + "x" * 101), 422, "at most 100"),
        (web.get(f"{APP}/audit?job=" + "j" * 101), 422, "at most 100"),
        (web.post(f"{APP}/jobs/{job['id']}/cancel", data={"csrf": csrf}), 409, "cannot cancel"),
        (web.post(f"{APP}/jobs/{job['id']}/confirm", data={"csrf": csrf, "approve": "maybe"}),
         422, "yes or no"),
        (web.post(f"{APP}/jobs/{job['id']}/confirm", data={"csrf": csrf, "approve": "yes"}),
         409, "nothing to confirm"),
        (web.post(f"{APP}/devices/dev_nope/check-login", data={"csrf": csrf}), 404, "no device"),
        (web.get(f"{APP}/lang/fr"), 404, "no language"),
        (web.get(f"{APP}/assets/{'0' * 64}"), 404, "no asset"),
    ]
    for reply, status, words in cases:
        assert reply.status_code == status, (reply.request.url, reply.text[:500])
        assert words in (text_of(reply) or reply.text), (reply.request.url, reply.text[:500])
    r = web.get(f"{APP}/status.json?job=job_nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    long_text = web.post(f"{APP}/posts", data={"csrf": csrf, "text": "t" * 10_001,
                                               "target": "x/main"})
    assert long_text.status_code == 422


def test_create_a_post_with_media_and_schedule_it(dash: Dash) -> None:
    dash.device(platform="sandbox", account="main")
    web = dash.sign_in()
    csrf = dash.csrf()
    assert 'value="sandbox/main"' in web.get(f"{APP}/posts").text  # known targets offered
    image = png("orange")
    r = web.post(f"{APP}/posts", data={"csrf": csrf, "text": "مرحبا <b>world</b>",
                                       "target": "sandbox/main", "targets_extra": "x/brand",
                                       "confirm_mode": "manual"},
                 files={"media": ("photo.png", image, "image/png")})
    assert r.status_code == 303
    page_url = r.headers["location"].split("?")[0]
    post_id = page_url.rsplit("/", 1)[1]
    post = dash.api.get(f"/api/posts/{post_id}").json()
    assert post["status"] == "DRAFT" and post["confirmMode"] == "manual"
    assert {(t["platform"], t["account"]) for t in post["targets"]} == {
        ("sandbox", "main"), ("x", "brand")}
    (media,) = post["media"]
    page = web.get(page_url)
    assert "مرحبا &lt;b&gt;world&lt;/b&gt;" in page.text  # escaped, never markup
    shown = web.get(f"{APP}/assets/{media}")
    assert shown.status_code == 200 and shown.content == image
    assert shown.headers["content-type"] == "image/png"
    at = (datetime.now(timezone.utc) + timedelta(hours=2)).replace(microsecond=0)
    r = web.post(f"{page_url}/schedule", data={"csrf": csrf,
                                              "scheduled_at_utc": at.isoformat()})
    assert r.status_code == 303 and r.headers["location"].endswith("?msg=scheduled")
    post = dash.api.get(f"/api/posts/{post_id}").json()
    assert post["status"] == "SCHEDULED"
    assert {j["status"] for j in post["jobs"]} == {"QUEUED"}
    assert {datetime.fromisoformat(j["scheduledAt"]) for j in post["jobs"]} == {at}
    actions = [e["action"] for e in dash.api.get("/api/audit", params={"postId": post_id}).json()]
    assert actions[:3] == ["POST_CREATED", "POST_PENDING_APPROVAL", "POST_APPROVED"]
    assert "POST_SCHEDULED" in actions
    # Scheduling again with the same time is the API's idempotent UPSERT: the same jobs.
    again = web.post(f"{page_url}/schedule", data={"csrf": csrf, "scheduled_at_utc":
                                                   at.isoformat()})
    assert again.status_code == 303
    assert [j["id"] for j in dash.api.get(f"/api/posts/{post_id}").json()["jobs"]] == [
        j["id"] for j in post["jobs"]]


def test_manual_confirm_shows_the_before_confirm_proof_then_runs_and_proofs(dash: Dash) -> None:
    device = dash.device()
    (job,) = dash.post(confirm="manual")["jobs"]
    lease, run_id = device.run(job["id"])
    before = png("navy")
    proof_id = device.proof(job["id"], lease, run_id, "before_confirm", before)
    device.ok(f"/api/publishing/jobs/{job['id']}/awaiting-confirm",
              json={"leaseToken": lease, "runId": run_id, "proofAssetId": proof_id})
    web = dash.sign_in()
    page = web.get(f"{APP}/jobs/{job['id']}").text
    assert 'id="confirm-box"' in page
    assert 'id="before-confirm-proof"' in page and f"{APP}/assets/{proof_id}" in page
    assert "typed the text" in page  # the step log
    r = web.post(f"{APP}/jobs/{job['id']}/confirm", data={"csrf": dash.csrf(), "approve": "yes"})
    assert r.status_code == 303 and r.headers["location"].endswith("?msg=approved")
    assert dash.job(job["id"])["confirmDecision"] == "approved"
    after = png("green")
    after_id = device.proof(job["id"], lease, run_id, "after_publish", after)
    device.complete(job["id"], lease, run_id, "SUCCEEDED", postUrl="https://x.example/p/1",
                    proofAssetIds=[after_id])
    page = web.get(f"{APP}/jobs/{job['id']}").text
    assert 'id="confirm-box"' not in page
    assert 'data-job-status="SUCCEEDED"' in page
    assert 'data-proof-kind="before_confirm"' in page and 'data-proof-kind="after_publish"' in page
    assert web.get(f"{APP}/assets/{after_id}").content == after
    download = web.get(f"{APP}/assets/{after_id}?download=1")
    assert download.headers["content-disposition"].startswith("attachment;")
    live = web.get(f"{APP}/status.json?job={job['id']}").json()
    assert live["jobs"][0]["status"] == "SUCCEEDED"
    assert live["live"]["url"] == f"{APP}/jobs/{job['id']}/live"
    fragment = web.get(live["live"]["url"]).text
    assert "<html" not in fragment and 'data-job-status="SUCCEEDED"' in fragment


def test_reject_cancels_the_job(dash: Dash) -> None:
    device = dash.device()
    (job,) = dash.post(confirm="manual")["jobs"]
    lease, run_id = device.run(job["id"])
    device.ok(f"/api/publishing/jobs/{job['id']}/awaiting-confirm",
              json={"leaseToken": lease, "runId": run_id})
    web = dash.sign_in()
    r = web.post(f"{APP}/jobs/{job['id']}/confirm", data={"csrf": dash.csrf(), "approve": "no"})
    assert r.status_code == 303
    got = dash.job(job["id"])
    assert got["status"] == "CANCELLED" and got["confirmDecision"] == "rejected"


def test_retry_a_failed_job_and_download_its_escalation_bundle(dash: Dash) -> None:
    device = dash.device()
    post = dash.post()
    (job,) = post["jobs"]
    lease, run_id = device.run(job["id"])
    shot = png("red")
    device.proof(job["id"], lease, run_id, "on_failure", shot)
    device.complete(job["id"], lease, run_id, "FAILED", errorCode="SELECTOR",
                    errorMessage="Composer textarea not found")
    web = dash.sign_in()
    page = web.get(f"{APP}/jobs/{job['id']}").text
    assert "Composer textarea not found" in page and 'id="retry-job"' in page
    assert 'data-proof-kind="on_failure"' in page
    bundle = web.get(f"{APP}/jobs/{job['id']}/bundle.zip")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    assert f'filename="escalation-{job["id"]}.zip"' in bundle.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as z:
        names = z.namelist()
        summary = json.loads(z.read("summary.json"))
        assert summary["jobId"] == job["id"] and summary["postId"] == post["id"]
        assert summary["deviceIds"] == [device.id]
        assert summary["status"] == "FAILED" and summary["runs"][0]["startedAt"]
        assert summary["lastErrorMessage"] == "Composer textarea not found"
        (log,) = [n for n in names if n.endswith("logs.txt")]
        assert "typed the text" in z.read(log).decode()
        (proof,) = [n for n in names if "/proof-on_failure-" in n]
        assert z.read(proof) == shot
        assert json.loads(z.read("post.json"))["id"] == post["id"]
        assert "JOB_CREATED" in {e["action"] for e in json.loads(z.read("audit.json"))}
        assert [d["id"] for d in json.loads(z.read("devices.json"))] == [device.id]
    r = web.post(f"{APP}/jobs/{job['id']}/retry", data={"csrf": dash.csrf()})
    assert r.status_code == 303 and r.headers["location"].endswith("?msg=retried")
    assert dash.job(job["id"])["status"] == "QUEUED"


def test_jobs_page_filters_and_marks_stuck_failed_and_duplicate_jobs(
        dash_factory: Callable[..., Dash]) -> None:
    dash = dash_factory(claim_timeout=0.001)
    x = dash.device(name="x-phone")
    t = dash.device(name="t-phone", platform="threads")
    failed_post = dash.post()
    (failed,) = failed_post["jobs"]
    lease, run_id = x.run(failed["id"])
    x.complete(failed["id"], lease, run_id, "FAILED", errorMessage="boom")
    # Scheduling the failed post again at a new time makes a second job: a duplicate (§5).
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    again = dash.api.post(f"/api/posts/{failed_post['id']}/schedule",
                          json={"scheduledAt": later}).json()
    (second,) = [j for j in again["jobs"] if j["id"] != failed["id"]]
    (stuck,) = dash.post(platform="threads")["jobs"]
    got = t.ok("/api/publishing/jobs/claim", json={"platforms": ["threads"]})
    assert got["job"]["id"] == stuck["id"]  # CLAIMED and never started: stuck
    web = dash.sign_in()

    def rows(query: str = "") -> dict[str, str]:
        page = web.get(f"{APP}/jobs{query}")
        assert page.status_code == 200, page.text
        return dict((m.group(2), m.group(1).strip()) for m in re.finditer(
            r'<tr class="([^"]*)" data-job-row="([^"]+)"', page.text))

    every = rows()
    assert set(every) == {failed["id"], second["id"], stuck["id"]}
    assert set(every[failed["id"]].split()) == {"duplicate", "failed"}
    assert set(every[second["id"]].split()) == {"duplicate"}
    assert set(every[stuck["id"]].split()) == {"stuck"}
    assert set(rows("?show=stuck")) == {stuck["id"]}
    assert set(rows("?show=failed")) == {failed["id"]}
    assert set(rows("?show=duplicate")) == {failed["id"], second["id"]}
    assert set(rows("?status=QUEUED")) == {second["id"]}
    assert set(rows("?platform=threads")) == {stuck["id"]}
    assert set(rows(f"?device={t.id}")) == {stuck["id"]}
    polled = web.get(f"{APP}/status.json?platform=x").json()["jobs"]
    assert {(j["id"], j["duplicate"], j["failed"]) for j in polled} == {
        (failed["id"], True, True), (second["id"], True, False)}


def test_devices_page_login_badges_and_check_status(dash: Dash) -> None:
    device = dash.device(name="studio-phone")
    device.login(False)
    web = dash.sign_in()
    assert web.get(f"{APP}/lang/ar?next={APP}/devices").status_code == 303
    page = web.get(f"{APP}/devices").text
    assert '<html lang="ar" dir="rtl">' in page
    assert "يحتاج تسجيل دخول" in page and "🔄 فحص الحالة" in page
    assert 'data-device-status="ONLINE"' in page
    r = web.post(f"{APP}/devices/{device.id}/check-login", data={"csrf": dash.csrf()})
    assert r.status_code == 303 and r.headers["location"] == f"{APP}/devices?msg=check"
    assert device.ok(f"/api/devices/{device.id}/heartbeat", json={})["checkLogin"] is True
    audit = web.get(f"{APP}/audit?action=CHECK_LOGIN_REQUESTED").text
    assert audit.count('data-action="CHECK_LOGIN_REQUESTED"') == 1
    device.login(True)
    assert "✓ مسجّل الدخول" in web.get(f"{APP}/devices").text


def test_language_switch_is_a_cookie_and_arabic_is_right_to_left(dash: Dash) -> None:
    web = dash.sign_in()
    english = web.get(f"{APP}/jobs").text
    assert '<html lang="en" dir="ltr">' in english
    r = web.get(f"{APP}/lang/ar", params={"next": f"{APP}/jobs?status=NEEDS_LOGIN"})
    assert r.headers["location"] == f"{APP}/jobs?status=NEEDS_LOGIN"
    assert "pr_lang=ar" in r.headers["set-cookie"]
    arabic = web.get(f"{APP}/jobs").text
    assert '<html lang="ar" dir="rtl">' in arabic and "يحتاج تسجيل دخول" in arabic
    assert web.get(f"{APP}/lang/en", params={"next": "//evil.example"}).headers[
        "location"] == APP
    assert '<html lang="en" dir="ltr">' in web.get(f"{APP}/jobs").text
    # Without a cookie the browser's language decides, even on the sign-in page.
    anon = dash.client()
    assert 'dir="rtl"' in anon.get(f"{APP}/login", headers={"Accept-Language": "ar-EG"}).text


@pytest.mark.parametrize("path", ["/openapi.json"])
def test_the_dashboard_stays_out_of_the_api_contract(dash: Dash, path: str) -> None:
    paths = dash.api.get(path).json()["paths"]
    assert not [p for p in paths if p.startswith(APP)]


def test_an_upload_over_the_size_limit_is_413(dash_factory: Callable[..., Dash]) -> None:
    dash = dash_factory(max_asset_bytes=1000)
    web = dash.sign_in()
    r = web.post(f"{APP}/posts", data={"csrf": dash.csrf(), "text": "t", "target": "x/main"},
                 files={"media": ("big.png", png(size=(400, 400)) + b"\0" * 2000, "image/png")})
    assert r.status_code == 413 and "larger than 1000 bytes" in text_of(r)
    assert dash.api.get("/api/posts").json() == []


def _write(dash: Dash, statement: str, *args: object) -> None:
    """Change the server's database behind its back (what an older version let in)."""
    db = dash.srv.state.settings.db
    if db is not None and db.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as pg:
            pg.execute(statement.replace("?", "%s"), args)  # type: ignore[arg-type]
        return
    import sqlite3

    with contextlib.closing(sqlite3.connect(dash.srv.state.store.path)) as lite:  # type: ignore[attr-defined]
        lite.execute(statement, args)
        lite.commit()


def test_pages_render_whatever_times_the_database_holds(dash: Dash) -> None:
    """Issue 12, defect 6: a time no UTC date can hold (year 1 at +14:00, 9999 at -14:00)
    stored by an older version took the devices, jobs, posts and job pages down with a 500."""
    device = dash.device()
    device.login(True)
    job_id = dash.post()["jobs"][0]["id"]
    device.run(job_id)
    _write(dash, "UPDATE device_logins SET checked_at = ?", -62135647200.0)
    _write(dash, "UPDATE run_events SET at = ?", "9999-12-31T23:59:59-14:00")
    assert dash.api.get("/api/devices").status_code == 200
    assert dash.api.get(f"/api/publishing/jobs/{job_id}").status_code == 200
    web = dash.sign_in()
    for page in ("/devices", "/jobs", "/posts", f"/jobs/{job_id}"):
        r = web.get(f"{APP}{page}")
        assert r.status_code == 200, f"{page}: {r.status_code} {text_of(r)}"
    assert "9999-01-01" in web.get(f"{APP}/jobs/{job_id}").text  # the nearest end of the range
