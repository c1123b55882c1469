"""What is in a model's snapshot root, for a person: `mlops snapshot list` and `mlops snapshot show`.

Read-only. Each snapshot is described as the pipeline sees it: complete (manifest + matching sha256),
quarantined (a marker no one released), and claimed or decided by a retrain run (`data.claims`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_champion.data import claims, layout, snapshots
from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.data.manifest import Manifest, read_manifest, verify_data
from airflow_champion.data.storage import open_store
from airflow_champion.errors import SnapshotError

if TYPE_CHECKING:
    from airflow_champion.config import ModelConfig


def _manifest(root: str, sid: str) -> tuple[Manifest | None, str | None]:
    """(manifest, None) when complete; (manifest or None, why not) otherwise (malformed, refused link)."""
    try:
        m = read_manifest(root, sid)
    except SnapshotError as exc:
        return None, str(exc)
    try:
        verify_data(root, m)
    except SnapshotError as exc:
        return m, str(exc)
    return m, None


ROW_KEYS = (
    "snapshot_id", "rows", "bytes", "format", "created_at", "complete", "incomplete", "quarantined",
    "released", "claim", "claim_generation", "decided", "outcome",
)  # fmt: skip


def summarize(cfg: ModelConfig, snapshot_id: str) -> dict[str, Any]:
    """One row of `snapshot list`: id, rows, bytes, created_at, complete, quarantined, claim state."""
    root = cfg.snapshot_root()
    sid = validate_snapshot_id(snapshot_id)
    m, incomplete = _manifest(root, sid)
    quarantined = snapshots.is_quarantined(root, sid)
    generation, record = claims.current_claim(cfg, sid)
    state = record.get("state") if record else None
    return {
        "snapshot_id": sid,
        "rows": m.rows if m else None,
        "bytes": m.bytes if m else None,
        "format": m.format if m else None,
        "created_at": m.created_at if m else None,
        "complete": incomplete is None,
        "incomplete": incomplete,
        "quarantined": quarantined,
        "released": not quarantined and snapshots.quarantine_marker(root, sid) is not None,
        "claim": state,
        "claim_generation": generation,
        "decided": state == claims.DONE,
        "outcome": ((record or {}).get("outcome") or {}).get("summary"),
    }


def _unreadable(sid: str, why: str) -> dict[str, Any]:
    """The row of a snapshot whose folder the store refuses (e.g. a linked `_claims/`): listed, with why."""
    row: dict[str, Any] = dict.fromkeys(ROW_KEYS)
    return {**row, "snapshot_id": sid, "complete": False, "incomplete": why, "decided": False}


def list_snapshots(cfg: ModelConfig) -> list[dict[str, Any]]:
    """Every snapshot folder of the model, in id (time) order, complete or not; one bad one is a row."""
    rows = []
    for sid in snapshots.list_snapshot_ids(cfg.snapshot_root()):
        try:
            rows.append(summarize(cfg, sid))
        except SnapshotError as exc:
            rows.append(_unreadable(sid, str(exc)))
    return rows


def _read_json(root: str, rel: str) -> Any:
    store = open_store(root)
    if not store.exists(rel):
        return None
    try:
        return json.loads(store.read_bytes(rel))
    except ValueError:
        return {"unreadable": store.uri(rel)}


def describe(
    cfg: ModelConfig,
    snapshot_id: str,
    *,
    report_names: Sequence[str] = (),
    claim_names: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything known about one snapshot: manifest, quarantine (and releases), claims, reports.

    `report_names` (`_reports/`) and `claim_names` (other once-only records under `_claims/`) are
    the files to look for; their writers, in higher layers, name them.
    """
    root = cfg.snapshot_root()
    sid = validate_snapshot_id(snapshot_id)
    known = snapshots.list_snapshot_ids(root)
    if sid not in known:
        shown = ", ".join(known[-5:]) or "none"
        raise SnapshotError(f"{cfg.name}: no snapshot {sid} under {root} (latest ids: {shown})")
    m, _ = _manifest(root, sid)
    store = open_store(root)
    generation, record = claims.current_claim(cfg, sid)
    return {
        **summarize(cfg, sid),
        "model": cfg.name,
        "root": root,
        "manifest": m.to_dict() if m else None,
        "quarantine": {
            "marker": snapshots.quarantine_marker(root, sid),
            "releases": snapshots.release_records(root, sid),
        },
        "claims": {
            "announced": _read_json(root, layout.claim(sid, claims.ANNOUNCED)),
            "retrain": {"generation": generation, "record": record},
            **{name: _read_json(root, layout.claim(sid, name)) for name in claim_names},
        },
        "reports": {
            name: store.uri(layout.report(sid, name))
            for name in report_names
            if store.exists(layout.report(sid, name))
        },
    }


__all__ = ["describe", "list_snapshots", "summarize"]
