"""Run the sandbox site in a background thread, for tests, the demo and benchmarks.

    with SandboxServer() as sb:
        page.goto(sb.url + "/compose")
        assert sb.state.posts("main")

The socket is bound before the thread starts, so `.url` is known (and the port already
taken) the moment `start()` returns; `start()` also waits until uvicorn serves.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from sandbox.app import create_app
from sandbox.state import SandboxState


class SandboxServer:
    """uvicorn serving `create_app(state)` on 127.0.0.1 in a daemon thread."""

    def __init__(
        self,
        state: SandboxState | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.state = state if state is not None else SandboxState()
        self.host = host
        self._port = port
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None
        self._bound_port: int | None = None

    @property
    def port(self) -> int:
        """The port actually bound (the free one picked when asked for port 0)."""
        if self._bound_port is None:
            raise RuntimeError("SandboxServer has not been started")
        return self._bound_port

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. http://127.0.0.1:41234."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("SandboxServer already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        self._bound_port = int(sock.getsockname()[1])
        sock.setblocking(False)
        self._socket = sock
        config = uvicorn.Config(
            create_app(self.state),
            log_level=self._log_level,
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="sandbox-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"sandbox server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox server did not start in time")
            time.sleep(0.01)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(); a thread must not raise
            self._error = exc

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
