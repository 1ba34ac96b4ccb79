"""Running one claimed job: start, (verify first,) publish through the engine, report.

A `JobRunner` is made per claimed job and given only what it needs (`JobParts`: the client,
the outbox, the profiles, the platform definitions, the engine options, the daemon's abort
signal), never the daemon itself. Results travel through the run's `RunChannel`, so they
survive a lost server and a restart. The irreversible step is guarded: right before
`publish` the lease is confirmed and the job is checked not cancelled, then the intent is
journaled; from the click to the end of `verify` nothing cancels or retries.

`run()` never raises for a job that went wrong: it returns a `JobOutcome`, from which the
daemon learns what it must do next (login state, a profile to back off from).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from common.aio import first_of
from common.errors import BrowserError, DefinitionError, LeaseLost, ServerError
from common.logs import log_context
from contract import codes
from contract import models as s
from runner.client import ServerClient
from runner.device.channel import RunChannel
from runner.device.control import JobControl, StopReason
from runner.device.faults import Faults
from runner.device.items import Completion, RefusedItem, RunKey
from runner.device.outbox import Outbox
from runner.device.settings import Account
from runner.engine import (
    Engine,
    EngineHooks,
    EngineOptions,
    Platform,
    Post,
    Proof,
    RecentCheck,
    RunResult,
    Status,
    StepRecord,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

    from runner.device.definitions_sync import InUse

__all__ = [
    "EngineLike",
    "JobOutcome",
    "JobParts",
    "JobRunner",
    "ProfileSource",
    "verify_first",
]

log = logging.getLogger(__name__)

CONFIRM_POLL_S = 2.0
GUARD_BUDGET_S = 20.0  # how long the publish guard tries to confirm the lease


class ProfileSource(Protocol):
    """The browser profiles (`runner.device.profiles.Profiles`), as a job uses them."""

    async def page(self, account: Account) -> Page: ...

    async def release(self, account: Account) -> None: ...


class EngineLike(Protocol):
    """What a job needs of the engine (`runner.engine.Engine`)."""

    async def run(self, page: Page, post: Post, out_dir: Path) -> RunResult: ...

    async def check_recent_posts(self, page: Page, post: Post,
                                 out_dir: Path) -> RecentCheck: ...

    async def record_head(self, page: Page, post: Post,
                          out_dir: Path) -> tuple[str, ...] | None: ...


EngineFactory = Callable[[Platform, EngineOptions, EngineHooks | None], EngineLike]


def _engine(platform: Platform, options: EngineOptions,
            hooks: EngineHooks | None) -> EngineLike:
    return Engine(platform, options, hooks)


@dataclass(frozen=True)
class JobParts:
    """What every job of one daemon shares. Made once by the daemon."""

    client: ServerClient
    outbox: Outbox
    profiles: ProfileSource
    platform: Callable[[str], Platform]  # raises DefinitionError for a broken playbook
    options: Callable[[str], EngineOptions]
    abort: asyncio.Event  # a second SIGTERM: stop at the next safe point, hand back
    work_dir: Path
    keepalive_s: float = 20.0
    faults: Faults = field(default_factory=Faults)
    engine: EngineFactory = _engine
    on_phase: Callable[[str], None] = lambda phase: None
    # The definitions a job starting now uses (runner.device.definitions_sync); None: the
    # `platform` loader's. Taken once per job, at its start, and kept to its end.
    definitions: Callable[[], InUse] | None = None


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended on this device: an engine status, or why it stopped before one."""

    status: Status | None = None
    stop: StopReason | None = None
    result: RunResult | None = None

    @property
    def profile_failed(self) -> bool:
        return self.stop is StopReason.PROFILE_UNAVAILABLE


