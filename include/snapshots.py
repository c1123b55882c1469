"""Snapshots: ids, manifests, completeness, loading with limits, quarantine.

Layout (docs/architecture.md): `<root>/<id>/data.parquet|data.csv` then `<root>/<id>/manifest.json`,
written last. A snapshot is complete when the manifest exists and the data's sha256 matches it.
Snapshots are never deleted or moved; a failed one gets a `_quarantine/` folder beside its data.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from include.errors import IncompleteSnapshotError, SnapshotError, SnapshotLoadError, SnapshotTooLargeError
from include.storage import LocalStore, S3Store, open_store

if TYPE_CHECKING:
    import pandas as pd

    from include.config import ModelConfig

SNAPSHOT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MANIFEST = "manifest.json"
DATA_FILES = {"parquet": "data.parquet", "csv": "data.csv"}
QUARANTINE_DIR = "_quarantine"
REPORTS_DIR = "_reports"


def validate_snapshot_id(snapshot_id: Any) -> str:
    """Refuse anything that could escape the model's snapshot root (path traversal, URIs)."""
    sid = str(snapshot_id)
    if not SNAPSHOT_ID_RE.match(sid) or ".." in sid:
        raise SnapshotError(
            f"invalid snapshot id {sid[:80]!r}: it must match {SNAPSHOT_ID_RE.pattern} and not contain '..'"
        )
    return sid


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
        if raw["data_file"] not in DATA_FILES.values():
            raise IncompleteSnapshotError(
                f"{where}: manifest data_file {raw['data_file']!r} is not one of "
                f"{sorted(DATA_FILES.values())}"
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


def store_for(root: str, s3_client: Any | None = None) -> LocalStore | S3Store:
    return open_store(root, s3_client=s3_client)


def write_snapshot(
    root: str,
    snapshot_id: str,
    df: pd.DataFrame,
    *,
    fmt: str = "parquet",
    extra: dict[str, Any] | None = None,
    s3_client: Any | None = None,
) -> Manifest:
    """Write data then manifest (the manifest's presence is the 'complete' signal)."""
    import hashlib

    sid = validate_snapshot_id(snapshot_id)
    if fmt not in DATA_FILES:
        raise SnapshotError(f"unknown snapshot format {fmt!r}; use one of {sorted(DATA_FILES)}")
    store = store_for(root, s3_client)
    if store.exists(f"{sid}/{MANIFEST}"):
        raise SnapshotError(f"snapshot {sid} already exists in {root}; snapshots are immutable")
    buf = io.BytesIO()
    if fmt == "parquet":
        df.to_parquet(buf, index=False)
    else:
        buf.write(df.to_csv(index=False).encode("utf-8"))
    data = buf.getvalue()
    data_file = DATA_FILES[fmt]
    store.write_bytes(f"{sid}/{data_file}", data)
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
    store.write_bytes(f"{sid}/{MANIFEST}", json.dumps(manifest.to_dict(), indent=2).encode())
    return manifest


def read_manifest(root: str, snapshot_id: str, s3_client: Any | None = None) -> Manifest:
    sid = validate_snapshot_id(snapshot_id)
    store = store_for(root, s3_client)
    where = f"snapshot {sid} in {root}"
    if not store.exists(f"{sid}/{MANIFEST}"):
        raise IncompleteSnapshotError(f"{where}: no {MANIFEST} yet (the snapshot is incomplete or absent)")
    try:
        raw = json.loads(store.read_bytes(f"{sid}/{MANIFEST}"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IncompleteSnapshotError(f"{where}: {MANIFEST} is not valid JSON ({exc})") from None
    manifest = Manifest.from_dict(raw, where)
    if manifest.snapshot_id != sid:
        raise IncompleteSnapshotError(f"{where}: manifest names snapshot {manifest.snapshot_id!r}")
    return manifest


def check_complete(root: str, snapshot_id: str, s3_client: Any | None = None) -> Manifest:
    """The manifest exists and the data file's sha256 equals it; else IncompleteSnapshotError."""
    return verify_data(root, read_manifest(root, snapshot_id, s3_client), s3_client)


def verify_data(root: str, manifest: Manifest, s3_client: Any | None = None) -> Manifest:
    """The data file the manifest names exists and hashes to the manifest's sha256."""
    store = store_for(root, s3_client)
    rel = f"{manifest.snapshot_id}/{manifest.data_file}"
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


def list_snapshot_ids(root: str, s3_client: Any | None = None) -> list[str]:
    """Every folder under the root that is a valid snapshot id, in id (time) order."""
    return [d for d in store_for(root, s3_client).list_dirs() if SNAPSHOT_ID_RE.match(d) and ".." not in d]


def is_quarantined(root: str, snapshot_id: str, s3_client: Any | None = None) -> bool:
    sid = validate_snapshot_id(snapshot_id)
    return store_for(root, s3_client).exists(f"{sid}/{QUARANTINE_DIR}/QUARANTINED.json")


def complete_snapshots(root: str, s3_client: Any | None = None) -> list[Manifest]:
    """Complete, non-quarantined snapshots in id order (incomplete ones are skipped silently)."""
    out = []
    for sid in list_snapshot_ids(root, s3_client):
        if is_quarantined(root, sid, s3_client):
            continue
        try:
            out.append(check_complete(root, sid, s3_client))
        except IncompleteSnapshotError:
            continue
    return out


def resolve_snapshot_id(root: str, requested: str) -> str:
    """'latest' means the newest complete, non-quarantined snapshot; anything else must be an id."""
    if requested != "latest":
        return validate_snapshot_id(requested)
    ids = [sid for sid in reversed(list_snapshot_ids(root)) if not is_quarantined(root, sid)]
    for sid in ids:
        try:
            check_complete(root, sid)
        except IncompleteSnapshotError:
            continue
        return sid
    raise SnapshotError(f"no complete, non-quarantined snapshot under {root}")


def _duplicate_names(names: list[str]) -> list[str]:
    return sorted(n for n, c in Counter(names).items() if c > 1)


def _read_table(path: Any, manifest: Manifest, cfg: ModelConfig) -> pd.DataFrame:
    import pandas as pd

    if manifest.format == "parquet":
        import pyarrow.parquet as pq

        try:  # the schema first: pyarrow refuses to read a table whose column names repeat
            dupes = _duplicate_names(list(pq.read_schema(path).names))
            if dupes:
                raise SnapshotLoadError(f"{manifest.data_file} has duplicate column names {dupes}")
            table = pq.read_table(path)
        except SnapshotLoadError:
            raise
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise SnapshotLoadError(f"{manifest.data_file} is not a readable parquet file: {exc}") from None
        return table.to_pandas()
    spec = cfg.snapshots
    try:
        with open(path, encoding=spec.csv_encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=spec.csv_delimiter), [])
        dupes = _duplicate_names(header)
        if dupes:
            raise SnapshotLoadError(f"{manifest.data_file} has duplicate column names {dupes}")
        df = pd.read_csv(path, sep=spec.csv_delimiter, encoding=spec.csv_encoding)
    except UnicodeDecodeError as exc:
        raise SnapshotLoadError(
            f"{manifest.data_file} is not valid {spec.csv_encoding} text ({exc.reason} at byte {exc.start})"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SnapshotLoadError(f"{manifest.data_file} is not a readable CSV file: {exc}") from None
    expected = {c.name for c in cfg.data.features} | {cfg.data.target}
    if len(df.columns) == 1 and len(expected) > 1:
        only = str(df.columns[0])
        hint = next((d for d in (";", "\t", "|", ",") if d != spec.csv_delimiter and d in only), None)
        if hint:
            raise SnapshotLoadError(
                f"{manifest.data_file} parsed into a single column; it looks delimited by {hint!r}, "
                f"but the config says {spec.csv_delimiter!r}"
            )
    return df


def load_snapshot(
    cfg: ModelConfig, snapshot_id: str, *, s3_client: Any | None = None
) -> tuple[pd.DataFrame, Manifest]:
    """Check completeness and size, then read the table; errors name the snapshot and the problem."""
    root = cfg.snapshot_root()
    manifest = read_manifest(root, snapshot_id, s3_client)
    store = store_for(root, s3_client)
    rel = f"{manifest.snapshot_id}/{manifest.data_file}"
    size = store.size(rel) if store.exists(rel) else 0
    if size > cfg.snapshots.max_bytes:  # before hashing: an oversized file is never read at all
        raise SnapshotTooLargeError(
            f"snapshot {manifest.snapshot_id}: {manifest.data_file} is {size:,} bytes, over the limit "
            f"snapshots.max_bytes={cfg.snapshots.max_bytes:,} of {cfg.name}"
        )
    verify_data(root, manifest, s3_client)
    if size == 0:
        raise SnapshotLoadError(f"snapshot {manifest.snapshot_id}: {manifest.data_file} is empty (0 bytes)")
    with store.local_copy(rel) as path:
        try:
            df = _read_table(path, manifest, cfg)
        except SnapshotLoadError as exc:
            raise SnapshotLoadError(f"snapshot {manifest.snapshot_id}: {exc}") from None
    if len(df) != manifest.rows:
        raise SnapshotLoadError(
            f"snapshot {manifest.snapshot_id}: {len(df)} rows read but the manifest says {manifest.rows}"
        )
    return df, manifest


def quarantine(
    root: str,
    snapshot_id: str,
    *,
    reason: str,
    result: dict[str, Any],
    report_html: str,
    s3_client: Any | None = None,
) -> str:
    """Mark a snapshot as failed, keeping it and its report; returns the report's URI."""
    sid = validate_snapshot_id(snapshot_id)
    store = store_for(root, s3_client)
    base = f"{sid}/{QUARANTINE_DIR}"
    store.write_bytes(f"{base}/result.json", json.dumps(result, indent=2, default=str).encode())
    uri = store.write_bytes(f"{base}/report.html", report_html.encode())
    marker = {
        "snapshot_id": sid,
        "reason": reason,
        "quarantined_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "report": uri,
    }
    store.write_bytes(f"{base}/QUARANTINED.json", json.dumps(marker, indent=2).encode())
    return uri


def write_report(root: str, snapshot_id: str, name: str, page: str, s3_client: Any | None = None) -> str:
    sid = validate_snapshot_id(snapshot_id)
    return store_for(root, s3_client).write_bytes(f"{sid}/{REPORTS_DIR}/{name}", page.encode())
