"""The ASGI app: routes, the contract's error shape, and the background parts' lifetime.

`create_app(settings, store=...)` wires everything; the recovery loop and the wake-up timer
run on the app's event loop for as long as it is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import auth, dashboard, errors, recovery
from server.api import definitions, device, health, operator
from server.assets import AssetFiles
from server.runtime import ServerState
from server.services import Parts, Services
from server.settings import ServerSettings
from server.store import Shared, Store, open_store
from server.wakeup import Wakeup

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _install_error_handlers(app: FastAPI) -> None:
    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, errors.ApiError)
        return _error(exc.status, exc.code, exc.message)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _error(422, "VALIDATION_ERROR", _describe(exc))

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
        return _error(exc.status_code, code, str(exc.detail))

    app.add_exception_handler(errors.ApiError, api_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


def create_app(
    settings: ServerSettings,
    store: Store | None = None,
    *,
    tokens: auth.Tokens | None = None,
) -> FastAPI:
    """The server app. A store passed in stays open after shutdown (its owner closes it)."""
    data_dir = settings.resolved_data_dir()
    owns_store = store is None
    the_store = store or open_store(settings.db, data_dir / "server.db")
    the_tokens = tokens or auth.ensure_tokens(
        data_dir, operator=settings.operator_token, enroll=settings.enroll_token
    )
    parts = Parts(
        settings=settings,
        store=the_store,
        wakeup=Wakeup(the_store),
        assets=AssetFiles(data_dir / "assets", max_bytes=settings.max_asset_bytes),
        uptime=recovery.Uptime(),
        offload_store=isinstance(the_store, Shared),  # see services._base: measured
    )
    state = ServerState(
        settings=settings, store=parts.store, wakeup=parts.wakeup, assets=parts.assets,
        tokens=the_tokens, services=Services.build(parts), uptime=parts.uptime,
    )

    def _count(_: recovery.Report) -> None:
        state.recovery_passes += 1

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        state.uptime.since = time.time()  # recovery counts silence from here at the earliest
        state.wakeup.start()
        loop_task = asyncio.create_task(
            recovery.run_loop(state.store, settings, state.wakeup, stop, uptime=state.uptime,
                              on_pass=_count),
            name="recovery",
        )
        try:
            yield
        finally:
            stop.set()
            state.wakeup.close()
            await loop_task
            if owns_store:
                the_store.close()

    app = FastAPI(
        title="publish-runner server",
        version="1",
        description="The publishing API (docs/api.md) and the failure behaviour's "
        "recovery. Errors are always `{\"error\": {\"code\", \"message\"}}`.",
        lifespan=lifespan,
    )
    app.state.server = state
    _install_error_handlers(app)
    app.include_router(operator.ops)
    app.include_router(operator.router)
    app.include_router(device.router)
    app.include_router(health.router)
    app.include_router(health.ops)
    app.include_router(definitions.router)
    app.include_router(definitions.ops)
    dashboard.mount(app)
    return app
