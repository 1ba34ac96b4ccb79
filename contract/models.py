"""Request and response models of the publishing API, defined once.

The server validates with them and the runner's client parses with them, so the contract
(docs/server.md) lives in exactly one place. No FastAPI import here: the client must not pull
the web framework in. The `MAX_*` bounds are public so that a program making a value (a
message, a reason) can cut it to size where it makes it, instead of being refused later.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

MAX_WAIT_SEC = 30
MAX_CODE = 100  # errorCode
MAX_MESSAGE = 10_000  # errorMessage, an event's message, a post's text
MAX_URL = 2_000  # postUrl
MAX_REASON = 2_000  # a release's reason
MAX_PHASE = 100
MAX_STEP = 200
MAX_LEVEL = 20
MAX_PROOFS = 20  # proofAssetIds of one completion
MAX_CLAIMED_URLS = 500  # VerifyHint.claimedUrls: the newest URLs of the account

Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[\w.@+-]+$")]
Text = Annotated[str, StringConstraints(max_length=MAX_MESSAGE)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# A link the dashboard renders: http(s) only, never `javascript:` or `data:`.
PostUrl = Annotated[str, StringConstraints(max_length=MAX_URL, pattern=r"(?i)^https?://\S+$")]

# Instants every part can hold: a time in this range, at any offset (±14 h), is still a valid
# UTC date and epoch timestamp (year 1 at +14:00 is not: it is year 0 in UTC, a 500 later).
MIN_TIME = datetime(1970, 1, 1, tzinfo=timezone.utc)
MAX_TIME = datetime(9999, 1, 1, tzinfo=timezone.utc)


def _in_range(at: datetime) -> datetime:
    if not MIN_TIME <= at <= MAX_TIME:
        raise ValueError(f"must be between {MIN_TIME:%Y-%m-%d} and {MAX_TIME:%Y-%m-%d} UTC")
    return at


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]

# The account name used when none is given: the same in the API, the CLI and the daemon's
# profiles (`profiles/<platform>/main`), so a post for "x" reaches the profile set up for "x".
DEFAULT_ACCOUNT = "main"


class Model(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class PostStatus(str, Enum):
    DRAFT = "DRAFT"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    APPROVED = "APPROVED"
    SCHEDULED = "SCHEDULED"
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"
    FAILED = "FAILED"


class JobStatus(str, Enum):
    QUEUED = "QUEUED"
    CLAIMED = "CLAIMED"
    RUNNING = "RUNNING"
    AWAITING_CONFIRM = "AWAITING_CONFIRM"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    NEEDS_LOGIN = "NEEDS_LOGIN"
    CANCELLED = "CANCELLED"


class RunStatus(str, Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    NEEDS_LOGIN = "NEEDS_LOGIN"
    CANCELLED = "CANCELLED"


class Outcome(str, Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    NEEDS_LOGIN = "NEEDS_LOGIN"


class ConfirmMode(str, Enum):
    AUTO = "auto"
    MANUAL = "manual"


class ConfirmDecision(str, Enum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ProofKind(str, Enum):
    BEFORE_CONFIRM = "before_confirm"
    AFTER_PUBLISH = "after_publish"
    ON_FAILURE = "on_failure"


class SnapshotKind(str, Enum):
    FAILURE_HTML = "failure_html"
    TRACE = "trace"


class DeviceStatus(str, Enum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


ACTIVE_JOB_STATUSES = frozenset({JobStatus.CLAIMED, JobStatus.RUNNING, JobStatus.AWAITING_CONFIRM})
TERMINAL_JOB_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


# --- shared shapes -------------------------------------------------------------------------


class Target(Model):
    platform: Name
    account: Name = DEFAULT_ACCOUNT


class LoginState(Model):
    platform: Name
    account: Name = DEFAULT_ACCOUNT
    logged_in: bool
    checked_at: Instant | None = None


class ErrorBody(Model):
    code: str
    message: str


class ErrorResponse(Model):
    """Every non-2xx reply: `{"error": {"code", "message"}}`."""

    error: ErrorBody


# --- posts ---------------------------------------------------------------------------------


class PostCreate(Model):
    text: Text
    media: list[Id] = Field(default_factory=list, max_length=10)
    targets: list[Target] = Field(min_length=1, max_length=20)
    confirm_mode: ConfirmMode = ConfirmMode.AUTO


class ScheduleRequest(Model):
    scheduled_at: Instant


class Job(Model):
    id: str
    post_id: str
    platform: str
    account: str
    status: JobStatus
    scheduled_at: datetime
    idempotency_key: str
    attempt_count: int
    max_attempts: int
    locked_by_device_id: str | None = None
    locked_at: datetime | None = None
    last_error_message: str | None = None
    proof_screenshot_asset_id: str | None = None
    post_url: str | None = None
    verify_first: bool = Field(
        False,
        description="An earlier attempt may have published: check whether the post is live "
        "before publishing again; if the platform cannot be checked, fail and tell the operator.",
    )
    confirm_mode: ConfirmMode = ConfirmMode.AUTO
    confirm_decision: ConfirmDecision | None = None
    cancel_requested: bool = False
    created_at: datetime
    updated_at: datetime


class Post(Model):
    id: str
    text: str
    media: list[str]
    targets: list[Target]
    confirm_mode: ConfirmMode
    status: PostStatus
    warnings: list[str]
    created_at: datetime
    updated_at: datetime


class PostDetail(Post):
    jobs: list[Job]


class ScheduleResponse(PostDetail):
    """The post and its jobs; `warnings` says when no online device can publish a target."""


# --- runs ----------------------------------------------------------------------------------


class Event(Model):
    seq: int = Field(ge=0, le=2**53)
    at: Instant
    phase: Annotated[str, StringConstraints(max_length=MAX_PHASE)] = ""
    step: Annotated[str, StringConstraints(max_length=MAX_STEP)] = ""
    level: Annotated[str, StringConstraints(max_length=MAX_LEVEL)] = "info"
    message: Annotated[str, StringConstraints(max_length=MAX_MESSAGE)] = ""


class Proof(Model):
    kind: ProofKind
    sha256: str
    asset_id: str
    created_at: datetime


class Snapshot(Model):
    """A failed run's page HTML or Playwright trace, for diagnosis and new fixtures."""

    kind: SnapshotKind
    sha256: str
    asset_id: str
    content_type: str
    size: int
    created_at: datetime


