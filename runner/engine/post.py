"""What a run publishes, and the run-wide values templates read from it."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Post:
    """What to publish. Media are local file paths."""

    text: str
    media: tuple[Path, ...] = ()
    account: str = "main"
    # For the recent-posts check of a retry (issue 12, defect 1): a post the platform dates
    # before `not_before`, or whose URL is in `claimed_urls` (another job's), is not this one.
    not_before: datetime | None = None
    claimed_urls: frozenset[str] = frozenset()
    # Where the list has no dates (`recent_posts_order: newest_first`): the fingerprints of
    # the newest posts listed before the earlier attempt's publish click; None: unknown.
    head: tuple[str, ...] | None = None

    def values(self) -> dict[str, Any]:
        """`post.*` in templates and `when:` conditions."""
        return {"text": self.text, "media": [str(m) for m in self.media],
                "account": self.account,
                "has_video": any(media_kind(m) == "video" for m in self.media),
                "has_images": any(media_kind(m) == "image" for m in self.media)}


def media_kind(path: Path) -> str:
    """'video', 'image' or '' from the file name, for `when: post.has_video`."""
    guessed = mimetypes.guess_type(path.name)[0] or ""
    return guessed.split("/", 1)[0] if guessed.startswith(("video/", "image/")) else ""


__all__ = ["Post", "media_kind"]
