""""Did you mean …?" for names people type in YAML: fields, steps, selectors, platforms.

A typo in a selector file costs a CI round trip; naming the closest known name costs nothing.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

__all__ = ["did_you_mean", "fields_at"]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


def fields_at(model: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found at `path` inside `model` (list indexes and mapping
    keys step through containers); [] when the path leads to no model."""
    current: Any = model
    for part in path:
        current = _child(current, part)
        if current is None:
            return []
    target = _model_in(current)
    return list(target.model_fields) if target is not None else []


def _model_in(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    models = [m for arg in typing.get_args(tp) if (m := _model_in(arg)) is not None]
    return models[0] if len(models) == 1 else None


def _child(tp: Any, part: str | int) -> Any:
    for arg in typing.get_args(tp):  # pydantic names the union member it tried: `Redirect`
        if isinstance(arg, type) and arg.__name__ == part:
            return arg
    model = _model_in(tp)
    if model is not None and isinstance(part, str) and part in model.model_fields:
        return model.model_fields[part].annotation
    for arg in typing.get_args(tp):  # list[X] / dict[str, X] / X | None
        origin = typing.get_origin(arg) or arg
        if origin in (list, tuple) and isinstance(part, int):
            return typing.get_args(arg)[0]
        if origin is dict and isinstance(part, str):
            return typing.get_args(arg)[1]
    origin = typing.get_origin(tp)
    if origin in (list, tuple) and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None
