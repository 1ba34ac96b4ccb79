"""The operator dashboard at /app/publishing: pages over the same store and API functions.

`mount(app)` adds the routes, the static files and the in-memory sessions to the server app.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from server.dashboard.sessions import PATH
from server.dashboard.views import HERE, new_dashboard, router


def mount(app: FastAPI) -> None:
    app.state.dashboard = new_dashboard()
    app.include_router(router)
    app.mount(f"{PATH}/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")
