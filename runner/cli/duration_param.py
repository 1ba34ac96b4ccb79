"""`--min-gap 90`, `--claim-timeout 5m`: duration flags take what the config file takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from common.config import parse_duration

if TYPE_CHECKING:  # generic in click's stubs since 8.2; a plain class before (we allow 8.1)
    _FloatType = click.ParamType[float]
else:
    _FloatType = click.ParamType

__all__ = ["DURATION", "Duration"]


class Duration(_FloatType):
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
