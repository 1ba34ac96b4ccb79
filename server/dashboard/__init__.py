"""The operator dashboard at /app/publishing: pages over the same store and API functions.

`mount(app)` adds the routes, the static files and the in-memory sessions to the server app.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from server.dashboard import health_views
from server.dashboard.sessions import PATH, Sessions
from server.dashboard.views import HERE, new_dashboard, router
from server.store import SessionRecords


def mount(app: FastAPI) -> None:
    dash = new_dashboard()
    store = app.state.server.store
    if isinstance(store, SessionRecords):  # several replicas: sessions in the database
        dash.sessions = Sessions(records=store)
    app.state.dashboard = dash
    app.include_router(router)
    app.include_router(health_views.router)
    app.mount(f"{PATH}/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")
