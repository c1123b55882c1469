"""From stored drift verdicts to "retrain now, because ..." with storm control.

The drift sensor's trigger calls `evaluate_policy` on every poll; the sensor calls `record_drift_retrain`
once it decides to start a retrain. The record is an atomic create-if-absent marker next to the
snapshot, so however many sensors, DAG runs or triggerers race, one snapshot starts at most one
drift retrain, and its time is what the cooldown counts from.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.data import claims, layout, snapshots
from airflow_champion.data.storage import Store, open_store
from airflow_champion.monitoring import policy
from airflow_champion.monitoring.monitor import verdict_history

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig

DRIFT_RETRAIN = "drift-retrain.json"


def _store(cfg: ModelConfig) -> Store:
    return open_store(cfg.snapshot_root())


def _marker(snapshot_id: str) -> str:
    return layout.claim(snapshot_id, DRIFT_RETRAIN)


def drift_retrains(cfg: ModelConfig) -> list[dict[str, Any]]:
    """Every drift-started retrain so far (one marker per snapshot), oldest first."""
    store = _store(cfg)
    out = []
    for sid in snapshots.list_snapshot_ids(cfg.snapshot_root()):
        if store.exists(_marker(sid)):
            out.append(json.loads(store.read_bytes(_marker(sid))))
    return sorted(out, key=lambda r: str(r.get("at", "")))


def evaluate_policy(
    cfg: ModelConfig, snapshot_id: str | None = None, *, now: datetime | None = None
) -> dict[str, Any] | None:
    """The policy's decision on the verdicts so far (up to `snapshot_id` if given).

    None when `snapshot_id` has no verdict yet (the caller keeps waiting).
    """
    history = verdict_history(cfg)
    if snapshot_id is not None:
        if snapshots.is_quarantined(cfg.snapshot_root(), snapshot_id):
            # its verdict will never count (verdict_history drops quarantined data): stop waiting
            reason = f"snapshot {snapshot_id} is quarantined; drift on data that failed validation is ignored"
            return {"retrain": False, "reason": reason, "model": cfg.name, "snapshot_id": snapshot_id}
        ids = [v.get("snapshot_id") for v in history]
        if snapshot_id not in ids:
            return None
        history = history[: ids.index(snapshot_id) + 1]
    if not history:
        return None
    latest = history[-1]
    sid = str(latest.get("snapshot_id"))
    store = _store(cfg)
    blocked = {sid} if store.exists(_marker(sid)) or claims.is_claimed(cfg, sid) else set()
    done = drift_retrains(cfg)
    last_at = policy.parse_time(done[-1].get("at")) if done else None
    decision = policy.decide_retrain(
        cfg.drift, history, last_retrain_at=last_at, claimed_snapshots=blocked, now=now
    )
    return {
        **decision.as_dict(),
        "model": cfg.name,
        "snapshot_id": sid,
        "drifted": bool(latest.get("drifted")),
        "share_drifted": latest.get("share_drifted"),
        "drifted_features": latest.get("drifted_features") or [],
        "champion_version": latest.get("champion_version"),
        "verdict_uri": latest.get("verdict_uri"),
        "report_uri": latest.get("report_uri"),
    }


def record_drift_retrain(cfg: ModelConfig, decision: dict[str, Any], by: str) -> bool:
    """Write the once-per-snapshot drift-retrain marker; False if another caller got there first."""
    record = {
        "snapshot_id": decision["snapshot_id"],
        "reason": decision.get("reason"),
        "by": by,
        "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    return claims.create_once(_store(cfg), _marker(decision["snapshot_id"]), record)


__all__ = ["DRIFT_RETRAIN", "drift_retrains", "evaluate_policy", "record_drift_retrain"]
