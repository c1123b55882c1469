"""Snapshots of one model's root: landing, listing, choosing "latest", quarantine and reports.

Snapshots are never deleted or moved; a failed one gets a `_quarantine/` folder beside its data
(`data.layout` spells every path). This module is the one resolver of "latest": the newest complete,
non-quarantined snapshot, for every step, the CLI, the drift monitor and the sensors alike.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout
from airflow_champion.data.ids import is_snapshot_id, validate_snapshot_id
from airflow_champion.data.manifest import Manifest, check_complete
from airflow_champion.data.storage import open_store
from airflow_champion.errors import IncompleteSnapshotError, SnapshotError
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    import pandas as pd


def write_snapshot(
    root: str,
    snapshot_id: str,
    df: pd.DataFrame,
    *,
    fmt: str = "parquet",
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """Write data then manifest (the manifest's presence is the 'complete' signal)."""
    sid = validate_snapshot_id(snapshot_id)
    if fmt not in layout.DATA_FILES:
        raise SnapshotError(f"unknown snapshot format {fmt!r}; use one of {sorted(layout.DATA_FILES)}")
    store = open_store(root)
    if store.exists(layout.manifest(sid)):
        raise SnapshotError(f"snapshot {sid} already exists in {root}; snapshots are immutable")
    buf = io.BytesIO()
    if fmt == "parquet":
        df.to_parquet(buf, index=False)
    else:
        buf.write(df.to_csv(index=False).encode("utf-8"))
    data = buf.getvalue()
    data_file = layout.DATA_FILES[fmt]
    store.write_bytes(layout.data(sid, data_file), data)
    manifest = Manifest(
        snapshot_id=sid,
        data_file=data_file,
        format=fmt,
        rows=len(df),
        columns=[{"name": str(c), "dtype": str(t)} for c, t in df.dtypes.items()],
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        extra=dict(extra or {}),
    )
    store.write_bytes(layout.manifest(sid), dumps(manifest.to_dict()).encode())
    return manifest


def list_snapshot_ids(root: str) -> list[str]:
    """Every folder under the root that is a valid snapshot id, in id (time) order."""
    return [d for d in open_store(root).list_dirs() if is_snapshot_id(d)]


def is_quarantined(root: str, snapshot_id: str) -> bool:
    sid = validate_snapshot_id(snapshot_id)
    return open_store(root).exists(layout.quarantine(sid))


def complete_snapshots(root: str) -> list[Manifest]:
    """Complete, non-quarantined snapshots in id (time) order; incomplete ones are skipped."""
    out = []
    for sid in list_snapshot_ids(root):
        if is_quarantined(root, sid):
            continue
        try:
            out.append(check_complete(root, sid))
        except IncompleteSnapshotError:
            continue
    return out


def latest_snapshot(root: str) -> str:
    """The newest (by id, which is time order for dated ids) complete, non-quarantined snapshot."""
    for sid in reversed(list_snapshot_ids(root)):
        if is_quarantined(root, sid):
            continue
        try:
            check_complete(root, sid)
        except IncompleteSnapshotError:
            continue
        return sid
    raise SnapshotError(f"no complete, non-quarantined snapshot under {root}")


def resolve_snapshot_id(root: str, requested: str) -> str:
    """'latest' means `latest_snapshot`; anything else must be a valid id."""
    return latest_snapshot(root) if requested == "latest" else validate_snapshot_id(requested)


def refuse_quarantined(root: str, snapshot_id: str, consequence: str) -> None:
    """Raise SnapshotError naming the quarantine folder when the snapshot failed validation before."""
    if is_quarantined(root, snapshot_id):
        raise SnapshotError(
            f"snapshot {snapshot_id!r} is quarantined (see {root}/{snapshot_id}/{layout.QUARANTINE_DIR}/); "
            f"{consequence}"
        )


def quarantine(
    root: str,
    snapshot_id: str,
    *,
    reason: str,
    result: dict[str, Any],
    report_html: str,
) -> str:
    """Mark a snapshot as failed, keeping it and its report; returns the report's URI."""
    sid = validate_snapshot_id(snapshot_id)
    store = open_store(root)
    store.write_bytes(layout.quarantine(sid, "result.json"), dumps(result).encode())
    uri = store.write_bytes(layout.quarantine(sid, "report.html"), report_html.encode())
    marker = {
        "snapshot_id": sid,
        "reason": reason,
        "quarantined_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "report": uri,
    }
    store.write_bytes(layout.quarantine(sid), dumps(marker).encode())
    return uri


def write_report(root: str, snapshot_id: str, name: str, page: str) -> str:
    sid = validate_snapshot_id(snapshot_id)
    return open_store(root).write_bytes(layout.report(sid, name), page.encode())
