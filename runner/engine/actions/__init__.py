"""Step actions, one function per step kind, registered in `ACTIONS` by importing these
modules (a unit test checks the registry covers `steps.STEP_TYPES` exactly)."""

from runner.engine.actions import checks, page, reading, text_entry, waits
from runner.engine.actions.registry import ACTIONS, Action, Note, action

__all__ = ["ACTIONS", "Action", "Note", "action", "checks", "page", "reading", "text_entry",
           "waits"]