class Run(Model):
    id: str
    attempt: int
    device_id: str | None = None
    status: RunStatus
    error_code: str | None = None
    error_message: str | None = None
    reached_publish: bool = False
    started_at: datetime
    ended_at: datetime | None = None
    definitions_version: int | None = Field(None, description="the server's definitions "
                                            "version the run used; null: the device's own")
    definitions_hash: str | None = Field(None, description="the hash of the definitions set "
                                         "the run used")
    logs: list[Event] = Field(default_factory=list)
    proofs: list[Proof] = Field(default_factory=list)
    snapshots: list[Snapshot] = Field(default_factory=list)


class JobDetail(Job):
    runs: list[Run]


# --- device requests and replies -----------------------------------------------------------


class RegisterRequest(Model):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    platforms: list[Name] = Field(default_factory=list, max_length=50)
    accounts: list[Target] = Field(default_factory=list, max_length=200)
    version: Annotated[str, StringConstraints(max_length=100)] = ""


class RegisterResponse(Model):
    device_id: str
    device_token: str
    heartbeat_interval_sec: float


class HeartbeatRequest(Model):
    current_job_id: Id | None = None
    login_status: list[LoginState] = Field(default_factory=list, max_length=200)
    definitions_hash: str | None = Field(
        None, pattern=r"^sha256:[0-9a-f]{64}$", description="the hash of the definitions the "
        "device uses now; a device that sends it hears the current version in the reply")


class HeartbeatResponse(Model):
    cancel_job_ids: list[str]
    check_login: bool
    definitions: DefinitionsOffer | None = Field(
        None, description="The server's current definitions version: a device that follows "
        "the server downloads it and uses it from its next job on (additive; older devices "
        "ignore it)")


