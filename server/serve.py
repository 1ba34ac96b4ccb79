"""Running the server: in the foreground with uvicorn, or in a background thread.

`ServerThread` binds 127.0.0.1 on a free port before starting, so its URL is known at once;
tests use it, and the daemon's embedded mode can too.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import FrameType, TracebackType

import uvicorn
from fastapi import FastAPI

from server.api.deps import ServerState
from server.app import create_app
from server.settings import ServerSettings
from server.store import Store

STARTUP_TIMEOUT = 10.0  # seconds


class _Foreground(uvicorn.Server):
    """uvicorn's server, releasing the long polls at the first stop signal (SIGTERM, Ctrl+C).

    Why: uvicorn waits for open requests before it stops; a claim waiting for a job would
    hold the stop for `timeout_graceful_shutdown` and then be cancelled mid-request
    ("Exception in ASGI application"). Released, it answers 204 at once, as
    `ServerThread.stop` does. The process then exits 0: a stop asked for is not a failure.
    """

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        state = getattr(self._app.state, "server", None)
        if self._loop is not None and state is not None:
            self._loop.call_soon_threadsafe(state.wakeup.close)
        captured = getattr(self, "_captured_signals", None)  # uvicorn >= 0.29 re-raises these
        if isinstance(captured, list):
            captured.clear()  # stopped as asked: exit 0, no re-raise after the shutdown


def run(settings: ServerSettings) -> None:
    """Serve in the foreground until SIGTERM or Ctrl+C."""
    app = create_app(settings)
    config = uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=5)
    _Foreground(config, app).run(sockets=[listen(settings.host, settings.port)])


def listen(host: str, port: int) -> socket.socket:
    """A listening socket whose accepted connections send small replies at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this; without it Nagle + delayed ACK add ~40 ms a reply.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


class ServerThread:
    """A real HTTP server on 127.0.0.1 in a thread: `with ServerThread(settings) as srv:`."""

    def __init__(
        self, settings: ServerSettings, store: Store | None = None, *, host: str = "127.0.0.1"
    ) -> None:
        self.app: FastAPI = create_app(settings, store)
        self._sock = listen(host, settings.port)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(self.app, log_config=None, lifespan="on", access_log=False,
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="publish-server", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    @property
    def state(self) -> ServerState:
        state: ServerState = self.app.state.server
        return state

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._sock])

    def start(self) -> ServerThread:
        self._thread.start()
        waited = 0.0
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"server did not start: {self._error!r}")
            if waited > STARTUP_TIMEOUT:
                raise RuntimeError("server did not start in time")
            threading.Event().wait(0.01)
            waited += 0.01
        return self

    def stop(self) -> None:
        """Release long polls, then shut down gracefully."""
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.state.wakeup.close)
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
