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


class HeartbeatResponse(Model):
    cancel_job_ids: list[str]
    check_login: bool


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
