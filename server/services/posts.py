"""Posts: create, the approval steps, and scheduling (which wakes the claims it concerns)."""

from __future__ import annotations

import time
from datetime import datetime

from contract import models as s
from server import states
from server.services._base import Service
from server.services.health import canary_warnings

__all__ = ["Posts"]


class Posts(Service):
    async def create(self, req: s.PostCreate) -> s.PostDetail:
        """A post in DRAFT; its media must be uploaded assets."""
        return await self.call(self.store.create_post, req)

    async def get(self, post_id: str) -> s.PostDetail:
        return await self.call(self.store.get_post, post_id)

    async def find(
        self, status: s.PostStatus | None = None, limit: int = 100, *,
        newest_first: bool = False,
    ) -> list[s.PostDetail]:
        return await self.call(self.store.list_posts, status, limit, newest_first=newest_first)

    async def submit(self, post_id: str) -> s.PostDetail:
        """DRAFT → PENDING_APPROVAL."""
        allowed, to = states.POST_SUBMIT
        return await self.call(self.store.transition_post, post_id, set(allowed), to)

    async def approve(self, post_id: str) -> s.PostDetail:
        """PENDING_APPROVAL → APPROVED."""
        allowed, to = states.POST_APPROVE
        return await self.call(self.store.transition_post, post_id, set(allowed), to)

    async def schedule(self, post_id: str, at: datetime) -> s.ScheduleResponse:
        """One job per target (idempotent by `{postId}:{platform}:{scheduledAt}`). Jobs due
        now wake a waiting claim each; later ones are left to the wake-up timer. A target
        platform whose latest canary was broken adds a warning (services.health)."""
        targets = (await self.call(self.store.get_post, post_id)).targets
        post = await self.call(
            self.store.schedule, post_id, at, max_attempts=self.settings.max_attempts,
            online_window=self.settings.online_window,
            extra_warnings=await canary_warnings(self, targets),
        )
        now = time.time()
        self.wakeup.notify(
            s.Target(platform=j.platform, account=j.account)
            for j in post.jobs
            if j.status is s.JobStatus.QUEUED and j.scheduled_at.timestamp() <= now
        )
        self.wakeup.rearm()
        return s.ScheduleResponse(**post.model_dump())

    async def approve_and_schedule(self, post_id: str, at: datetime) -> s.ScheduleResponse:
        """The operator's one step (the dashboard's): submit and approve as needed, then
        schedule, through the same rules as the separate steps."""
        post = await self.get(post_id)
        if post.status is s.PostStatus.DRAFT:
            post = await self.submit(post.id)
        if post.status is s.PostStatus.PENDING_APPROVAL:
            post = await self.approve(post.id)
        return await self.schedule(post.id, at)
