"""Manifests: what a producer writes last to say "this snapshot is complete", and the check of it.

A snapshot is complete when its manifest exists and the sha256 of the data file it names equals the
manifest's. Fields (docs/architecture.md): snapshot_id, data_file, format, rows, columns, sha256,
bytes, created_at, extra.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_champion.data import layout
from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.data.storage import open_store
from airflow_champion.errors import IncompleteSnapshotError


@dataclass(frozen=True)
class Manifest:
    snapshot_id: str
    data_file: str
    format: str
    rows: int
    columns: list[dict[str, str]]
    sha256: str
    bytes: int
    created_at: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Any, where: str) -> Manifest:
        if not isinstance(raw, dict):
            raise IncompleteSnapshotError(f"{where}: manifest is not a JSON object")
        missing = [k for k in ("snapshot_id", "data_file", "format", "rows", "sha256") if k not in raw]
        if missing:
            raise IncompleteSnapshotError(f"{where}: manifest lacks {missing}")
        if raw["data_file"] not in layout.DATA_FILES.values():
            raise IncompleteSnapshotError(
                f"{where}: manifest data_file {raw['data_file']!r} is not one of "
                f"{sorted(layout.DATA_FILES.values())}"
            )
        return cls(
            snapshot_id=str(raw["snapshot_id"]),
            data_file=str(raw["data_file"]),
            format=str(raw["format"]),
            rows=int(raw["rows"]),
            columns=list(raw.get("columns") or []),
            sha256=str(raw["sha256"]),
            bytes=int(raw.get("bytes") or 0),
            created_at=str(raw.get("created_at") or ""),
            extra=dict(raw.get("extra") or {}),
        )


def read_manifest(root: str, snapshot_id: str) -> Manifest:
    sid = validate_snapshot_id(snapshot_id)
    store = open_store(root)
    where = f"snapshot {sid} in {root}"
    if not store.exists(layout.manifest(sid)):
        raise IncompleteSnapshotError(
            f"{where}: no {layout.MANIFEST} yet (the snapshot is incomplete or absent)"
        )
    try:
        raw = json.loads(store.read_bytes(layout.manifest(sid)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IncompleteSnapshotError(f"{where}: {layout.MANIFEST} is not valid JSON ({exc})") from None
    manifest = Manifest.from_dict(raw, where)
    if manifest.snapshot_id != sid:
        raise IncompleteSnapshotError(f"{where}: manifest names snapshot {manifest.snapshot_id!r}")
    return manifest


def check_complete(root: str, snapshot_id: str) -> Manifest:
    """The manifest exists and the data file's sha256 equals it; else IncompleteSnapshotError."""
    return verify_data(root, read_manifest(root, snapshot_id))


def verify_data(root: str, manifest: Manifest) -> Manifest:
    """The data file the manifest names exists and hashes to the manifest's sha256."""
    store = open_store(root)
    rel = layout.data(manifest.snapshot_id, manifest.data_file)
    if not store.exists(rel):
        raise IncompleteSnapshotError(
            f"snapshot {manifest.snapshot_id} in {root}: manifest names {manifest.data_file} but it is absent"
        )
    actual = store.sha256(rel)
    if actual != manifest.sha256:
        raise IncompleteSnapshotError(
            f"snapshot {manifest.snapshot_id} in {root}: sha256 of {manifest.data_file} is {actual[:12]}..., "
            f"manifest says {manifest.sha256[:12]}... (still uploading, or altered)"
        )
    return manifest
