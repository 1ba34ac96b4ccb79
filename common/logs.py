"""Structured logging: every record carries `job`, `platform`, `phase` and `step`.

Library code only calls `logging.getLogger(__name__)` and sets the context with
`log_context(...)`; handlers and formats are set up by the CLI alone (`configure`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

CONTEXT_KEYS = ("job", "platform", "phase", "step")

_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "publish_runner_log_context", default=None
)


@contextlib.contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Add keys to the logging context of this task (asyncio-safe) for the `with` body."""
    merged = dict(_context.get() or {})
    merged.update({k: str(v) for k, v in values.items() if v is not None})
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, str]:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Copies the task's context onto each record so formatters can rely on the fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get() or {}
        for key in CONTEXT_KEYS:
            if not hasattr(record, key):
                setattr(record, key, ctx.get(key, ""))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_KEYS:
            doc[key] = getattr(record, key, "") or None
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """One line a record: local time (an operator reads it against the wall clock), level,
    message, then the context keys that are set."""

    def format(self, record: logging.LogRecord) -> str:
        where = " ".join(
            f"{k}={v}" for k in CONTEXT_KEYS if (v := getattr(record, k, ""))
        )
        when = datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M:%S")
        line = f"{when} {record.levelname.lower():7} {record.getMessage()}"
        if where:
            line += f"  [{where}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


_after_line: list[Callable[[], None]] = []


def after_each_terminal_line(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after each log line written to a terminal (a live status line redraws
    itself then); returns the function that stops it."""
    _after_line.append(callback)
    return lambda: _after_line.remove(callback) if callback in _after_line else None


class TerminalHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """On a terminal the current line may hold a live status line: it is cleared before a
    record is written, so the two never run together, and redrawn after it."""

    def emit(self, record: logging.LogRecord) -> None:
        isatty = getattr(self.stream, "isatty", None)
        tty = bool(isatty and isatty())
        if tty:
            self.stream.write("\r\x1b[2K")
        super().emit(record)
        if tty:
            for callback in list(_after_line):
                callback()


def configure(level: str = "INFO", fmt: str = "text", stream: Any = None) -> None:
    """Install one handler on the root logger. Only the CLI calls this."""
    handler = TerminalHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "asyncio", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
