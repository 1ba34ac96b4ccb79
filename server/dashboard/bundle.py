"""The escalation bundle of a job: what the failure playbook's Escalation section asks to
collect (job, post and device ids, timestamps, logs, proof screenshots), in one zip an operator
can attach to a report without copying things by hand."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from contract import models as s

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
              "video/mp4": "mp4", "text/html": "html", "application/zip": "zip"}


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _log_text(run: s.Run) -> str:
    lines = [f"run {run.id} attempt {run.attempt} device {run.device_id} status {run.status.value}"
             f" started {run.started_at.isoformat()} ended "
             f"{run.ended_at.isoformat() if run.ended_at else '-'}"]
    if run.definitions_hash:
        version = f"version {run.definitions_version}" if run.definitions_version else "local"
        lines.append(f"definitions {version} {run.definitions_hash}")
    if run.error_message:
        lines.append(f"error {run.error_code or ''}: {run.error_message}")
    for e in run.logs:
        lines.append(f"{e.at.isoformat()} #{e.seq} {e.level.upper():5} {e.phase}/{e.step}"
                     f" {e.message}")
    return "\n".join(lines) + "\n"


def build(
    job: s.JobDetail,
    post: s.PostDetail,
    audit: list[s.AuditEntry],
    devices: list[s.Device],
    asset: Callable[[str], tuple[s.Asset, Path] | None],
) -> bytes:
    """The zip's bytes. `asset(id)` gives a proof's record and file, or None when missing (a
    missing file is noted in the summary rather than failing the whole bundle)."""
    device_ids = sorted({d for d in [job.locked_by_device_id, *(r.device_id for r in job.runs)]
                         if d})
    missing: list[str] = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for run in job.runs:
            folder = f"runs/{run.attempt:02d}-{run.id}"
            z.writestr(f"{folder}/logs.txt", _log_text(run))
            z.writestr(f"{folder}/logs.json",
                       _json([e.model_dump(mode="json", by_alias=True) for e in run.logs]))
            files = [(f"proof-{p.kind.value}", p.asset_id, p.sha256) for p in run.proofs]
            files += [(f.kind.value, f.asset_id, f.sha256) for f in run.snapshots]
            for name, asset_id, sha256 in files:
                found = asset(asset_id)
                if found is None:
                    missing.append(asset_id)
                    continue
                record, path = found
                ext = EXTENSIONS.get(record.content_type, "bin")
                # Images are compressed already; HTML and traces are worth deflating.
                z.write(path, f"{folder}/{name}-{sha256[:12]}.{ext}",
                        compress_type=zipfile.ZIP_STORED if ext in ("png", "jpg", "gif",
                                                                     "webp") else None)
        summary = {
            "jobId": job.id, "postId": job.post_id, "deviceIds": device_ids,
            "platform": job.platform, "account": job.account, "status": job.status.value,
            "lastErrorMessage": job.last_error_message, "postUrl": job.post_url,
            "scheduledAt": job.scheduled_at.isoformat(), "createdAt": job.created_at.isoformat(),
            "updatedAt": job.updated_at.isoformat(),
            "runs": [{"id": r.id, "attempt": r.attempt, "deviceId": r.device_id,
                      "status": r.status.value, "startedAt": r.started_at.isoformat(),
                      "endedAt": r.ended_at.isoformat() if r.ended_at else None,
                      "error": r.error_message, "proofs": [p.kind.value for p in r.proofs],
                      "definitionsVersion": r.definitions_version,
                      "definitionsHash": r.definitions_hash}
                     for r in job.runs],
            "missingProofFiles": missing,
            "bundledAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        z.writestr("summary.json", _json(summary))
        z.writestr("job.json", _json(job.model_dump(mode="json", by_alias=True)))
        z.writestr("post.json", _json(post.model_dump(mode="json", by_alias=True)))
        z.writestr("audit.json", _json([a.model_dump(mode="json", by_alias=True) for a in audit]))
        z.writestr("devices.json", _json([d.model_dump(mode="json", by_alias=True)
                                          for d in devices if d.id in device_ids]))
        z.writestr("README.txt", (
            f"Escalation bundle for job {job.id} (post {job.post_id}).\n"
            "summary.json: ids and timestamps; job.json: the job with its runs; post.json;\n"
            "audit.json: the job's history; devices.json: the devices that held it;\n"
            "runs/*/logs.txt: step logs; runs/*/proof-*: proof screenshots;\n"
            "runs/*/failure_html-*: the page when a run failed (turn it into a fixture with\n"
            "`publish-runner fixture import`); runs/*/trace-*: `playwright show-trace` it.\n"
            "Server logs are not included: attach the server's log around these times.\n"))
    return buf.getvalue()
