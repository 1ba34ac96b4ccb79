"""The registry of step actions: one async function per step kind.

    @action("click")
    async def click(run: Run, step: steps.Click, timeout: float) -> Note: ...

An action does the step's work on `run.page` and returns the step log's note. It raises a
`StepError` subclass for a failed step; Playwright errors are translated by the phase walk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    from runner.engine.walk import Run


class Note(NamedTuple):
    """What the step log records for a step that succeeded."""

    message: str
    selector: str | None = None
    candidate: int | None = None  # 1-based index of the candidate that won


Action = Callable[["Run", Any, float], Awaitable[Note]]
A = TypeVar("A", bound=Action)

ACTIONS: dict[str, Action] = {}


def action(kind: str) -> Callable[[A], A]:
    """Register the function as the action of step kind `kind` (once per kind)."""

    def register(fn: A) -> A:
        if kind in ACTIONS:
            raise ValueError(f"step kind {kind!r} already has an action")
        ACTIONS[kind] = fn
        return fn

    return register


__all__ = ["ACTIONS", "Action", "Note", "action"]
