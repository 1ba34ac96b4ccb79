"""Running the server: in the foreground with uvicorn (one process, or `workers` replica
processes on one port), or in a background thread.

`ServerThread` binds 127.0.0.1 on a free port before starting, so its URL is known at once;
tests use it, and the daemon's embedded mode can too.

Workers (`run_workers`): the parent binds the listening socket, then forks one process per
worker; each builds its own app (store pool, migrations under the advisory lock, wake-ups
with LISTEN/NOTIFY, recovery loop), so each is a replica like a server on another machine,
and the kernel hands every new connection to one of them. Only a store several processes
may share (PostgreSQL) can have more than one. The parent only supervises: SIGTERM or
Ctrl+C stops every worker (each releases its long polls and exits 0); a worker that dies on
its own stops the others, and the parent exits with its status, so whatever restarts the
service (systemd, a container runtime) starts all of them afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import traceback
from types import FrameType, TracebackType

import uvicorn
from fastapi import FastAPI

from common.errors import PublishRunnerError
from server.api.deps import ServerState
from server.app import create_app
from server.settings import ServerSettings
from server.store import Store

__all__ = ["WORKER_HEADER", "ServerThread", "listen", "run", "run_workers"]

STARTUP_TIMEOUT = 10.0  # seconds
WORKER_HEADER = "X-Publish-Runner-Worker"  # the answering worker's process id (workers > 1)

log = logging.getLogger(__name__)


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
    _serve_on(settings, listen(settings.host, settings.port))


def _serve_on(settings: ServerSettings, sock: socket.socket, *, worker: bool = False) -> None:
    app = create_app(settings)
    headers = [(WORKER_HEADER, str(os.getpid()))] if worker else []
    config = uvicorn.Config(app, log_config=None, access_log=False, timeout_graceful_shutdown=5,
                            headers=headers)
    _Foreground(config, app).run(sockets=[sock])


def run_workers(settings: ServerSettings, workers: int) -> int:
    """`workers` replica processes on one port until SIGTERM or Ctrl+C (module docstring);
    returns the exit status: 0 when stopped as asked, else the first failed worker's."""
    sock = listen(settings.host, settings.port)
    children: set[int] = set()
    stopping = False

    def stop_all(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    for _ in range(workers):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            os._exit(_worker(settings, sock))
        children.add(pid)
    sock.close()  # the workers hold it
    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    status = 0
    while children:
        pid, raw = os.wait()
        children.discard(pid)
        code = os.waitstatus_to_exitcode(raw)
        if not stopping:
            log.error("worker %d ended (status %d); stopping the others", pid, code,
                      extra={"action": "serve"})
            status = code or 1
            stop_all()
        elif code and code != -signal.SIGTERM and not status:  # killed while starting: fine
            status = code
    return status


def _worker(settings: ServerSettings, sock: socket.socket) -> int:
    """One worker's life; its exit status (2 for a configuration error, as the CLI's)."""
    os.setpgid(0, 0)  # Ctrl+C reaches the parent only, which stops each worker once
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        _serve_on(settings, sock, worker=True)
        return 0
    except PublishRunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


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
