"""Selector health: canary results from devices, the history, and what it means for posts.

A device reports each canary it ran (`record`), its proofs uploaded first as assets
(`add_proof`, images only, checked by their bytes like a run's proofs). Operators read the
latest verdict per platform and account (`overview`, the dashboard's health page and
`GET /api/selector-health`). Scheduling asks `warnings` for its targets: a platform whose
latest conclusive canary was broken warns that the post will probably fail the same way.
Devices ask `next_due` before a canary, so it never starts right before a job.
"""

from __future__ import annotations

from datetime import datetime, timezone

from contract import models as s
from server.assets import IMAGE_TYPES, Reader
from server.services._base import Service

__all__ = ["Health", "broken_warning", "canary_warnings"]


def broken_warning(result: s.CanaryResult) -> str:
    """The scheduling warning for a platform whose latest canary was broken."""
    where = f" ({result.broken_selector} at {result.broken_where})" if (
        result.broken_selector and result.broken_where) else (
        f" ({result.broken_selector})" if result.broken_selector else "")
    at = result.received_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"{result.platform}: the latest canary ({result.platform}/{result.account}, "
            f"{at}) was broken{where}: this post will probably fail the same way until the "
            "selectors are fixed")


class Health(Service):
    async def add_proof(self, file: Reader, sha256: str) -> str:
        """A canary's screenshot, kept as an asset (idempotent: the id is its sha256)."""
        asset = await self.assets.save(file, allowed=IMAGE_TYPES, expected_sha256=sha256)
        await self.call(self.store.add_asset, asset)
        return asset.asset_id

    async def record(self, device_id: str, req: s.CanaryResultRequest
                     ) -> s.CanaryResultResponse:
        duplicate = await self.call(self.store.add_canary_result, device_id, req)
        return s.CanaryResultResponse(id=req.id, duplicate=duplicate)

    async def overview(self) -> list[s.SelectorHealth]:
        return await self.call(self.store.selector_health)

    async def history(self, *, platform: str | None = None, account: str | None = None,
                      limit: int = 100) -> list[s.CanaryResult]:
        return await self.call(self.store.canary_results, platform=platform, account=account,
                               limit=limit)

    async def next_due(self, platform: str, account: str) -> s.NextDueResponse:
        at = await self.call(self.store.next_due, platform, account)
        return s.NextDueResponse(
            next_due_at=None if at is None else datetime.fromtimestamp(at, timezone.utc))

    async def warnings(self, targets: list[s.Target]) -> list[str]:
        return await canary_warnings(self, targets)


async def canary_warnings(svc: Service, targets: list[s.Target]) -> list[str]:
    """One warning per target platform whose latest conclusive canary was broken (what
    scheduling a post adds to its warnings)."""
    out = []
    for platform in dict.fromkeys(t.platform for t in targets):
        latest = await svc.call(svc.store.latest_conclusive, platform)
        if latest is not None and latest.verdict is s.CanaryVerdict.BROKEN:
            out.append(broken_warning(latest))
    return out
