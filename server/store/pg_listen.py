"""Cross-process wake-ups: NOTIFY inside the transactions that make a job claimable, LISTEN
in each replica.

The notification is sent by the same transaction as the change (PostgreSQL delivers it at
commit, never for a rolled-back change), so a replica that hears it finds the change already
visible. The payload only names the action: a listener looks at the database itself, which
also coalesces a burst of notifications into one look. A lost notification (a listener
reconnecting) is covered by `server.wakeup`'s fallback poll.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

import psycopg

__all__ = ["CHANNEL", "WAKE_ACTIONS", "Listener"]

log = logging.getLogger(__name__)

CHANNEL = "publish_runner_jobs"
# Audit actions after which a device may have something new to claim or to learn.
WAKE_ACTIONS = frozenset({
    "JOB_CREATED", "JOB_RESCHEDULED", "JOB_RETRIED", "JOB_RELEASED",
    "JOB_REQUEUED_AFTER_LOGIN", "JOB_STUCK_RECOVERY", "JOB_CANCELLED", "JOB_CONFIRMED",
    "JOB_REJECTED",
})
RECONNECT_AFTER = 1.0  # seconds between attempts when the listening connection is lost


class Listener:
    """One thread, one autocommit connection, `LISTEN`ing until `stop()`."""

    def __init__(self, url: str, on_change: Callable[[], None]) -> None:
        self._url = url
        self._on_change = on_change
        self._stop = threading.Event()
        self._conn: psycopg.Connection[object] | None = None
        self.ready = threading.Event()  # set once LISTEN is in place (tests wait on it)
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True) as conn:
                    self._conn = conn
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    self._on_change()  # anything missed while (re)connecting
                    while not self._stop.is_set():
                        if any(True for _ in conn.notifies(timeout=0.5, stop_after=1)):
                            self._on_change()
            except psycopg.Error:
                if not self._stop.is_set():
                    log.warning("lost the LISTEN connection; reconnecting",
                                extra={"action": "wakeup"})
                    self._stop.wait(RECONNECT_AFTER)
            finally:
                self._conn = None

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        conn = self._conn
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()
