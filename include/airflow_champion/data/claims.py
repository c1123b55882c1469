"""Once-per-snapshot bookkeeping: who announced a snapshot and which run retrains it.

Whatever starts a retrain (cron, new-snapshot event, drift, REST), the first step of the run claims the
snapshot. A claim is a small JSON file created with an atomic create-if-absent (O_EXCL locally,
`If-None-Match: *` on S3), so two runs racing for one snapshot cannot both win, on any storage.

Claims live next to the snapshot under `_claims/` and are never deleted (the project deletes nothing):
a claim moves forward by writing a new *generation* file (`retrain-2.json`, ...), again with
create-if-absent, when the previous holder released it (its run failed before deciding) or went stale
(its run stopped heartbeating for `claim_ttl_hours`: every step of the run renews its claim, and a
long step renews it from a thread: data.claim_heartbeat). A `done` claim is final unless forced. A run whose
claim was taken over is stopped at its next step or beat (ClaimLostError). Only a snapshot that has
landed (its manifest exists) can be claimed: an unknown id leaves no folder behind.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout, snapshots, verified_hashes
from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.data.manifest import Manifest
from airflow_champion.data.storage import Store, open_store
from airflow_champion.errors import IncompleteSnapshotError, SnapshotError
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)

ANNOUNCED = "announced.json"
ACTIVE, DONE, RELEASED = "active", "done", "released"
MAX_GENERATIONS = 1000


@dataclass(frozen=True)
class ClaimDecision:
    granted: bool
    snapshot_id: str
    reason: str
    generation: int = 0
    holder: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _parse(value: Any) -> datetime | None:
    try:
        t = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _rel(snapshot_id: str, generation: int) -> str:
    return layout.claim(snapshot_id, f"retrain-{generation}.json")


def _store(cfg: ModelConfig) -> Store:
    return open_store(cfg.snapshot_root())


def current_claim(cfg: ModelConfig, snapshot_id: str) -> tuple[int, dict[str, Any] | None]:
    """(generation, record) of the newest retrain claim of a snapshot; (0, None) when never claimed."""
    sid = validate_snapshot_id(snapshot_id)
    store = _store(cfg)
    generation = 0
    while generation < MAX_GENERATIONS and store.exists(_rel(sid, generation + 1)):
        generation += 1
    if generation == 0:
        return 0, None
    return generation, json.loads(store.read_bytes(_rel(sid, generation)))


def is_claimed(cfg: ModelConfig, snapshot_id: str, *, now: datetime | None = None) -> bool:
    """True when a run holds (or finished) this snapshot: the pickers must leave it alone."""
    _gen, record = current_claim(cfg, snapshot_id)
    return record is not None and _blocks(cfg, record, now or _now())


def _blocks(cfg: ModelConfig, record: dict[str, Any], now: datetime) -> bool:
    state = record.get("state")
    if state == DONE:
        return True
    if state != ACTIVE:
        return False
    at = _parse(record.get("heartbeat_at") or record.get("claimed_at"))
    return at is None or now - at < timedelta(hours=cfg.snapshots.claim_ttl_hours)


def claim_retrain(
    cfg: ModelConfig,
    snapshot_id: str,
    *,
    run_id: str,
    reason: str,
    force: bool = False,
    now: datetime | None = None,
) -> ClaimDecision:
    """Claim a snapshot for one retrain run; refused (with why) if another run has or had it.

    A snapshot that does not exist, or has no manifest yet (still landing), raises before anything
    is written (SnapshotError / IncompleteSnapshotError).
    """
    sid = validate_snapshot_id(snapshot_id)
    now = now or _now()
    store = _store(cfg)
    _require_landed(cfg, store, sid)
    for _attempt in range(5):
        generation, record = current_claim(cfg, sid)
        if record is not None and record.get("run_id") == run_id and record.get("state") == ACTIVE:
            return ClaimDecision(
                True, sid, f"run {run_id} already holds the claim (retry)", generation, record
            )
        if record is not None and _blocks(cfg, record, now) and not force:
            return ClaimDecision(False, sid, _refusal(record), generation, record)
        new = {
            "snapshot_id": sid,
            "run_id": run_id,
            "reason": reason[:500],
            "state": ACTIVE,
            "claimed_at": now.isoformat(),
            "forced": bool(force and record is not None and _blocks(cfg, record, now)),
            "previous": {k: record.get(k) for k in ("run_id", "state", "claimed_at")} if record else None,
        }
        if store.create_exclusive(_rel(sid, generation + 1), dumps(new, compact=True).encode()):
            why = "first claim" if record is None else f"previous claim {record.get('state')}"
            log.info("Claimed snapshot %s of %s for run %s (%s)", sid, cfg.name, run_id, why)
            return ClaimDecision(True, sid, why, generation + 1, new)
    generation, record = current_claim(cfg, sid)
    return ClaimDecision(False, sid, _refusal(record or {}), generation, record)


def _require_landed(cfg: ModelConfig, store: Store, sid: str) -> None:
    """Refuse to claim what has not landed: a claim would create `<id>/_claims/` (a folder the pickers
    then list as a snapshot) for a typo'd id, or hold a snapshot whose data is still uploading.

    Only the manifest's presence is checked (it is written last); the hash is validation's job.
    """
    if store.exists(layout.manifest(sid)):
        return
    root = cfg.snapshot_root()
    if sid not in snapshots.list_snapshot_ids(root):
        raise SnapshotError(f"snapshot {sid} does not exist in {root}; nothing was claimed")
    raise IncompleteSnapshotError(
        f"snapshot {sid} in {root} has no {layout.MANIFEST} yet (still landing?); nothing was claimed: "
        "retry once the manifest is written"
    )


def _refusal(record: dict[str, Any]) -> str:
    state = record.get("state")
    who = f"run {record.get('run_id')} ({record.get('reason') or 'no reason'}) at {record.get('claimed_at')}"
    if state == DONE:
        summary = (record.get("outcome") or {}).get("summary", "done")
        return f"snapshot {record.get('snapshot_id')} was already retrained by {who}: {summary}"
    beat = f", last heartbeat {record['heartbeat_at']}" if record.get("heartbeat_at") else ""
    return f"snapshot {record.get('snapshot_id')} is being retrained by {who}{beat}"


def _update(
    cfg: ModelConfig,
    snapshot_id: str,
    run_id: str,
    state: str,
    outcome: dict[str, Any],
) -> bool:
    generation, record = current_claim(cfg, snapshot_id)
    if record is not None and record.get("run_id") == run_id and record.get("state") == state:
        return True  # a retry of the same update: already done
    if record is None or record.get("run_id") != run_id or record.get("state") != ACTIVE:
        log.info("Snapshot %s: no active claim of run %s; leaving the claim as it is", snapshot_id, run_id)
        return False
    record = {**record, "state": state, "outcome": outcome, "updated_at": _now().isoformat()}
    _store(cfg).write_bytes(_rel(snapshot_id, generation), dumps(record, compact=True).encode())
    return True


def finish_claim(cfg: ModelConfig, snapshot_id: str, run_id: str, outcome: dict[str, Any]) -> bool:
    """The run decided (promoted or rejected): the snapshot is done for every later trigger."""
    return _update(cfg, snapshot_id, run_id, DONE, outcome)


def release_claim(cfg: ModelConfig, snapshot_id: str, run_id: str, why: str) -> bool:
    """The run ended without deciding (a gate failed): a later run may take the snapshot again.

    A no-op when the run already finished its claim, so it can run unconditionally as a teardown.
    """
    return _update(cfg, snapshot_id, run_id, RELEASED, {"summary": why[:500]})


def outcome(promoted: dict[str, Any]) -> dict[str, Any]:
    """What a finished claim records: the decision of the run that held it (from registry.promote)."""
    action = "promoted" if promoted.get("promoted") else "not promoted"
    if promoted.get("shadow"):
        action = f"shadow (would {'promote' if promoted.get('would_promote') else 'reject'})"
    why = "; ".join(promoted.get("reasons") or []) or str(promoted.get("reason") or "")
    return {
        "summary": f"v{promoted.get('to_version')} {action}: {why[:200]}",
        "promoted": bool(promoted.get("promoted")),
        "version": promoted.get("to_version"),
    }


def create_once(store: Store, rel: str, record: dict[str, Any]) -> bool:
    """Write a once-only record (create-if-absent); True for the caller whose `by` wrote it.

    A retry by the same caller (same `by`, e.g. a resumed task whose first attempt wrote the record
    and lost its answer) gets True again, so it carries on instead of believing someone else won.
    """
    if store.create_exclusive(rel, dumps(record, compact=True).encode()):
        return True
    try:
        existing = json.loads(store.read_bytes(rel))
    except (FileNotFoundError, ValueError):
        return False
    return isinstance(existing, dict) and existing.get("by") == record.get("by")


def announce(cfg: ModelConfig, snapshot_id: str, by: str) -> bool:
    """Mark a snapshot as announced to the scheduler; only the first caller (`by`) gets True."""
    sid = validate_snapshot_id(snapshot_id)
    record = {"snapshot_id": sid, "by": by, "at": _now().isoformat()}
    return create_once(_store(cfg), layout.claim(sid, ANNOUNCED), record)


def is_announced(cfg: ModelConfig, snapshot_id: str) -> bool:
    return _store(cfg).exists(layout.claim(snapshot_id, ANNOUNCED))


def find_new_snapshots(cfg: ModelConfig) -> tuple[list[Manifest], dict[str, str]]:
    """Complete snapshots no one has announced, claimed or quarantined; and why the others were skipped.

    Returns (ready, skipped) with skipped mapping snapshot id -> reason, so a sensor can log clearly why
    a snapshot that is visible in storage is not being picked up (e.g. manifest missing, hash mismatch).
    Inside `verified_hashes.remembered(cache)` (a trigger's poll) a data file whose fingerprint did not
    change since the last poll is not hashed again, and a known mismatch is not downloaded again.
    """
    root = cfg.snapshot_root()
    ready: list[Manifest] = []
    skipped: dict[str, str] = {}
    for sid in snapshots.list_snapshot_ids(root):
        if snapshots.is_quarantined(root, sid):
            skipped[sid] = "quarantined"
        elif is_announced(cfg, sid):
            skipped[sid] = "already announced"
        elif is_claimed(cfg, sid):
            skipped[sid] = "already claimed by a retrain run"
        else:
            try:
                ready.append(verified_hashes.check_complete(root, sid))  # no re-hash of unchanged files
            except IncompleteSnapshotError as exc:
                skipped[sid] = f"incomplete: {exc}"
            except SnapshotError as exc:
                skipped[sid] = f"unusable: {exc}"
    return ready, skipped


__all__ = [
    "ACTIVE",
    "DONE",
    "RELEASED",
    "ClaimDecision",
    "announce",
    "claim_retrain",
    "create_once",
    "current_claim",
    "find_new_snapshots",
    "finish_claim",
    "is_announced",
    "is_claimed",
    "outcome",
    "release_claim",
]