class LoginStatusRequest(Model):
    platform: Name
    account: Name = DEFAULT_ACCOUNT
    logged_in: bool


class LoginStatusResponse(Model):
    requeued_job_ids: list[str]


class ClaimRequest(Model):
    platforms: list[Name] = Field(max_length=50)
    accounts: list[Target] = Field(default_factory=list, max_length=200)
    wait_sec: float = Field(0, ge=0, le=MAX_WAIT_SEC)


class VerifyHint(Model):
    """What a verify-first check needs to tell this job's post from another one with the
    same text (issue 12, defect 1): a post older than the earliest publish attempt, or one
    whose URL another job already holds, is not this job's."""

    publish_started_at: datetime | None = Field(
        None, description="When the earliest attempt of this job that reached the publish "
        "step started (server clock, a lower bound of that attempt's click)")
    claimed_urls: list[str] = Field(
        default_factory=list, max_length=MAX_CLAIMED_URLS,
        description="postUrls that other jobs on this platform and account already hold")


class ClaimResponse(Model):
    job: Job
    lease_token: str
    post: Post
    verify: VerifyHint | None = Field(
        None, description="Set when job.verifyFirst is: what a found post must satisfy to "
        "count as this job's (additive; older devices ignore it)")


class LeaseRequest(Model):
    lease_token: Token


class StartResponse(Model):
    run_id: str


class EventsRequest(Model):
    lease_token: Token
    run_id: Id
    events: list[Event] = Field(default_factory=list, max_length=1000)


class EventsResponse(Model):
    status: JobStatus
    cancel_requested: bool
    confirm_decision: ConfirmDecision | None = Field(
        None,
        description="For a manual confirm: null while the operator has not answered, then "
        "`approved` (publish) or `rejected` (stop; the job is CANCELLED).",
    )


class ProofResponse(Model):
    asset_id: str


class AwaitingConfirmRequest(Model):
    lease_token: Token
    run_id: Id
    proof_asset_id: Id | None = None


class AwaitingConfirmResponse(Model):
    proceed: bool
    confirm_decision: ConfirmDecision | None = None


class CompleteRequest(Model):
    lease_token: Token
    run_id: Id
    outcome: Outcome
    error_code: Annotated[str, StringConstraints(max_length=MAX_CODE)] | None = None
    error_message: Annotated[str, StringConstraints(max_length=MAX_MESSAGE)] | None = None
    post_url: PostUrl | None = None
    proof_asset_ids: list[Id] = Field(default_factory=list, max_length=MAX_PROOFS)
    definitions_version: int | None = Field(None, ge=1, description="as in the start request; "
                                            "kept when the start did not say")
    definitions_hash: str | None = Field(None, pattern=r"^sha256:[0-9a-f]{64}$")


class ReleaseRequest(Model):
    """A device hands back a job it will not finish (shutdown, a profile it cannot open),
    before the run reached the publish step."""

    lease_token: Token
    run_id: Id
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] = ""


# --- operator replies ----------------------------------------------------------------------


class ConfirmRequest(Model):
    approve: bool


class Device(Model):
    id: str
    name: str
    status: DeviceStatus
    last_seen_at: datetime | None
    platforms: list[str]
    accounts: list[Target]
    login_status: list[LoginState]
    current_job_id: str | None
    version: str = ""
    releases: int = Field(0, description="jobs this device has handed back, ever")
    release_streak: int = Field(0, description="hand-backs in a row since its last run that "
                                "ended otherwise; past a few its claims are held off")
    held_until: datetime | None = Field(None, description="no claim is given to this device "
                                        "before this (it keeps handing jobs back)")


class CheckLoginResponse(Model):
    device_id: str
    check_login: bool


class Asset(Model):
    asset_id: str
    content_type: str
    size: int
    sha256: str


