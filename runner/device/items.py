"""What the outbox holds: typed items, checked against the contract when they are written.

An item the server's models would refuse must never reach the sender: it would be refused
there, long after the code that made the value is gone, and (before this module existed) it
ended the sender and stranded every later result. So each item is validated where it is
made: `RefusedItem` names the field and the limit at the call that wrote it. Text the daemon
composes itself (messages, reasons) is cut to size with `bounded` where it is composed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic.alias_generators import to_camel

from common.errors import PublishRunnerError
from contract import codes
from contract import models as s

__all__ = [
    "Completion",
    "FileItem",
    "RefusedItem",
    "RunKey",
    "bounded",
]


def bounded(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked as cut so nobody is misled."""
    if len(text) <= limit:
        return text
    marker = " […]"
    return text[: max(0, limit - len(marker))] + marker


class RefusedItem(PublishRunnerError, ValueError):
    """A result the contract would refuse, stopped where it was written."""

    def __init__(self, what: str, job_id: str, error: pydantic.ValidationError | str) -> None:
        if isinstance(error, pydantic.ValidationError):
            detail = "; ".join(  # the fields as the wire spells them
                f"{'.'.join(to_camel(str(p)) for p in e['loc']) or what}: {e['msg']}"
                for e in error.errors())
        else:
            detail = error
        self.what = what
        self.job_id = job_id
        self.detail = detail
        super().__init__(f"job {job_id}: the {what} cannot be sent, the server's contract "
                         f"refuses it: {detail}")


@dataclass(frozen=True)
class RunKey:
    """The run an item belongs to, and the lease it is sent under."""

    job_id: str
    run_id: str
    lease_token: str


@dataclass(frozen=True)
class FileItem:
    """A proof screenshot or a failure snapshot, copied into the outbox's folder."""

    kind: s.ProofKind | s.SnapshotKind
    sha256: str

    @property
    def is_proof(self) -> bool:
        return isinstance(self.kind, s.ProofKind)

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "sha256": self.sha256}

    @classmethod
    def from_payload(cls, item_kind: str, data: dict[str, Any]) -> FileItem:
        kind: s.ProofKind | s.SnapshotKind = (
            s.ProofKind(data["kind"]) if item_kind == "proof" else s.SnapshotKind(data["kind"]))
        return cls.checked(kind, str(data["sha256"]))

    @classmethod
    def checked(cls, kind: s.ProofKind | s.SnapshotKind, sha256: str) -> FileItem:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"sha256 {sha256[:80]!r} is not 64 lowercase hex digits")
        return cls(kind, sha256)


@dataclass(frozen=True)
class Completion:
    """The end of a run as a device reports it: a `CompleteRequest` without the lease, the
    run and the proofs' asset ids, which are only known when it is sent.

    The one constructor of a completion; `failed` and `succeeded` are the usual shapes.
    """

    outcome: s.Outcome
    error_code: str | None = None
    error_message: str | None = None
    post_url: str | None = None
    proof_kinds: tuple[s.ProofKind, ...] = ()

    @classmethod
    def failed(cls, code: str, message: str,
               proof_kinds: Iterable[s.ProofKind | str] = ()) -> Completion:
        """A failure the daemon describes itself: its message is bounded here."""
        return cls(s.Outcome.FAILED, code, bounded(message, s.MAX_MESSAGE),
                   proof_kinds=_kinds(proof_kinds))

    @classmethod
    def succeeded(cls, post_url: str | None,
                  proof_kinds: Iterable[s.ProofKind | str] = ()) -> Completion:
        return cls(s.Outcome.SUCCEEDED, post_url=post_url, proof_kinds=_kinds(proof_kinds))

    @classmethod
    def of(cls, outcome: str, *, error_code: str | None, error_message: str | None,
           post_url: str | None, proof_kinds: Iterable[s.ProofKind | str]) -> Completion:
        """From a run's result. The message is the daemon's to bound; a code or a URL that
        is too long is not cut (a cut URL points elsewhere): `check` refuses it."""
        return cls(s.Outcome(outcome), error_code,
                   bounded(error_message, s.MAX_MESSAGE) if error_message else None,
                   post_url, _kinds(proof_kinds))

    def request(self, key: RunKey, asset_ids: list[str]) -> s.CompleteRequest:
        """The wire model; raises pydantic's ValidationError for a value out of contract."""
        return s.CompleteRequest(lease_token=key.lease_token, run_id=key.run_id,
                                 outcome=self.outcome, error_code=self.error_code,
                                 error_message=self.error_message, post_url=self.post_url,
                                 proof_asset_ids=asset_ids)

    def check(self, key: RunKey) -> None:
        """Raise RefusedItem unless the server's model takes this completion."""
        try:
            self.request(key, ["0"] * len(self.proof_kinds))
        except pydantic.ValidationError as exc:
            raise RefusedItem("completion", key.job_id, exc) from exc

    def salvaged(self) -> Completion:
        """What can still be said when the contract refuses this completion: the outcome
        (a post that went live stays SUCCEEDED), without the values it refuses, and why."""
        bad = []
        code = self.error_code
        if code is not None and not _takes("error_code", code):
            bad.append(f"errorCode {code[:60]!r} ({len(code)} characters)")
            code = codes.RESULT_INVALID
        url = self.post_url
        if url is not None and not _takes("post_url", url):
            bad.append(f"postUrl {url[:80]!r} ({len(url)} characters)")
            url = None
        note = ("the run's result broke the server's contract, so parts were left out: "
                + ", ".join(bad or ["a value out of bounds"]))
        message = f"{note}. {self.error_message or ''}".strip()
        return Completion(self.outcome, code, bounded(message, s.MAX_MESSAGE), url,
                          self.proof_kinds[: s.MAX_PROOFS])

    def payload(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "errorCode": self.error_code,
                "errorMessage": self.error_message, "postUrl": self.post_url,
                "proofKinds": [k.value for k in self.proof_kinds]}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Completion:
        return cls(s.Outcome(data["outcome"]), data.get("errorCode"), data.get("errorMessage"),
                   data.get("postUrl"), _kinds(data.get("proofKinds") or ()))


def _takes(field: str, value: str) -> bool:
    """Whether the contract takes `value` for this field of a completion."""
    try:
        s.CompleteRequest.model_validate({"lease_token": "-", "run_id": "-",
                                          "outcome": "FAILED", field: value})
    except pydantic.ValidationError:
        return False
    return True


def _kinds(kinds: Iterable[s.ProofKind | str]) -> tuple[s.ProofKind, ...]:
    return tuple(s.ProofKind(k) for k in kinds)
