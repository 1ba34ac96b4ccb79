"""Option types of the command line: each refuses a bad value with one line that names the
option and what it accepts, before any work starts (click turns `fail()` into exit 2).

Why here and not in the models: the CLI is where a person types, so the message speaks of
flags and formats ("ISO 8601 with a UTC offset"), not of fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

if TYPE_CHECKING:  # generic in click's stubs since 8.2; plain classes before (we allow 8.1)
    _TimeType = click.ParamType[datetime]
    _NameType = click.ParamType[str]
    _PathType = click.Path[Path]
else:
    _TimeType = _NameType = click.ParamType
    _PathType = click.Path

__all__ = ["DEFAULT_ACCOUNT", "JOB_STATUSES", "LOG_LEVELS", "HtmlFile", "PlatformName",
           "Timestamp", "known_platforms"]

# The contract's own values, repeated here because importing the wire models costs a second
# or more on a busy machine and `--help` must stay instant; a unit test keeps them equal.
DEFAULT_ACCOUNT = "main"  # contract.models.DEFAULT_ACCOUNT
JOB_STATUSES = ("QUEUED", "CLAIMED", "RUNNING", "AWAITING_CONFIRM", "SUCCEEDED", "FAILED",
                "NEEDS_LOGIN", "CANCELLED")  # contract.models.JobStatus
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TIME_FORMATS = "'now', '+30m' / '+2h' / '+1d', or ISO 8601 with a UTC offset " \
               "(2025-01-01T10:00:00+00:00, 2025-01-01T10:00Z)"


class Timestamp(_TimeType):
    """An aware point in time: `now`, `+DURATION` from now, or ISO 8601 with an offset."""

    name = "TIME"
    _units: ClassVar[dict[str, str]] = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        now = datetime.now(timezone.utc)
        if text.lower() == "now":
            return now
        if text.startswith("+") and text[-1:].lower() in self._units:
            try:
                amount = float(text[1:-1])
            except ValueError:
                amount = -1.0
            if amount >= 0:
                return now + timedelta(**{self._units[text[-1].lower()]: amount})
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            self.fail(f"{text!r} is not a time: use {TIME_FORMATS}", param, ctx)
        if when.tzinfo is None:
            self.fail(f"{text!r} has no UTC offset: add one, e.g. {text}+00:00", param, ctx)
        return when


def known_platforms() -> list[str]:
    """Platforms with a playbook in the definitions this command would use."""
    from runner.engine.definitions import project_root

    return sorted(p.stem for p in (project_root() / "playbooks").glob("*.yaml"))


class PlatformName(_NameType):
    """A platform that has a playbook; the list is read when a value is checked, so `--help`
    does not load the definitions."""

    name = "PLATFORM"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip()
        known = known_platforms()
        if text not in known:
            self.fail(f"{text!r} is not a platform; choose from {', '.join(known)}", param, ctx)
        return text


class HtmlFile(_PathType):
    """An existing file whose text is an HTML page (a run's `failure.html`, a saved page)."""

    name = "HTML_FILE"

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Path:
        path = Path(super().convert(value, param, ctx))
        with path.open("rb") as handle:
            head = handle.read(4096)
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n").lower()
        if not text.startswith("<") or "\ufffd" in text[:64]:
            self.fail(f"{str(path)!r} is not an HTML page: expected a saved page or a run's "
                      "failure.html (.html text starting with '<')", param, ctx)
        return path
