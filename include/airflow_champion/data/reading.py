"""Reading a snapshot's table: completeness and size first, then parquet or CSV with named errors.

Every way a file can be unreadable (empty, truncated, duplicate columns, wrong delimiter or encoding)
becomes a SnapshotLoadError that names the snapshot and the problem; the validate step quarantines on
it. The size limit is checked before the file is hashed or read, so an oversized file is never read.
"""

from __future__ import annotations

import csv
from collections import Counter
from typing import TYPE_CHECKING, Any

from airflow_champion.data import layout
from airflow_champion.data.manifest import Manifest, read_manifest, verify_data
from airflow_champion.data.storage import open_store
from airflow_champion.errors import SnapshotLoadError, SnapshotTooLargeError

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig


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


def load_snapshot(cfg: ModelConfig, snapshot_id: str) -> tuple[pd.DataFrame, Manifest]:
    """Check completeness and size, then read the table; errors name the snapshot and the problem."""
    root = cfg.snapshot_root()
    manifest = read_manifest(root, snapshot_id)
    store = open_store(root)
    rel = layout.data(manifest.snapshot_id, manifest.data_file)
    size = store.size(rel) if store.exists(rel) else 0
    if size > cfg.snapshots.max_bytes:  # before hashing: an oversized file is never read at all
        raise SnapshotTooLargeError(
            f"snapshot {manifest.snapshot_id}: {manifest.data_file} is {size:,} bytes, over the limit "
            f"snapshots.max_bytes={cfg.snapshots.max_bytes:,} of {cfg.name}"
        )
    verify_data(root, manifest)
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
