"""Landing a user's own file as a snapshot (`mlops snapshot import`), without hand-writing a manifest.

The file is read once with the snapshot reader (`data.reading`, with the model's CSV delimiter and
encoding), so the manifest's rows and columns are exactly what validation will read later. When the
file already has the snapshot's format its bytes are landed as they are, so the manifest's sha256 is
the file's own; otherwise it is re-encoded. Either way `snapshots.land_snapshot` writes it: data
first, manifest last (create-if-absent), on a local root or an s3:// root alike.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout, reading
from airflow_champion.data.ids import validate_snapshot_id
from airflow_champion.data.manifest import Manifest, read_manifest
from airflow_champion.data.snapshots import land_snapshot
from airflow_champion.data.storage import open_store
from airflow_champion.errors import SnapshotError, SnapshotLoadError, SnapshotTooLargeError

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
"""File name endings whose format needs no --format."""


def file_format(path: str | Path, fmt: str | None = None) -> str:
    """The format of a file: from its suffix, else the one given; a named error when neither says."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if fmt in layout.DATA_FILES:
        return str(fmt)
    raise SnapshotError(
        f"{path}: cannot tell the format from the name {Path(path).name!r}; name it .csv or .parquet, "
        f"or pass the format (one of {sorted(layout.DATA_FILES)})"
    )


def default_snapshot_id(now: datetime | None = None) -> str:
    """Today's UTC date (ISO): dated ids sort in time order, which is what "latest" relies on."""
    return (now or datetime.now(UTC)).astimezone(UTC).date().isoformat()


def read_file(path: str | Path, fmt: str, cfg: ModelConfig) -> pd.DataFrame:
    """Read a table as a snapshot of `cfg` would be read (same reader, same CSV settings)."""
    data_file = layout.DATA_FILES[fmt]
    try:
        return reading.read_table(Path(path), fmt, cfg)
    except SnapshotError as exc:  # the same error, naming the user's file
        raise type(exc)(f"{path}: {str(exc).replace(data_file, 'the file', 1)}") from None


def _encode(df: pd.DataFrame, fmt: str, cfg: ModelConfig) -> bytes:
    """Re-encode for a snapshot of another format; CSV with the model's delimiter and encoding."""
    if fmt == "parquet":
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return buf.getvalue()
    spec = cfg.snapshots
    return df.to_csv(index=False, sep=spec.csv_delimiter).encode(spec.csv_encoding)


def import_snapshot(
    cfg: ModelConfig,
    path: str | Path,
    *,
    snapshot_id: str | None = None,
    fmt: str | None = None,
    now: datetime | None = None,
) -> Manifest:
    """Land `path` as snapshot `snapshot_id` (default: today's UTC date) of `cfg`; returns its manifest.

    Refused with a named error: a missing or unreadable file, a file over `snapshots.max_bytes`, an
    invalid id, or an id that already has a manifest (snapshots are immutable).
    """
    source = Path(path)
    if not source.is_file():
        raise SnapshotError(f"{cfg.name}: no file to import at {source}")
    if fmt is not None and fmt not in layout.DATA_FILES:
        raise SnapshotError(f"unknown snapshot format {fmt!r}; use one of {sorted(layout.DATA_FILES)}")
    source_fmt = file_format(source, fmt)
    target_fmt = fmt or source_fmt
    sid = validate_snapshot_id(snapshot_id or default_snapshot_id(now))
    root = cfg.snapshot_root()
    if open_store(root).exists(layout.manifest(sid)):
        try:
            existing = read_manifest(root, sid)
            what = f"created {existing.created_at}, {existing.rows} rows"
        except SnapshotError as exc:  # a malformed manifest still means the id is taken
            what = f"its manifest is unusable: {exc}"
        raise SnapshotError(
            f"{cfg.name}: snapshot {sid} already exists in {root} ({what}); snapshots are immutable: "
            f"import under another id, e.g. --id {sid}-2"
        )
    size = source.stat().st_size
    if size > cfg.snapshots.max_bytes:  # before reading, as for a landed snapshot
        raise SnapshotTooLargeError(
            f"{source} is {size:,} bytes, over snapshots.max_bytes={cfg.snapshots.max_bytes:,} of {cfg.name}"
        )
    df = read_file(source, source_fmt, cfg)
    if df.empty:
        raise SnapshotLoadError(f"{source}: the file has no rows; there is nothing to train or judge on")
    data = source.read_bytes() if target_fmt == source_fmt else _encode(df, target_fmt, cfg)
    extra: dict[str, Any] = {"source_file": source.name, "imported": "mlops snapshot import"}
    if target_fmt != source_fmt:
        extra["converted_from"] = source_fmt
    columns = [{"name": str(c), "dtype": str(t)} for c, t in df.dtypes.items()]
    return land_snapshot(root, sid, data, fmt=target_fmt, rows=len(df), columns=columns, extra=extra)


__all__ = ["SUFFIXES", "default_snapshot_id", "file_format", "import_snapshot", "read_file"]
