"""The state machines as pure functions: which transitions exist, and a post's derived status.

Kept apart from the store so the rules are readable in one place and unit-testable without a
database (failure playbook §7).
"""

from __future__ import annotations

from collections.abc import Iterable

from contract.models import ACTIVE_JOB_STATUSES, JobStatus, PostStatus

CANCELLABLE = frozenset(
    {
        JobStatus.QUEUED,
        JobStatus.CLAIMED,
        JobStatus.RUNNING,
        JobStatus.AWAITING_CONFIRM,
        JobStatus.NEEDS_LOGIN,
    }
)
RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.NEEDS_LOGIN, JobStatus.CANCELLED})
POST_SUBMIT = ({PostStatus.DRAFT}, PostStatus.PENDING_APPROVAL)
POST_APPROVE = ({PostStatus.PENDING_APPROVAL}, PostStatus.APPROVED)
SCHEDULABLE_POSTS = frozenset(
    {
        PostStatus.APPROVED,
        PostStatus.SCHEDULED,
        PostStatus.PUBLISHING,
        PostStatus.PUBLISHED,
        PostStatus.FAILED,
    }
)


def derive_post_status(current_jobs: Iterable[JobStatus]) -> PostStatus | None:
    """The post status its current jobs imply (one current job per platform), or None when
    the post has no jobs and keeps its pre-schedule status.

    Order matters, as in the playbook: any job in flight → PUBLISHING; any FAILED → FAILED;
    any NEEDS_LOGIN → SCHEDULED (with a warning); all SUCCEEDED → PUBLISHED; anything still
    QUEUED → SCHEDULED. Cancelled jobs do not count; a post whose jobs are all cancelled is back
    to APPROVED, ready to be scheduled again.
    """
    every = list(current_jobs)
    if not every:
        return None
    statuses = [s for s in every if s is not JobStatus.CANCELLED]
    seen = set(statuses)
    if not statuses:
        return PostStatus.APPROVED
    if seen & ACTIVE_JOB_STATUSES:
        return PostStatus.PUBLISHING
    if JobStatus.FAILED in seen:
        return PostStatus.FAILED
    if JobStatus.NEEDS_LOGIN in seen:
        return PostStatus.SCHEDULED
    if seen == {JobStatus.SUCCEEDED}:
        return PostStatus.PUBLISHED
    return PostStatus.SCHEDULED
