"""Retention (issue 12, defect 7), on both backends: `publish-runner prune` removes finished
posts with their jobs, runs, logs, proofs and snapshots and the assets nothing refers to any
more, and never what a live job needs."""

from __future__ import annotations

import time
from typing import Any

from click.testing import CliRunner

from runner.cli import main
from server.services import retention
from tests.integration.server.conftest import PNG, Running


def finished_job_with_a_proof(server: Running) -> tuple[str, str, str]:
    """A post published with an after-publish proof → (post id, job id, proof asset id)."""
    scheduled = server.post(text="old news")
    dev = server.device()
    job, lease, run_id = dev.run_to()
    assert dev.events(job["id"], lease, run_id, "publish", "verify").status_code == 200
    proof = dev.proof(job["id"], lease, run_id, "after_publish")
    assert proof.status_code == 200, proof.text
    asset = server.job(job["id"])["runs"][0]["proofs"][0]["assetId"]
    done = dev.complete(job["id"], lease, run_id, "SUCCEEDED",
                        postUrl="https://x.test/p/1", proofAssetIds=[asset])
    assert done.status_code == 200, done.text
    return scheduled["id"], job["id"], asset


def live_post_with_media(server: Running) -> tuple[str, str]:
    media = PNG + b"live"
    up = server.op.post("/api/assets", files={"file": ("m.png", media, "image/png")})
    assert up.status_code == 201, up.text
    asset = up.json()["assetId"]
    post = server.ok("POST", "/api/posts", json={
        "text": "still waiting", "media": [asset],
        "targets": [{"platform": "y", "account": "main"}]})
    server.ok("POST", f"/api/posts/{post['id']}/submit")
    server.ok("POST", f"/api/posts/{post['id']}/approve")
    server.ok("POST", f"/api/posts/{post['id']}/schedule",
              json={"scheduledAt": "2030-01-01T00:00:00+00:00"})
    return post["id"], asset


def test_prune_removes_what_finished_and_keeps_what_a_live_job_needs(server: Running) -> None:
    old_post, old_job, proof = finished_job_with_a_proof(server)
    live_post, media = live_post_with_media(server)
    files = server.settings.resolved_data_dir() / "assets"
    proof_file = files / proof[:2] / proof
    assert proof_file.exists()
    later = time.time() + 3600
    dry = retention.prune(server.settings, older_than_s=60, dry_run=True, now=later)
    assert (dry.posts, dry.jobs, dry.runs, dry.proofs) == (1, 1, 1, 1)
    assert server.job(old_job)["status"] == "SUCCEEDED"  # a dry run keeps everything
    done = retention.prune(server.settings, older_than_s=60, now=later)
    assert (done.posts, done.jobs, done.runs, done.events, done.proofs) == (1, 1, 1, 2, 1)
    assert done.assets == [proof] and not proof_file.exists()
    assert server.op.get(f"/api/publishing/jobs/{old_job}").status_code == 404
    assert server.op.get(f"/api/posts/{old_post}").status_code == 404
    assert server.ok("GET", f"/api/posts/{live_post}")["media"] == [media]  # live: kept
    assert (files / media[:2] / media).exists()
    assert server.op.get(f"/api/assets/{media}").status_code == 200
    assert server.audit(job_id=old_job)  # the record stays


def test_the_command_prunes_with_the_retention_setting(server: Running) -> None:
    _, old_job, _ = finished_job_with_a_proof(server)
    args: list[Any] = ["prune", "--data-dir", str(server.settings.resolved_data_dir()),
                       "--json"]
    if server.settings.db:
        args += ["--db", server.settings.db]
    kept = CliRunner().invoke(main, args)  # 90 days by default: nothing that old yet
    assert kept.exit_code == 0, kept.output
    assert '"jobs": 0' in kept.output
    gone = CliRunner().invoke(main, [*args, "--older-than", "0s"])
    assert gone.exit_code == 0, gone.output
    assert '"jobs": 1' in gone.output
    assert server.op.get(f"/api/publishing/jobs/{old_job}").status_code == 404
