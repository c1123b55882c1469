"""Manifests: what a producer writes last to say "this snapshot is complete", and the check of it.

A snapshot is complete when its manifest exists and the sha256 of the data file it names equals the
manifest's. Fields (docs/architecture.md): snapshot_id, data_file, format, rows, columns, sha256,
bytes, created_at, extra.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from airflow_champion.data import layout
from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.data.storage import open_store
from airflow_champion.errors import IncompleteSnapshotError

MAX_MANIFEST_BYTES = 1024 * 1024
"""A manifest is a few hundred bytes; a bigger one is refused before it is read or parsed."""
MAX_DEPTH = 32
"""Deepest nesting a manifest may have (its `extra` is free-form JSON that later goes into reports)."""
SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")


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
        """Every field checked for type and range, so a producer's mistake is named, never a bare error."""
        if not isinstance(raw, dict):
            raise IncompleteSnapshotError(f"{where}: manifest is not a JSON object")
        missing = [k for k in ("snapshot_id", "data_file", "format", "rows", "sha256") if k not in raw]
        if missing:
            raise IncompleteSnapshotError(f"{where}: manifest lacks {missing}")

        def bad(name: str, why: str) -> IncompleteSnapshotError:
            return IncompleteSnapshotError(f"{where}: manifest field {name!r} {why}, got {raw[name]!r:.80}")

        for name in ("snapshot_id", "data_file", "format", "sha256", "created_at"):
            if (
                name in raw
                and not isinstance(raw[name], str)
                and not (name == "created_at" and raw[name] is None)
            ):
                raise bad(name, "must be a string")
        if raw["data_file"] not in layout.DATA_FILES.values():
            raise bad("data_file", f"must be one of {sorted(layout.DATA_FILES.values())}")
        if layout.DATA_FILES.get(raw["format"]) != raw["data_file"]:
            raise bad(
                "format", f"must be the format of {raw['data_file']} (one of {sorted(layout.DATA_FILES)})"
            )
        for name in ("rows", "bytes"):
            value = raw.get(name, 0) if name == "bytes" else raw[name]
            if value is None and name == "bytes":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(name, "must be a whole number >= 0")
        if not SHA256_RE.fullmatch(raw["sha256"]):
            raise bad("sha256", "must be 64 hexadecimal digits")
        columns = raw.get("columns") or []
        if not isinstance(columns, list) or not all(
            isinstance(c, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in c.items())
            for c in columns
        ):
            raise bad("columns", 'must be a list of {"name": ..., "dtype": ...} objects of strings')
        extra = raw.get("extra") or {}
        if not isinstance(extra, dict):
            raise bad("extra", "must be a JSON object")
        return cls(
            snapshot_id=raw["snapshot_id"],
            data_file=raw["data_file"],
            format=raw["format"],
            rows=raw["rows"],
            columns=columns,
            sha256=raw["sha256"].lower(),
            bytes=raw.get("bytes") or 0,
            created_at=raw.get("created_at") or "",
            extra=extra,
        )


def _depth(value: Any) -> int:
    """How deeply a parsed JSON value nests (iterative: a hostile document cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def read_manifest(root: str, snapshot_id: str) -> Manifest:
    """The snapshot's manifest, or IncompleteSnapshotError naming what is wrong with it.

    Bounded before parsing (size, then nesting), because one hostile manifest must not cost the worker
    its memory or stack: the `latest` resolvers skip a snapshot on this error, they do not fail.
    """
    sid = validate_snapshot_id(snapshot_id)
    store = open_store(root)
    where = f"snapshot {sid} in {root}"
    rel = layout.manifest(sid)
    if not store.exists(rel):
        raise IncompleteSnapshotError(
            f"{where}: no {layout.MANIFEST} yet (the snapshot is incomplete or absent)"
        )
    size = store.size(rel)
    if size > MAX_MANIFEST_BYTES:
        raise IncompleteSnapshotError(
            f"{where}: {layout.MANIFEST} is {size:,} bytes, over the {MAX_MANIFEST_BYTES:,}-byte limit "
            "of a manifest (it describes the data; it does not hold it)"
        )
    try:
        raw = json.loads(store.read_bytes(rel))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise IncompleteSnapshotError(f"{where}: {layout.MANIFEST} is not valid JSON ({why})") from None
    if _depth(raw) > MAX_DEPTH:
        raise IncompleteSnapshotError(
            f"{where}: {layout.MANIFEST} is nested more than {MAX_DEPTH} levels deep"
        )
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
        raise data_absent(root, manifest)
    return check_sha256(root, manifest, store.sha256(rel))


def data_absent(root: str, manifest: Manifest) -> IncompleteSnapshotError:
    return IncompleteSnapshotError(
        f"snapshot {manifest.snapshot_id} in {root}: manifest names {manifest.data_file} but it is absent"
    )


def check_sha256(root: str, manifest: Manifest, actual: str) -> Manifest:
    """`actual` (the data file's sha256, however it was read) equals the manifest's, or the named error."""
    if actual != manifest.sha256:
        raise IncompleteSnapshotError(
            f"snapshot {manifest.snapshot_id} in {root}: sha256 of {manifest.data_file} is {actual[:12]}..., "
            f"manifest says {manifest.sha256[:12]}... (still uploading, or altered)"
        )
    return manifest
