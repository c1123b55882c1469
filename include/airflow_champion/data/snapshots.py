"""Snapshots of one model's root: landing, listing, choosing "latest", quarantine (and its deliberate
release) and reports.

Snapshots are never deleted or moved; a failed one gets a `_quarantine/` folder beside its data
(`data.layout` spells every path). This module is the one resolver of "latest": the newest complete,
non-quarantined snapshot, for every step, the CLI, the drift monitor and the sensors alike.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout
from airflow_champion.data.ids import is_snapshot_id, validate_snapshot_id
from airflow_champion.data.manifest import Manifest, check_complete
from airflow_champion.data.storage import open_store
from airflow_champion.errors import SnapshotError
from airflow_champion.reports.jsonsafe import dumps

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


def write_snapshot(
    root: str,
    snapshot_id: str,
    df: pd.DataFrame,
    *,
    fmt: str = "parquet",
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """Encode a frame as parquet or CSV, then land it with `land_snapshot` (data first, manifest last)."""
    if fmt not in layout.DATA_FILES:
        raise SnapshotError(f"unknown snapshot format {fmt!r}; use one of {sorted(layout.DATA_FILES)}")
    buf = io.BytesIO()
    if fmt == "parquet":
        df.to_parquet(buf, index=False)
    else:
        buf.write(df.to_csv(index=False).encode("utf-8"))
    columns = [{"name": str(c), "dtype": str(t)} for c, t in df.dtypes.items()]
    return land_snapshot(
        root, snapshot_id, buf.getvalue(), fmt=fmt, rows=len(df), columns=columns, extra=extra
    )


def land_snapshot(
    root: str,
    snapshot_id: str,
    data: bytes,
    *,
    fmt: str,
    rows: int,
    columns: list[dict[str, str]],
    extra: dict[str, Any] | None = None,
) -> Manifest:
    """The one writer of a snapshot: the data file's bytes as given, then the manifest, last.

    The manifest's presence is the 'complete' signal, so it is created only if absent: two producers
    landing the same id cannot both succeed, and a complete snapshot is never rewritten.
    """
    sid = validate_snapshot_id(snapshot_id)
    if fmt not in layout.DATA_FILES:
        raise SnapshotError(f"unknown snapshot format {fmt!r}; use one of {sorted(layout.DATA_FILES)}")
    store = open_store(root)
    if store.exists(layout.manifest(sid)):
        raise SnapshotError(f"snapshot {sid} already exists in {root}; snapshots are immutable")
    data_file = layout.DATA_FILES[fmt]
    store.write_bytes(layout.data(sid, data_file), data)
    manifest = Manifest(
        snapshot_id=sid,
        data_file=data_file,
        format=fmt,
        rows=int(rows),
        columns=list(columns),
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        extra=dict(extra or {}),
    )
    if not store.create_exclusive(layout.manifest(sid), dumps(manifest.to_dict()).encode()):
        raise SnapshotError(
            f"snapshot {sid} was completed by another producer while this one landed in {root}; "
            "snapshots are immutable (check its manifest and data before using it)"
        )
    return manifest


def list_snapshot_ids(root: str) -> list[str]:
    """Every folder under the root that is a valid snapshot id, in id (time) order."""
    return [d for d in open_store(root).list_dirs() if is_snapshot_id(d)]


def is_quarantined(root: str, snapshot_id: str) -> bool:
    """A quarantine marker exists and no one released that very quarantine (`release_quarantine`)."""
    sid = validate_snapshot_id(snapshot_id)
    store = open_store(root)
    if not store.exists(layout.quarantine(sid)):
        return False
    digest = hashlib.sha256(store.read_bytes(layout.quarantine(sid))).hexdigest()
    releases = release_records(root, sid)
    return not releases or releases[-1].get("quarantine_sha256") != digest


def _usable(root: str, sid: str) -> Manifest | None:
    """The manifest of a complete, non-quarantined snapshot; None (and why, in the log) otherwise.

    Any SnapshotError skips the snapshot (a malformed manifest, a link refused by the store): one bad
    snapshot must never block "latest" for every other one.
    """
    try:
        if is_quarantined(root, sid):
            return None
        return check_complete(root, sid)
    except SnapshotError as exc:
        log.info("Skipping snapshot %s for latest: %s", sid, exc)
        return None


def complete_snapshots(root: str) -> list[Manifest]:
    """Complete, non-quarantined snapshots in id (time) order; incomplete or malformed ones are skipped."""
    return [m for m in (_usable(root, sid) for sid in list_snapshot_ids(root)) if m is not None]


def latest_snapshot(root: str) -> str:
    """The newest (by id, which is time order for dated ids) complete, non-quarantined snapshot."""
    for sid in reversed(list_snapshot_ids(root)):
        if _usable(root, sid) is not None:
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


RELEASE_RECORD = "released-{n}.json"
"""`_quarantine/released-<n>.json`: who lifted the n-th quarantine, why and when (beside its report)."""
MAX_RELEASES = 1000


def quarantine_marker(root: str, snapshot_id: str) -> dict[str, Any] | None:
    """The quarantine marker (reason, quarantined_at, report), released or not; None if never quarantined."""
    store = open_store(root)
    rel = layout.quarantine(validate_snapshot_id(snapshot_id))
    return json.loads(store.read_bytes(rel)) if store.exists(rel) else None


def release_records(root: str, snapshot_id: str) -> list[dict[str, Any]]:
    """Every release of a quarantine of this snapshot, oldest first (they are never rewritten)."""
    sid = validate_snapshot_id(snapshot_id)
    store = open_store(root)
    out: list[dict[str, Any]] = []
    while len(out) < MAX_RELEASES:
        rel = layout.quarantine(sid, RELEASE_RECORD.format(n=len(out) + 1))
        if not store.exists(rel):
            break
        out.append(json.loads(store.read_bytes(rel)))
    return out


def release_quarantine(root: str, snapshot_id: str, *, reason: str, actor: str) -> dict[str, Any]:
    """Lift a quarantine on purpose, so a retrain may take the snapshot again.

    The marker, result and report stay where they are; the release is a new record beside them naming
    the quarantine it lifts (its sha256), so a later quarantine of the same snapshot holds again.
    """
    sid = validate_snapshot_id(snapshot_id)
    why = " ".join(str(reason).split())[:500]
    if not why:
        raise SnapshotError(f"snapshot {sid}: a release needs a reason (it is kept with the quarantine)")
    store = open_store(root)
    for _attempt in range(5):
        if not store.exists(layout.quarantine(sid)):
            raise SnapshotError(f"snapshot {sid} in {root} is not quarantined; there is nothing to release")
        raw = store.read_bytes(layout.quarantine(sid))
        digest = hashlib.sha256(raw).hexdigest()
        releases = release_records(root, sid)
        if releases and releases[-1].get("quarantine_sha256") == digest:
            last = releases[-1]
            raise SnapshotError(
                f"snapshot {sid} is not quarantined: its quarantine was released by "
                f"{last.get('released_by')} at {last.get('released_at')} ({last.get('reason')})"
            )
        record = {
            "snapshot_id": sid,
            "released_by": str(actor)[:200],
            "reason": why,
            "released_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "quarantine": json.loads(raw),
            "quarantine_sha256": digest,
        }
        rel = layout.quarantine(sid, RELEASE_RECORD.format(n=len(releases) + 1))
        if store.create_exclusive(rel, dumps(record).encode()):
            return {**record, "record_uri": store.uri(rel)}
    raise SnapshotError(f"snapshot {sid}: another release kept racing this one; look at {root}/{sid}/")