class AuditEntry(Model):
    id: int
    at: datetime
    action: str
    job_id: str | None = None
    post_id: str | None = None
    device_id: str | None = None
    detail: dict[str, object] = Field(default_factory=dict)


# --- canaries and selector health ----------------------------------------------------------

MAX_FINDINGS = 500  # selectors one canary result may report
MAX_WHERE = 500  # a selector's `file:line`
MAX_SELECTOR = 200  # a selector's name
DefinitionsHash = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]
Bounded = Annotated[str, StringConstraints(max_length=MAX_WHERE)]


class CanaryVerdict(str, Enum):
    """Worst last: `inconclusive` (logged out, challenged) says nothing about selectors."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    INCONCLUSIVE = "inconclusive"
    BROKEN = "broken"


class FindingStatus(str, Enum):
    OK = "ok"
    FALLBACK = "fallback"
    BROKEN = "broken"


class CanaryTrigger(str, Enum):
    SCHEDULE = "schedule"
    SELECTOR_FAILURE = "selector_failure"


class SelectorFinding(Model):
    """One selector a canary touched, as it resolved."""

    selector: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SELECTOR)]
    where: Bounded = Field("", description="`selectors/<platform>.yaml:LINE`")
    phase: Annotated[str, StringConstraints(max_length=MAX_PHASE)] = ""
    status: FindingStatus
    candidate: int | None = Field(None, ge=1, le=1000,
                                  description="1-based winning candidate; null: none resolved")
    candidates: int = Field(0, ge=0, le=1000)
    count: int | None = Field(None, ge=0, le=1_000_000, description="elements matched")
    elapsed_ms: float | None = Field(None, ge=0, le=86_400_000)
    tried: list[Bounded] = Field(default_factory=list, max_length=50,
                                 description="each candidate's outcome, for a broken one")


class CanaryProof(Model):
    kind: ProofKind
    asset_id: Id = Field(description="from `POST /api/devices/{deviceId}/canary-proofs`")


class CanaryResultRequest(Model):
    """A canary's result as the device reports it; idempotent by `id` (device-chosen)."""

    id: Annotated[str, StringConstraints(min_length=8, max_length=100,
                                         pattern=r"^[A-Za-z0-9_-]+$")]
    platform: Name
    account: Name = DEFAULT_ACCOUNT
    verdict: CanaryVerdict
    message: Annotated[str, StringConstraints(max_length=MAX_REASON)] = ""
    trigger: CanaryTrigger = CanaryTrigger.SCHEDULE
    definitions_version: int | None = Field(
        None, ge=1, description="the server's definitions version the canary ran with (as "
        "a run's); null for a local root")
    definitions_hash: DefinitionsHash | None = Field(
        None, description="hash of the definitions root the canary used "
        "(common.definitions_set.hash_root)")
    started_at: Instant
    duration_s: float = Field(0.0, ge=0, le=86_400)
    findings: list[SelectorFinding] = Field(default_factory=list, max_length=MAX_FINDINGS)
    broken_selector: Annotated[str, StringConstraints(max_length=MAX_SELECTOR)] | None = None
    broken_where: Bounded | None = None
    broken_phase: Annotated[str, StringConstraints(max_length=MAX_PHASE)] | None = None
    posted: bool | None = Field(None, description="true: the canary's text was found among "
                                "the recent posts (it must never be)")
    discarded: bool | None = None
    proofs: list[CanaryProof] = Field(default_factory=list, max_length=MAX_PROOFS)


class CanaryResultResponse(Model):
    id: str
    duplicate: bool = Field(False, description="this id was already recorded (a retry)")


class NextDueResponse(Model):
    next_due_at: datetime | None = Field(
        None, description="the earliest scheduledAt of a job of this account that is QUEUED "
        "or in progress (in the past: due now); null when none")


