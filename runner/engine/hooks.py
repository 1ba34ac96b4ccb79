"""Where the caller joins a run (the daemon, replay, a test)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.engine.result import Proof, StepRecord
    from runner.engine.steps import Step


class EngineHooks:
    """The defaults suit a run with nobody watching. The daemon streams the step log, gates
    the publish step (lease, cancel, operator confirmation) and uploads proofs here."""

    async def on_step(self, record: StepRecord) -> None:
        """A step finished (or was skipped): stream it to the server or a terminal."""

    async def on_proof(self, proof: Proof) -> None:
        """A proof was written to disk."""

    async def checkpoint(self, phase: str) -> None:
        """A phase before `publish` starts: raise RunCancelled to stop the run here."""

    async def await_confirm(self, proof: Proof | None) -> bool:
        """The AWAITING_CONFIRM gate after the before_confirm proof; False rejects."""
        return True

    async def before_publish(self) -> None:
        """Last call before the irreversible step: check the lease, journal the intent."""

    async def after_phase(self, phase: str) -> None:
        """A phase's steps all ran (replay swaps in the next fixture page here)."""

    async def after_step(self, step: Step) -> None:
        """A step succeeded (replay lets a fixture redirect finish here)."""


__all__ = ["EngineHooks"]
