"""The selector-health history in SQL both backends read alike: canary results, their
proofs, the latest per platform and account, and their share of the retention.

A result is one row (its findings as JSON: they are read back whole, never searched) plus
one `canary_proofs` row per screenshot, which is an asset like a run's proof. Retention
removes results older than the cutoff except, per platform and account, the latest one and
the latest healthy one: the health page shows both, however old they are.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, ClassVar

from contract import models as s
from server import errors
from server.store.base import Pruned
from server.store.sqlite_core import Row, must_dt
from server.store.sqlite_prune import SqlitePrune

__all__ = ["SqliteHealth"]

CONCLUSIVE = ("healthy", "degraded", "broken")
LIVE_JOBS = ("QUEUED", "CLAIMED", "RUNNING", "AWAITING_CONFIRM")

# The newest row per (platform, account): no other row of the pair is newer.
_LATEST = (
    "SELECT * FROM canary_results c WHERE NOT EXISTS (SELECT 1 FROM canary_results n"
    " WHERE n.platform = c.platform AND n.account = c.account"
    " AND (n.received_at > c.received_at OR (n.received_at = c.received_at AND n.id > c.id)))"
    " ORDER BY c.platform, c.account"
)


class SqliteHealth(SqlitePrune):
    """Canary results and selector health (extends the prune with the history's rows)."""

    ASSET_REFS: ClassVar[tuple[str, ...]] = (
        *SqlitePrune.ASSET_REFS, "SELECT asset_id FROM canary_proofs")
    LATEST_SQL: ClassVar[str] = _LATEST

    # --- writing -------------------------------------------------------------------------

    def add_canary_result(self, device_id: str, req: s.CanaryResultRequest) -> bool:
        """Record a result; True when this id was already recorded (a retried report).
        Its proofs must be assets already; the same id from another device is refused."""
        now = self.clock()
        detail = {
            "findings": [f.model_dump(mode="json", by_alias=True) for f in req.findings],
            "brokenSelector": req.broken_selector, "brokenWhere": req.broken_where,
            "brokenPhase": req.broken_phase, "posted": req.posted, "discarded": req.discarded,
        }
        with self._tx() as db:
            if db.execute("SELECT 1 FROM canary_results WHERE id = ?", (req.id,)).fetchone():
                return self._duplicate(db, req.id, device_id)
            kinds = [p.kind for p in req.proofs]
            if len(set(kinds)) != len(kinds):
                raise errors.Invalid("proofs: at most one proof of each kind")
            self._require_assets(db, [p.asset_id for p in req.proofs], "proofs")
            added = db.execute(
                "INSERT INTO canary_results (id, device_id, platform, account, verdict,"
                " message, trigger_kind, definitions_version, definitions_hash, started_at,"
                " received_at, duration_s, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                (req.id, device_id, req.platform, req.account, req.verdict.value, req.message,
                 req.trigger.value, req.definitions_version, req.definitions_hash,
                 req.started_at.timestamp(), now, req.duration_s, json.dumps(detail)),
            ).rowcount
            if not added:  # the same report, recorded by a concurrent retry (PostgreSQL)
                return self._duplicate(db, req.id, device_id)
            for proof in req.proofs:
                db.execute("INSERT INTO canary_proofs (result_id, kind, asset_id)"
                           " VALUES (?, ?, ?)", (req.id, proof.kind.value, proof.asset_id))
            self._audit(db, "CANARY_REPORTED", device_id=device_id, platform=req.platform,
                        account=req.account, verdict=req.verdict.value, resultId=req.id)
        return False

    def _duplicate(self, db: sqlite3.Connection, result_id: str, device_id: str) -> bool:
        """A repeated report is harmless; the same id from another device is refused."""
        known = db.execute("SELECT device_id FROM canary_results WHERE id = ?",
                           (result_id,)).fetchone()
        if known is not None and known[0] != device_id:
            raise errors.Conflict(f"canary result {result_id} was reported by another device")
        return True

    # --- reading -------------------------------------------------------------------------

    def canary_results(self, *, platform: str | None = None, account: str | None = None,
                       limit: int = 100) -> list[s.CanaryResult]:
        """The history, newest first."""
        sql = "SELECT * FROM canary_results"
        where, args = [], []
        for column, value in (("platform", platform), ("account", account)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY received_at DESC, id DESC LIMIT ?"
        with self._read() as db:
            rows = db.execute(sql, [*args, limit]).fetchall()
            return [self._canary(db, r) for r in rows]

    def selector_health(self) -> list[s.SelectorHealth]:
        """The latest result per platform and account, with its last healthy time."""
        with self._read() as db:
            healthy = {(r[0], r[1]): float(r[2]) for r in db.execute(
                "SELECT platform, account, MAX(received_at) FROM canary_results"
                " WHERE verdict = 'healthy' GROUP BY platform, account").fetchall()}
            out = []
            for row in db.execute(self.LATEST_SQL).fetchall():
                result = self._canary(db, row)
                seen = healthy.get((result.platform, result.account))
                out.append(_health(result, None if seen is None else must_dt(seen)))
            return out

    def latest_conclusive(self, platform: str) -> s.CanaryResult | None:
        """The platform's newest result that says something about its selectors (any
        account): a logged-out canary neither breaks nor mends a platform."""
        marks = ", ".join("?" for _ in CONCLUSIVE)
        with self._read() as db:
            row = db.execute(
                f"SELECT * FROM canary_results WHERE platform = ? AND verdict IN ({marks})"
                " ORDER BY received_at DESC, id DESC LIMIT 1", (platform, *CONCLUSIVE)
            ).fetchone()
            return None if row is None else self._canary(db, row)

    def next_due(self, platform: str, account: str) -> float | None:
        """The earliest scheduled time of the account's jobs that are queued or under way
        (epoch seconds; in the past means due now), None when there is none."""
        marks = ", ".join("?" for _ in LIVE_JOBS)
        with self._read() as db:
            row = db.execute(
                "SELECT MIN(scheduled_at) FROM publishing_jobs WHERE platform = ?"
                f" AND account = ? AND status IN ({marks})", (platform, account, *LIVE_JOBS)
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def _canary(self, db: sqlite3.Connection, r: Row) -> s.CanaryResult:
        detail: dict[str, Any] = json.loads(r["detail"])
        proofs = [s.CanaryProof(kind=s.ProofKind(p["kind"]), asset_id=p["asset_id"])
                  for p in db.execute("SELECT kind, asset_id FROM canary_proofs"
                                      " WHERE result_id = ? ORDER BY kind", (r["id"],))]
        return s.CanaryResult(
            id=r["id"], device_id=r["device_id"], platform=r["platform"],
            account=r["account"], verdict=s.CanaryVerdict(r["verdict"]),
            message=r["message"], trigger=s.CanaryTrigger(r["trigger_kind"]),
            definitions_version=r["definitions_version"],
            definitions_hash=r["definitions_hash"], started_at=must_dt(r["started_at"]),
            received_at=must_dt(r["received_at"]), duration_s=float(r["duration_s"]),
            findings=[s.SelectorFinding.model_validate(f) for f in detail.get("findings", [])],
            broken_selector=detail.get("brokenSelector"),
            broken_where=detail.get("brokenWhere"), broken_phase=detail.get("brokenPhase"),
            posted=detail.get("posted"), discarded=detail.get("discarded"), proofs=proofs)

    # --- retention -----------------------------------------------------------------------

    def _prune(self, db: sqlite3.Connection, before: float, done: Pruned) -> None:
        """The history's share first, so the assets its removed proofs held are free for
        the asset sweep of the rest of the prune."""
        keep = {r[0] for r in db.execute(self.LATEST_SQL).fetchall()}
        keep |= {r[0] for r in db.execute(
            "SELECT c.id FROM canary_results c WHERE c.verdict = 'healthy' AND NOT EXISTS ("
            " SELECT 1 FROM canary_results n WHERE n.platform = c.platform"
            " AND n.account = c.account AND n.verdict = 'healthy'"
            " AND (n.received_at > c.received_at"
            " OR (n.received_at = c.received_at AND n.id > c.id)))").fetchall()}
        old = [r[0] for r in db.execute(
            "SELECT id FROM canary_results WHERE received_at < ?", (before,)).fetchall()]
        for result_id in old:
            if result_id in keep:
                continue
            db.execute("DELETE FROM canary_proofs WHERE result_id = ?", (result_id,))
            db.execute("DELETE FROM canary_results WHERE id = ?", (result_id,))
            done.canary_results += 1
        super()._prune(db, before, done)


def _health(result: s.CanaryResult, last_healthy: Any) -> s.SelectorHealth:
    proof = next((p.asset_id for p in result.proofs if p.kind is s.ProofKind.ON_FAILURE),
                 None) or next((p.asset_id for p in result.proofs), None)
    broken = [s.BrokenSelector(selector=f.selector, where=f.where, phase=f.phase,
                               proof_asset_id=proof,
                               proof_url=None if proof is None else f"/api/assets/{proof}")
              for f in result.findings if f.status is s.FindingStatus.BROKEN]
    if result.broken_selector and not any(b.selector == result.broken_selector
                                          for b in broken):
        broken.append(s.BrokenSelector(
            selector=result.broken_selector, where=result.broken_where or "",
            phase=result.broken_phase or "", proof_asset_id=proof,
            proof_url=None if proof is None else f"/api/assets/{proof}"))
    return s.SelectorHealth(
        platform=result.platform, account=result.account, verdict=result.verdict,
        checked_at=result.received_at, last_healthy_at=last_healthy,
        device_id=result.device_id, message=result.message,
        definitions_version=result.definitions_version,
        definitions_hash=result.definitions_hash, result_id=result.id, broken=broken,
        fallbacks=[f.selector for f in result.findings
                   if f.status is s.FindingStatus.FALLBACK])