class CanaryResult(Model):
    """One recorded canary result (the selector-health history)."""

    id: str
    device_id: str
    platform: str
    account: str
    verdict: CanaryVerdict
    message: str
    trigger: CanaryTrigger
    definitions_version: int | None
    definitions_hash: str | None
    started_at: datetime
    received_at: datetime
    duration_s: float
    findings: list[SelectorFinding]
    broken_selector: str | None = None
    broken_where: str | None = None
    broken_phase: str | None = None
    posted: bool | None = None
    discarded: bool | None = None
    proofs: list[CanaryProof] = Field(default_factory=list)


class BrokenSelector(Model):
    selector: str
    where: str = Field(description="`selectors/<platform>.yaml:LINE`")
    phase: str
    proof_asset_id: str | None = Field(None, description="the screenshot of the page where "
                                       "it did not resolve")
    proof_url: str | None = Field(None, description="`/api/assets/{assetId}`")


class SelectorHealth(Model):
    """The latest canary of one platform and account, and when it was last healthy."""

    platform: str
    account: str
    verdict: CanaryVerdict
    checked_at: datetime = Field(description="when the server received the latest result")
    last_healthy_at: datetime | None = Field(None, description="the newest healthy result")
    device_id: str
    message: str
    definitions_version: int | None
    definitions_hash: str | None
    result_id: str
    broken: list[BrokenSelector] = Field(default_factory=list)
    fallbacks: list[str] = Field(default_factory=list,
                                 description="selectors that resolved only through a fallback")


# --- definitions versions (what a team ships to its devices) ------------------------------

MAX_DEFINITIONS_ARCHIVE = 20 * 1024 * 1024  # bytes of a pushed set's tar.gz
MAX_DEFINITIONS_UNPACKED = 100 * 1024 * 1024  # bytes of all its files together
MAX_DEFINITIONS_FILES = 5_000
MAX_DEFINITIONS_FILE = 10 * 1024 * 1024  # bytes of one file of a set
MAX_SCENARIOS = 5_000  # scenarios one push may report
MAX_AUTHOR = 200
Short = Annotated[str, StringConstraints(max_length=MAX_REASON)]


class ScenarioOutcome(Model):
    """One replayed scenario as the pushing client saw it."""

    file: Annotated[str, StringConstraints(min_length=1, max_length=500)] = Field(
        description="its scenarios file, relative to the set (`fixtures/<folder>/scenarios.yaml`)")
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    platform: Annotated[str, StringConstraints(max_length=100)] = ""
    passed: bool = Field(description="ran as its file expects")
    outcome: Annotated[str, StringConstraints(max_length=20)] = Field(
        "", description="`passed`, `failed` or `error` (could not run)")
    message: Short = ""


class LintSummary(Model):
    files: int = Field(0, ge=0)
    errors: int = Field(0, ge=0)
    warnings: int = Field(0, ge=0)
    problems: list[Short] = Field(default_factory=list, max_length=100,
                                  description="the first errors, `file:line:col: message`")


class DefinitionsReport(Model):
    """What the pushing client ran on the set before uploading it: the server accepts the set
    only when this names its hash, lints clean and covers every scenario, all passed."""

    hash: DefinitionsHash
    lint: LintSummary
    scenarios: list[ScenarioOutcome] = Field(default_factory=list, max_length=MAX_SCENARIOS)
    runner_version: Annotated[str, StringConstraints(max_length=100)] = ""


class DefinitionsVersion(Model):
    version: int
    hash: str
    author: str
    created_at: datetime
    current: bool
    size: int = Field(description="bytes of the archive")
    files: int
    scenarios: int = Field(description="scenarios that replayed green before the push")


class DefinitionsOffer(Model):
    """The heartbeat reply's word on the current definitions version."""

    version: int
    hash: DefinitionsHash
    url: Annotated[str, StringConstraints(max_length=MAX_URL)] = Field(
        description="where its archive is, relative to the server (`/api/definitions/N/bundle`)")


class StartRequest(LeaseRequest):
    """`start`: the lease, and which definitions the device runs this job with."""

    definitions_version: int | None = Field(None, ge=1, description="the server's version, "
                                            "null when the device uses its own definitions")
    definitions_hash: DefinitionsHash | None = None


HeartbeatResponse.model_rebuild()
