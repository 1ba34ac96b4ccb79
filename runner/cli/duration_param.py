"""`--min-gap 90`, `--claim-timeout 5m`: duration flags take what the config file takes."""

from __future__ import annotations

import click

from common.config import parse_duration

__all__ = ["DURATION", "Duration"]


class Duration(click.ParamType):
    """Seconds, as a number or with a unit: 500ms, 30s, 5m, 1h (the settings' one rule)."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        try:
            seconds = parse_duration(value if isinstance(value, str) else str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return float(seconds)


DURATION = Duration()
