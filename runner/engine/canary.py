"""Canary mode: the rule that keeps a dry run on a live account from publishing.

A canary runs a playbook's phases up to and including `confirm`, then its `discard` steps.
That the run never publishes is enforced here, by the engine, whatever the playbook says:

1. The walk stops after `confirm`: `publish` and `verify` never start, and the
   `before_publish` hook (the last call before the irreversible step) is never called.
2. The *publish selectors* are the selectors the `publish` phase's steps name. Before any
   step runs in canary mode (in any phase, `discard` included), a step that acts on the page
   (`click`, `type`, `press`, `upload`, `dismiss`) and names a publish selector is refused:
   the run ends FAILED with `CANARY_REFUSED` and the step is not executed. So a
   `click: postButton` moved into `confirm` never clicks.
3. A `press` of a key with Enter (`Enter`, `Control+Enter`, `Meta+Enter`) is refused in
   canary mode: composers post on it without any selector being named.
4. A playbook whose `publish` phase names no selector cannot run as a canary at all (there
   would be nothing to guard): `CanaryRefused` before the browser does anything.

Why not trust the playbook: a playbook is edited under pressure when a platform changes, and
one misplaced step would publish from every workstation's scheduled canary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from common.errors import StepError

if TYPE_CHECKING:
    from common.errors import Problem
    from runner.engine.playbook import Playbook
    from runner.engine.steps import Step
    from runner.engine.yamlsrc import Source

# Step kinds that change the page (what a person would do with mouse or keyboard).
ACTING_KINDS = frozenset({"click", "type", "press", "upload", "dismiss"})
# The phase after which a canary stops.
LAST_CANARY_PHASE = "confirm"

__all__ = ["ACTING_KINDS", "LAST_CANARY_PHASE", "CanaryRefused", "check_playbook",
           "lint_problems", "publish_selectors", "refusal"]


class CanaryRefused(StepError):
    """A canary run was asked to do something that could publish."""

    code = "CANARY_REFUSED"


def publish_selectors(playbook: Playbook) -> frozenset[str]:
    """Every selector a step of the `publish` phase names."""
    return frozenset(ref for step in playbook.phases.get("publish", [])
                     for ref in step.selector_refs())


def check_playbook(playbook: Playbook) -> None:
    """Raise CanaryRefused when the playbook cannot run as a canary safely."""
    if not publish_selectors(playbook):
        raise CanaryRefused(
            f"{playbook.platform}: the publish phase names no selector, so a canary cannot "
            f"tell which element publishes ({playbook.file})")


def refusal(step: Step, guarded: frozenset[str]) -> str | None:
    """Why `step` may not run in canary mode, or None when it may."""
    if step.kind not in ACTING_KINDS:
        return None
    touched = sorted(set(step.selector_refs()) & guarded)
    if touched:
        return (f"canary mode: step '{step.title()}' acts on {', '.join(touched)}, which the "
                "publish phase uses; a canary never acts on the publish element")
    key = getattr(step, "key", None)
    if step.kind == "press" and isinstance(key, str) and "enter" in key.lower():
        return f"canary mode: pressing {key} could publish; a canary never presses Enter"
    return None


def lint_problems(playbook: Playbook, src: Source) -> list[Problem]:
    """What `lint` says about canaries: discard steps a canary would refuse are errors (the
    discard could never run), and a playbook without `discard` gets a warning."""
    guarded = publish_selectors(playbook)
    if playbook.discard is None:
        return [src.problem((), "no `discard` steps: `publish-runner canary` cannot leave "
                            "the composer without publishing", severity="warning")]
    out = []
    for i, step in enumerate(playbook.discard):
        reason = refusal(step, guarded)
        if reason is not None:
            out.append(src.problem(("discard", i), reason.removeprefix("canary mode: ")))
    return out