class JobRunner:
    """One claimed job, from `start` to its completion (or its hand-back)."""

    def __init__(self, parts: JobParts, claim: s.ClaimResponse, account: Account,
                 control: JobControl) -> None:
        self.parts = parts
        self.claim = claim
        self.job = claim.job
        self.account = account
        self.control = control
        self.reached_publish = False
        self.head: tuple[str, ...] | None = None  # journaled with the intent
        self.definitions: InUse | None = None

    async def run(self) -> JobOutcome:
        job = self.job
        with log_context(job=job.id, platform=job.platform):
            await self.parts.faults.pause("after_claim")
            used = self.definitions = self.parts.definitions() if self.parts.definitions else None
            try:
                run_id = await self.parts.client.start(
                    job.id, self.claim.lease_token,
                    definitions_version=used.version if used else None,
                    definitions_hash=used.digest if used else None)
            except ServerError as exc:
                log.warning("could not start job %s: %s; leaving it to the server", job.id, exc)
                return JobOutcome(stop=StopReason.NOT_STARTED)
            channel = RunChannel(self.parts.outbox, self.parts.client,
                                 RunKey(job.id, run_id, self.claim.lease_token))
            work = Path(tempfile.mkdtemp(prefix=f"job-{job.id}-", dir=self.parts.work_dir))
            try:
                return await self._run(channel, work)
            except Exception:  # a bug: never leave the job RUNNING without a word
                log.exception("job %s failed inside the daemon", job.id)
                if self.control.stop is None and not self.reached_publish:
                    await channel.release("the device failed while running the job "
                                          "(see its log); nothing was published")
                return JobOutcome(stop=self.control.stop)
            finally:
                shutil.rmtree(work, ignore_errors=True)

    async def _run(self, channel: RunChannel, work: Path) -> JobOutcome:
        job, parts = self.job, self.parts
        try:
            platform = (self.definitions.platform(job.platform) if self.definitions
                        else parts.platform(job.platform))
        except DefinitionError as exc:  # a broken playbook is not transient: say so, once
            channel.complete(Completion.failed(
                codes.PLAYBOOK_INVALID,
                f"the {job.platform} playbook cannot be used on this device:\n{exc}"))
            return JobOutcome(status=Status.FAILED)
        try:
            media = await _download_media(parts.client, self.claim.post.media, work)
        except ServerError as exc:
            channel.complete(Completion.failed(codes.MEDIA_UNAVAILABLE,
                                               f"could not download the media: {exc}"))
            return JobOutcome(status=Status.FAILED)
        hint = self.claim.verify  # what tells this job's post from another with its text
        post = Post(text=self.claim.post.text, media=tuple(media), account=job.account,
                    not_before=hint.publish_started_at if hint else None,
                    claimed_urls=frozenset(hint.claimed_urls) if hint else frozenset(),
                    head=parts.outbox.intent_head(job.id) if job.verify_first else None)
        try:
            page = await parts.profiles.page(self.account)
        except BrowserError as exc:
            await channel.release(f"the profile could not open: {exc}")
            return JobOutcome(stop=StopReason.PROFILE_UNAVAILABLE)
        options = parts.options(job.platform)
        if job.verify_first:
            log.info("an earlier attempt reached the publish step: checking recent posts first")
            engine = parts.engine(platform, options, None)
            if await verify_first(engine, channel, page, post, work, platform.name):
                return JobOutcome(status=Status.SUCCEEDED)
        if platform.playbook.header.recent_posts_order == "newest_first":
            # No dates on the platform's list: what is newest now places a retry's match.
            self.head = await parts.engine(platform, options, None).record_head(
                page, post, work / "head")
        hooks = _Hooks(self, channel)
        keepalive = asyncio.create_task(self._keep_alive(channel))
        try:
            result = await parts.engine(platform, options, hooks).run(page, post, work / "run")
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive
        return await self._report(channel, result)

    async def _keep_alive(self, channel: RunChannel) -> None:
        """A step may wait minutes (video processing): tell the server the run is alive,
        and hear about a cancel meanwhile. An empty events call counts as progress."""
        while True:
            await asyncio.sleep(self.parts.keepalive_s)
            try:
                reply = await channel.keep_alive()
            except ServerError as exc:
                log.debug("keep-alive for %s failed: %s", self.job.id, exc)
                continue
            self.control.update(reply)

    async def _report(self, channel: RunChannel, result: RunResult) -> JobOutcome:
        if result.status is Status.CANCELLED:
            reason = self.control.stop or StopReason.REJECTED  # the engine's own: rejection
            if reason.hands_back:
                await channel.release(result.error_message or reason.value)
            elif reason is not StopReason.LEASE_LOST:  # the server knows; say why here
                channel.event(self.control.phase, "cancelled",
                              result.error_message or reason.value, level="warning")
            return JobOutcome(status=result.status, stop=reason, result=result)
        for kind, path in ((s.SnapshotKind.FAILURE_HTML, result.failure_html),
                           (s.SnapshotKind.TRACE, result.trace)):
            if path is not None and path.exists():
                channel.snapshot(kind, path)
        completion = Completion.of(result.status.value, error_code=result.error_code,
                                   error_message=result.error_message,
                                   post_url=result.post_url,
                                   proof_kinds=[p.kind for p in result.proofs])
        complete(channel, completion)
        return JobOutcome(status=result.status, result=result)


def complete(channel: RunChannel, completion: Completion) -> None:
    """Write the completion; one the contract refuses is reported as such (the error names
    the field) and what can still be said is sent instead, so the job never stays open."""
    try:
        channel.complete(completion)
    except RefusedItem as exc:
        log.error("%s", exc)
        channel.complete(completion.salvaged())


