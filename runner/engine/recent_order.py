"""Telling this job's post from an older one where the platform shows no dates.

Some profiles list posts newest first with no date a machine can read (LinkedIn's recent
activity shows "1h" or nothing). There, "created after the earlier attempt's publish step
began" is read from the order: before the publish click the daemon records the head of the
list (`HEAD_SIZE` fingerprints, newest first); on a retry only a post listed above that head
can be this job's. When the head cannot be found again in the list (deleted, pushed out, the
list unreadable), nothing can be placed: the check is inconclusive, never a success.

A fingerprint is a post's URL where the list links one, else a digest of its text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ["HEAD_SIZE", "fingerprint", "head_position"]

HEAD_SIZE = 3  # enough to place the head among repeated texts, few enough to survive edits


def fingerprint(url: str | None, text: str) -> str:
    """How a listed post is recognised again: its URL, else its (normalised) text's digest."""
    if url:
        return url
    return "text:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def head_position(listed: Sequence[str], head: Sequence[str] | None) -> int | None:
    """Where the recorded head starts in `listed` (both newest first): posts above that
    index are newer than the head. None when it cannot be placed: no head was recorded, or
    it is not found exactly once as a run of consecutive posts. An empty head (nothing was
    listed before) puts every post above it."""
    if head is None:
        return None
    n = len(head)
    if n == 0:
        return len(listed)
    at = [i for i in range(len(listed) - n + 1) if tuple(listed[i:i + n]) == tuple(head)]
    return at[0] if len(at) == 1 else None
