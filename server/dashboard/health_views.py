"""The dashboard's selector-health page: per platform, each account's latest canary, the
platforms that need a fix first.

What an operator needs when a platform changed: the current verdict, when it was last
healthy, and the broken selectors with their `file:line` and the screenshot of the page
where they did not resolve. The same service as `GET /api/selector-health`.
"""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request, Response

from contract import models as s
from server.dashboard.sessions import PATH
from server.dashboard.views import DashboardRoute, _require, _svc, render

__all__ = ["router"]

router = APIRouter(prefix=PATH, include_in_schema=False, route_class=DashboardRoute)

# Worst first, so a platform's card leads with what needs a fix.
_ORDER = {s.CanaryVerdict.BROKEN: 0, s.CanaryVerdict.DEGRADED: 1,
          s.CanaryVerdict.INCONCLUSIVE: 2, s.CanaryVerdict.HEALTHY: 3}


@router.get("/health")
async def health_page(request: Request) -> Response:
    session = _require(request)
    rows = await _svc(request).health.overview()
    platforms = []
    for platform, group in groupby(sorted(rows, key=lambda h: h.platform),
                                   key=lambda h: h.platform):
        accounts = sorted(group, key=lambda h: (_ORDER[h.verdict], h.account))
        healthy = [h.last_healthy_at for h in accounts if h.last_healthy_at is not None]
        platforms.append((platform, accounts[0].verdict, max(healthy, default=None), accounts))
    platforms.sort(key=lambda p: (_ORDER[p[1]], p[0]))
    return render(request, "health.html", session, platforms=platforms)