class _Hooks(EngineHooks):
    """The engine's view of the device for one run."""

    def __init__(self, runner: JobRunner, channel: RunChannel) -> None:
        self.runner = runner
        self.channel = channel
        self.control = runner.control
        self.abort = runner.parts.abort

    async def on_step(self, record: StepRecord) -> None:
        self.control.phase = record.phase
        self.runner.parts.on_phase(record.phase)
        text = record.message if record.status == "ok" else f"{record.status}: {record.message}"
        self.channel.event(record.phase, record.step, text, level=record.level)
        if record.status == "ok":  # a test-only window inside a phase (runner.device.faults)
            kind = record.step.split(" ", 1)[0]
            await self.runner.parts.faults.pause(f"after_step.{record.phase}.{kind}")

    async def on_proof(self, proof: Proof) -> None:
        self.channel.proof(proof.kind, proof.path, proof.sha256)

    async def checkpoint(self, phase: str) -> None:
        self._stop_if_asked()

    def _stop_if_asked(self) -> None:
        if self.control.cancel_requested:
            self.control.stop_run(StopReason.CANCELLED)
        if self.abort.is_set():
            self.control.stop_run(StopReason.SHUTDOWN,
                                  "the daemon is shutting down; the job is handed back")

    async def await_confirm(self, proof: Proof | None) -> bool:
        """The AWAITING_CONFIRM gate: auto jobs go on at once, manual ones wait for a person."""
        try:
            return await self._await_confirm()
        except LeaseLost as exc:
            self.control.stop_run(StopReason.LEASE_LOST,
                                  f"the server no longer gives us this job ({exc.message})")
        except ServerError as exc:  # nothing is published without the server's go-ahead
            self.control.stop_run(StopReason.SERVER_UNREACHABLE,
                                  f"no confirmation could be had from the server ({exc}); "
                                  "nothing was published")

    async def _await_confirm(self) -> bool:
        reply = await self.channel.awaiting_confirm()
        if reply.proceed or reply.confirm_decision is s.ConfirmDecision.APPROVED:
            return True
        if reply.confirm_decision is s.ConfirmDecision.REJECTED:
            self.control.stop = StopReason.REJECTED
            return False
        self.runner.parts.on_phase("awaiting confirmation")
        log.info("waiting for an operator to confirm job %s", self.channel.job_id)
        while True:
            self._stop_if_asked()
            self.control.update(await self.channel.poll())
            if self.control.confirm_decision is s.ConfirmDecision.APPROVED:
                return True
            if self.control.confirm_decision is s.ConfirmDecision.REJECTED:
                self.control.stop = StopReason.REJECTED
                return False
            self._stop_if_asked()
            self.control.changed.clear()
            await first_of(self.control.changed, self.abort, timeout=CONFIRM_POLL_S)

    async def before_publish(self) -> None:
        """Confirm the lease and that nobody cancelled, then journal the intent."""
        self._stop_if_asked()
        try:
            reply = await self.channel.confirm_lease("lease confirmed; publishing",
                                                     budget=GUARD_BUDGET_S)
        except LeaseLost as exc:
            self.control.stop_run(StopReason.LEASE_LOST,
                                  f"the server no longer gives us this job ({exc.message}); "
                                  "nothing was published")
        except ServerError as exc:
            self.control.stop_run(StopReason.SERVER_UNREACHABLE,
                                  f"the lease could not be confirmed before publishing "
                                  f"({exc}); nothing was published")
        self.control.update(reply)
        if reply.status not in (s.JobStatus.RUNNING, s.JobStatus.AWAITING_CONFIRM):
            self.control.stop_run(StopReason.NOT_ACTIVE,
                                  f"the job is {reply.status.value} on the server; "
                                  "not publishing")
        self._stop_if_asked()
        job = self.runner.job
        self.channel.intent(job.platform, job.account, self.runner.claim.post.text,
                            head=self.runner.head)
        self.runner.reached_publish = True
        self.runner.parts.on_phase("publish")

    async def after_phase(self, phase: str) -> None:
        await self.runner.parts.faults.pause(f"after_phase.{phase}")


async def verify_first(engine: EngineLike, channel: RunChannel, page: Page, post: Post,
                       work: Path, platform: str) -> bool:
    """An earlier attempt may have published: True when the job is settled here (found
    live, or it cannot be checked); False: go on and publish."""
    check = await engine.check_recent_posts(page, post, work / "verify")
    if check.found:
        log.info("the post is already live at %s; not publishing it again", check.post_url)
        kinds = []
        if check.proof is not None:
            channel.proof(s.ProofKind.AFTER_PUBLISH, check.proof.path, check.proof.sha256)
            kinds.append(s.ProofKind.AFTER_PUBLISH)
        channel.event("verify", "recent_posts", f"already live: {check.post_url}")
        complete(channel, Completion.succeeded(check.post_url, kinds))
        return True
    if check.found is None:
        complete(channel, Completion.failed(
            codes.VERIFY_IMPOSSIBLE,
            "this post may already be live (an earlier attempt reached the publish step) and "
            f"{platform} could not be checked automatically ({check.message}); look at the "
            "account before retrying"))
        return True
    channel.event("verify", "recent_posts", "not among recent posts: publishing")
    return False


async def _download_media(client: ServerClient, asset_ids: list[str],
                          folder: Path) -> list[Path]:
    paths = []
    for i, asset_id in enumerate(asset_ids):
        data, content_type = await client.get_asset(asset_id)
        ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
        path = folder / f"media-{i}{ext}"
        path.write_bytes(data)
        paths.append(path)
    return paths
