"""Log lines and the live status line share a terminal: a log line clears the status line
first (never "waiting · last: okinfo    …" on one line), and the status line comes back."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from common.logs import configure
from runner.device.status import StatusLine

CLEAR = "\r\x1b[2K"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_log_line_on_a_terminal_starts_on_a_cleared_line() -> None:
    term = Terminal()
    configure("INFO", "text", stream=term)
    term.write(CLEAR + "waiting · last: ok")
    logging.getLogger("t").warning("server unreachable")
    written = term.getvalue()
    assert written.index("waiting") < written.rindex(CLEAR) < written.index("server unreachable")
    line = written.rsplit(CLEAR, 1)[1]
    assert line.split()[2:4] == ["warning", "server"]  # date, time, level, message


def test_no_escape_codes_when_not_a_terminal() -> None:
    plain = io.StringIO()
    configure("INFO", "json", stream=plain)
    logging.getLogger("t").info("hello")
    assert "\x1b" not in plain.getvalue() and '"message": "hello"' in plain.getvalue()


def test_the_status_line_is_drawn_again_after_a_log_line() -> None:
    term = Terminal()
    configure("INFO", "text", stream=term)
    status = StatusLine(stream=term)
    status.update(state="waiting for jobs")

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(status.run(stop))
        await asyncio.sleep(0.4)  # drawn once
        logging.getLogger("t").info("claimed a job")
        await asyncio.sleep(0.6)  # and again after the log line
        stop.set()
        await task

    asyncio.run(scenario())
    after_log = term.getvalue().split("claimed a job", 1)[1]
    assert "waiting for jobs" in after_log
