"""Running one claimed job: start, (verify first,) publish through the engine, report.

Results travel through the outbox, so they survive a lost server and a restart. The
irreversible step is guarded: right before `publish` the lease is confirmed and the job is
checked not cancelled, then the intent is journaled; from the click to the end of `verify`
nothing cancels or retries.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from common.errors import (
    BrowserError,
    DefinitionError,
    LeaseLost,
    RunCancelled,
    ServerError,
    ServerUnavailable,
)
from common.logs import log_context
from contract import models as s
from runner.engine import Engine, Status
from runner.engine.engine import EngineHooks, EngineOptions, Post
from runner.engine.result import Proof, RunResult, StepRecord

if TYPE_CHECKING:
    from playwright.async_api import Page

    from runner.client import ServerClient
    from runner.device.daemon import Daemon
    from runner.device.settings import Account
    from runner.engine.definitions import Platform

log = logging.getLogger(__name__)

CONFIRM_POLL_S = 2.0
GUARD_BUDGET_S = 20.0  # how long the publish guard tries to confirm the lease
FLUSH_S = 30.0


@dataclass
class JobControl:
    """What the server told us about a job while it runs (events and heartbeat replies)."""

    job_id: str
    cancel_requested: bool = False
    confirm_decision: s.ConfirmDecision | None = None
    phase: str = ""
    handed_back: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, reply: s.EventsResponse) -> None:
        if reply.cancel_requested or reply.status is s.JobStatus.CANCELLED:
            self.cancel_requested = True
        if reply.confirm_decision is not None:
            self.confirm_decision = reply.confirm_decision
        self.changed.set()


class _Hooks(EngineHooks):
    """The engine's view of the daemon for one run."""

    def __init__(self, daemon: Daemon, claim: s.ClaimResponse, run_id: str,
                 control: JobControl, account: Account) -> None:
        self.daemon = daemon
        self.client: ServerClient = daemon.client
        self.outbox = daemon.outbox
        self.job = claim.job
        self.text = claim.post.text
        self.lease = claim.lease_token
        self.run_id = run_id
        self.control = control
        self.account = account

    async def on_step(self, record: StepRecord) -> None:
        self.control.phase = record.phase
        self.daemon.status.update(phase=record.phase)
        text = record.message if record.status == "ok" else f"{record.status}: {record.message}"
        self.outbox.add_event(self.job.id, self.run_id, self.lease, phase=record.phase,
                              step=record.step, level=record.level, message=text)

    async def on_proof(self, proof: Proof) -> None:
        self.outbox.add_proof(self.job.id, self.run_id, self.lease, kind=proof.kind,
                              sha256=proof.sha256, source=proof.path)

    async def checkpoint(self, phase: str) -> None:
        self._stop_if_asked()

    def _stop_if_asked(self) -> None:
        if self.control.cancel_requested:
            raise RunCancelled("the job was cancelled on the server")
        if self.daemon.aborting.is_set():
            self.control.handed_back = True
            raise RunCancelled("the daemon is shutting down; the job is handed back")

    async def await_confirm(self, proof: Proof | None) -> bool:
        """The AWAITING_CONFIRM gate: auto jobs go on at once, manual ones wait for a person."""
        try:
            return await self._await_confirm()
        except LeaseLost as exc:
            raise RunCancelled(f"the server no longer gives us this job ({exc.message})") from exc
        except ServerError as exc:  # nothing is published without the server's go-ahead
            self.control.handed_back = True
            raise RunCancelled(f"no confirmation could be had from the server ({exc}); "
                               "nothing was published") from exc

    async def _await_confirm(self) -> bool:
        await self.outbox.flush(self.job.id, FLUSH_S)
        asset = self.outbox.asset_id(self.run_id, "before_confirm")
        reply = await self.client.awaiting_confirm(self.job.id, s.AwaitingConfirmRequest(
            lease_token=self.lease, run_id=self.run_id, proof_asset_id=asset))
        if reply.proceed or reply.confirm_decision is s.ConfirmDecision.APPROVED:
            return True
        if reply.confirm_decision is s.ConfirmDecision.REJECTED:
            return False
        self.daemon.status.update(phase="awaiting confirmation")
        log.info("waiting for an operator to confirm job %s", self.job.id)
        while True:
            self._stop_if_asked()
            reply_ev = await self.client.events(self.job.id, s.EventsRequest(
                lease_token=self.lease, run_id=self.run_id, events=[]))
            self.control.update(reply_ev)
            if self.control.confirm_decision is s.ConfirmDecision.APPROVED:
                return True
            if self.control.confirm_decision is s.ConfirmDecision.REJECTED:
                return False
            self._stop_if_asked()
            self.control.changed.clear()
            waiters = [asyncio.ensure_future(self.control.changed.wait()),
                       asyncio.ensure_future(self.daemon.aborting.wait())]
            await asyncio.wait(waiters, timeout=CONFIRM_POLL_S,
                               return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def before_publish(self) -> None:
        """Confirm the lease and that nobody cancelled, then journal the intent."""
        self._stop_if_asked()
        await self.outbox.flush(self.job.id, FLUSH_S)
        event = s.Event(seq=self.outbox.next_seq(self.run_id), at=datetime.now(timezone.utc),
                        phase="publish", step="guard", level="info",
                        message="lease confirmed; publishing")
        try:
            reply = await self.client.events(self.job.id, s.EventsRequest(
                lease_token=self.lease, run_id=self.run_id, events=[event]),
                budget=GUARD_BUDGET_S)
        except LeaseLost as exc:
            raise RunCancelled(f"the server no longer gives us this job ({exc.message}); "
                               "nothing was published") from exc
        except ServerError as exc:
            self.control.handed_back = True
            raise RunCancelled(f"the lease could not be confirmed before publishing ({exc}); "
                               "nothing was published") from exc
        self.control.update(reply)
        if reply.status not in (s.JobStatus.RUNNING, s.JobStatus.AWAITING_CONFIRM):
            raise RunCancelled(f"the job is {reply.status.value} on the server; not publishing")
        self._stop_if_asked()
        from runner.device.outbox import Intent

        self.outbox.write_intent(Intent(self.job.id, self.run_id, self.lease,
                                        self.job.platform, self.job.account,
                                        self.text))
        self.daemon.status.update(phase="publish")

    async def after_phase(self, phase: str) -> None:
        pause = self.daemon.settings.debug_pause_after_publish_s
        if phase == "publish" and pause:
            log.warning("debug: pausing %.1fs after the publish click", pause)
            await asyncio.sleep(pause)


async def run_job(daemon: Daemon, claim: s.ClaimResponse, account: Account) -> RunResult | None:
    """Everything for one claimed job. Never raises for a job that went wrong."""
    job = claim.job
    with log_context(job=job.id, platform=job.platform):
        if daemon.settings.debug_pause_after_claim_s:
            log.warning("debug: pausing %.1fs after the claim",
                        daemon.settings.debug_pause_after_claim_s)
            await asyncio.sleep(daemon.settings.debug_pause_after_claim_s)
        try:
            run_id = await daemon.client.start(job.id, claim.lease_token)
        except ServerError as exc:
            log.warning("could not start job %s: %s; leaving it to the server", job.id, exc)
            return None
        control = daemon.track(job.id)
        work = Path(tempfile.mkdtemp(prefix=f"job-{job.id}-", dir=daemon.work_dir))
        try:
            return await _run(daemon, claim, run_id, control, account, work)
        finally:
            daemon.untrack(job.id)
            shutil.rmtree(work, ignore_errors=True)


async def _run(daemon: Daemon, claim: s.ClaimResponse, run_id: str, control: JobControl,
               account: Account, work: Path) -> RunResult | None:
    job, lease = claim.job, claim.lease_token
    try:
        platform = daemon.platform(job.platform)
    except DefinitionError as exc:  # a broken playbook is not transient: say so, once
        daemon.outbox.add_completion(job.id, run_id, lease, outcome="FAILED",
                                     error_code="PLAYBOOK_INVALID",
                                     error_message=f"the {job.platform} playbook cannot be "
                                     f"used on this device:\n{exc}",
                                     post_url=None, proof_kinds=[])
        return None
    try:
        media = await _download_media(daemon.client, claim.post.media, work)
    except ServerError as exc:
        daemon.outbox.add_completion(job.id, run_id, lease, outcome="FAILED",
                                     error_code="MEDIA_UNAVAILABLE",
                                     error_message=f"could not download the media: {exc}",
                                     post_url=None, proof_kinds=[])
        return None
    post = Post(text=claim.post.text, media=tuple(media), account=job.account)
    try:
        page = await daemon.profiles.page(account)
    except BrowserError as exc:
        await _hand_back(daemon, job.id, run_id, lease, f"the profile could not open: {exc}")
        return None
    options = daemon.engine_options(job.platform)
    if job.verify_first:
        log.info("an earlier attempt reached the publish step: checking recent posts first")
        if await verify_first(daemon, platform, options, page, post, job.id, run_id, lease,
                              work):
            return None
    hooks = _Hooks(daemon, claim, run_id, control, account)
    keepalive = asyncio.create_task(_keep_alive(daemon, job.id, lease, run_id, control))
    try:
        result = await Engine(platform, options, hooks).run(page, post, work / "run")
    finally:
        keepalive.cancel()
    await report(daemon, job.id, run_id, lease, result, control, account)
    return result


async def _keep_alive(daemon: Daemon, job_id: str, lease: str, run_id: str,
                      control: JobControl) -> None:
    """A step may wait minutes (video processing): tell the server the run is alive, and
    hear about a cancel meanwhile. An empty events call counts as progress."""
    while True:
        await asyncio.sleep(daemon.settings.keepalive_s)
        try:
            reply = await daemon.sender_client.events(job_id, s.EventsRequest(
                lease_token=lease, run_id=run_id, events=[]))
        except ServerError as exc:
            log.debug("keep-alive for %s failed: %s", job_id, exc)
            continue
        control.update(reply)


async def verify_first(daemon: Daemon, platform: Platform, options: EngineOptions, page: Page,
                       post: Post, job_id: str, run_id: str, lease: str, work: Path) -> bool:
    """True when the job is settled (found live, or cannot be checked); False: publish."""
    check = await Engine(platform, options).check_recent_posts(page, post, work / "verify")
    if check.found:
        log.info("the post is already live at %s; not publishing it again", check.post_url)
        kinds = []
        if check.proof is not None:
            daemon.outbox.add_proof(job_id, run_id, lease, kind="after_publish",
                                    sha256=check.proof.sha256, source=check.proof.path)
            kinds.append("after_publish")
        daemon.outbox.add_event(job_id, run_id, lease, phase="verify", step="recent_posts",
                                level="info", message=f"already live: {check.post_url}")
        daemon.outbox.add_completion(job_id, run_id, lease, outcome="SUCCEEDED",
                                     error_code=None, error_message=None,
                                     post_url=check.post_url, proof_kinds=kinds)
        return True
    if check.found is None:
        msg = (f"this post may already be live (an earlier attempt reached the publish step) "
               f"and {platform.name} could not be checked automatically ({check.message}); "
               "look at the account before retrying")
        daemon.outbox.add_completion(job_id, run_id, lease, outcome="FAILED",
                                     error_code="VERIFY_IMPOSSIBLE", error_message=msg,
                                     post_url=None, proof_kinds=[])
        return True
    daemon.outbox.add_event(job_id, run_id, lease, phase="verify", step="recent_posts",
                            level="info", message="not among recent posts: publishing")
    return False


async def report(daemon: Daemon, job_id: str, run_id: str, lease: str, result: RunResult,
                 control: JobControl, account: Account) -> None:
    kinds = [p.kind for p in result.proofs]
    if result.status is Status.CANCELLED:
        if control.handed_back:
            await _hand_back(daemon, job_id, run_id, lease, result.error_message or "")
        else:  # the server cancelled it, or the operator rejected it: it already knows
            daemon.outbox.add_event(job_id, run_id, lease, phase=control.phase,
                                    step="cancelled", level="warning",
                                    message=result.error_message or "cancelled")
        daemon.status.update(last=f"{job_id} CANCELLED")
        return
    for kind, path in (("failure_html", result.failure_html), ("trace", result.trace)):
        if path is not None and path.exists():
            daemon.outbox.add_snapshot(job_id, run_id, lease, kind=kind, source=path)
    daemon.outbox.add_completion(job_id, run_id, lease, outcome=result.status.value,
                                 error_code=result.error_code,
                                 error_message=result.error_message,
                                 post_url=result.post_url, proof_kinds=kinds)
    daemon.status.update(last=f"{job_id} {result.status.value}")
    if result.status is Status.NEEDS_LOGIN:
        daemon.login_changed(account, False)
        await daemon.profiles.release(account)  # so `publish-runner login` can open it
        daemon.notify(f"{account.key} needs login",
                      f"Log in with: publish-runner login {account.platform} "
                      f"--account {account.name}")
    elif result.status is Status.SUCCEEDED:
        daemon.login_changed(account, True)


async def _hand_back(daemon: Daemon, job_id: str, run_id: str, lease: str, reason: str) -> None:
    """Give a job we will not finish back to the queue, before its publish step."""
    await daemon.outbox.flush(job_id, FLUSH_S)
    try:
        await daemon.client.release(job_id, s.ReleaseRequest(lease_token=lease, run_id=run_id,
                                                             reason=reason))
        log.info("job %s handed back to the server: %s", job_id, reason)
    except ServerUnavailable as exc:
        log.warning("could not hand job %s back (%s); the server's recovery will", job_id, exc)
    except ServerError as exc:
        log.warning("the server refused to take job %s back: %s", job_id, exc)


async def _download_media(client: ServerClient, asset_ids: list[str], folder: Path) -> list[Path]:
    paths = []
    for i, asset_id in enumerate(asset_ids):
        data, content_type = await client.get_asset(asset_id)
        ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
        path = folder / f"media-{i}{ext}"
        path.write_bytes(data)
        paths.append(path)
    return paths
