"""Reading a snapshot's table: completeness and size first, then parquet or CSV with named errors.

Every way a file can be unreadable (empty, truncated, duplicate columns, wrong delimiter or encoding,
corrupt pandas metadata) becomes a SnapshotLoadError that names the snapshot and the problem; the
validate step quarantines on it. Memory is bounded before anything is decoded:

- the file's size against `snapshots.max_bytes`, before it is hashed or read (one download on S3:
  the local copy is hashed, then read);
- a parquet file's footer (rows and columns, no data) against the manifest's `rows`, and its decoded
  size against DECODED_FACTOR x `snapshots.max_bytes` (SnapshotTooLargeError: a few kB of
  run-length-encoded parquet can decode to gigabytes);
- a CSV is read to at most the manifest's rows + 1.

Running out of memory anyway is SnapshotOutOfMemoryError, a transient error (retried, never
quarantined): the file passed its bounds, so it is the worker that was short of memory.

Inside `shared_reads()` (the one-process chain) a snapshot is checked, hashed and decoded once: every
later `load_snapshot` of it returns the same frame and manifest (the data the first step validated;
nothing writes into a loaded frame), and `derived()` values of it (its split, features, fingerprints,
a version's predictions) are computed once. The DAG's tasks are separate processes and read anew.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_champion.data import layout
from airflow_champion.data.manifest import Manifest, check_sha256, data_absent, read_manifest
from airflow_champion.data.storage import file_sha256, open_store
from airflow_champion.errors import (
    SnapshotError,
    SnapshotLoadError,
    SnapshotOutOfMemoryError,
    SnapshotTooLargeError,
)

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig

T = TypeVar("T")

_SHARED: ContextVar[dict[Any, Any] | None] = ContextVar("shared_reads", default=None)
"""What the active shared_reads() scope has read and derived; None outside one."""

DECODED_FACTOR = 10
"""A snapshot may decode to at most 10 x `snapshots.max_bytes` (parquet compresses typical tables
2-10x; a file that claims more is refused before it is decoded, and quarantined as too large)."""

_WIDTH = {"BOOLEAN": 1, "INT32": 4, "FLOAT": 4, "INT64": 8, "DOUBLE": 8, "INT96": 12, "BYTE_ARRAY": 8}
"""Bytes per decoded value of each parquet physical type, at least (a string costs pandas a pointer)."""


def _duplicate_names(names: list[str]) -> list[str]:
    return sorted(n for n, c in Counter(names).items() if c > 1)


def decoded_size(meta: Any) -> int:
    """A lower bound of the bytes a parquet file decodes to, from its footer alone.

    Per column chunk the larger of its uncompressed pages and values x value width: dictionary and
    run-length encoding make the pages of a constant column a few bytes for any number of rows.
    """
    total = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            col = group.column(c)
            width = _WIDTH.get(col.physical_type) or max(8, meta.schema.column(c).length or 0)
            total += max(col.total_uncompressed_size, col.num_values * width)
    return total


def _check_parquet(path: Any, data_file: str, rows: int | None, cfg: ModelConfig) -> None:
    """Rows, columns and decoded size from the footer, before a byte of data is decoded."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise SnapshotLoadError(f"{data_file} is not a readable parquet file: {exc}") from None
    dupes = _duplicate_names(list(schema.names))  # pyarrow refuses a table whose column names repeat
    if dupes:
        raise SnapshotLoadError(f"{data_file} has duplicate column names {dupes}")
    pandas_meta = (schema.metadata or {}).get(b"pandas")
    if pandas_meta is not None:
        try:
            json.loads(pandas_meta)
        except (ValueError, RecursionError):
            raise SnapshotLoadError(
                f"{data_file} has corrupt pandas metadata in its schema (the b'pandas' key is not valid "
                "JSON); re-write the file, e.g. with pandas.DataFrame.to_parquet"
            ) from None
    if rows is not None and meta.num_rows != rows:
        raise SnapshotLoadError(
            f"{data_file}: parquet metadata counts {meta.num_rows} rows but the manifest says {rows}"
        )
    limit = DECODED_FACTOR * cfg.snapshots.max_bytes
    size = decoded_size(meta)
    if size > limit:
        raise SnapshotTooLargeError(
            f"{data_file} decodes to at least {size:,} bytes ({meta.num_rows:,} rows x {meta.num_columns} "
            f"columns), over the limit of {DECODED_FACTOR} x snapshots.max_bytes={cfg.snapshots.max_bytes:,} "
            f"of {cfg.name}; it was not decoded"
        )


def _out_of_memory(data_file: str, cfg: ModelConfig) -> SnapshotOutOfMemoryError:
    return SnapshotOutOfMemoryError(
        f"{data_file} ran out of memory while decoding (within its limits of snapshots.max_bytes="
        f"{cfg.snapshots.max_bytes:,} of {cfg.name}); not quarantined: the file may be fine, the worker "
        "was short of memory (transient: the task is retried)"
    )


def _to_pandas(table: Any) -> pd.DataFrame:
    """The frame of an Arrow table, and the decoding buffers handed back to the OS: Arrow's allocator
    keeps freed memory for reuse (~150 MB after a 1M-row snapshot), which would stay in the
    process's resident size for every later step."""
    import pyarrow as pa

    try:
        return table.to_pandas()
    finally:
        del table
        pa.default_memory_pool().release_unused()


def read_table(path: Path, fmt: str, cfg: ModelConfig, *, rows: int | None = None) -> pd.DataFrame:
    """The table of a local file in `fmt`, bounded as the module says; `rows`: what the manifest says."""
    import pandas as pd

    data_file = layout.DATA_FILES[fmt]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        _check_parquet(path, data_file, rows, cfg)
        try:
            return _to_pandas(pq.read_table(path))
        except MemoryError:  # pyarrow's ArrowMemoryError is one too
            raise _out_of_memory(data_file, cfg) from None
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise SnapshotLoadError(f"{data_file} is not a readable parquet file: {exc}") from None
    spec = cfg.snapshots
    try:
        with open(path, encoding=spec.csv_encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=spec.csv_delimiter), [])
        dupes = _duplicate_names(header)
        if dupes:
            raise SnapshotLoadError(f"{data_file} has duplicate column names {dupes}")
        limit = None if rows is None else rows + 1  # one more than stated shows a longer file
        df = pd.read_csv(path, sep=spec.csv_delimiter, encoding=spec.csv_encoding, nrows=limit)
    except MemoryError:
        raise _out_of_memory(data_file, cfg) from None
    except UnicodeDecodeError as exc:
        raise SnapshotLoadError(
            f"{data_file} is not valid {spec.csv_encoding} text ({exc.reason} at byte {exc.start})"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise SnapshotLoadError(f"{data_file} is not a readable CSV file: {exc}") from None
    if rows is not None and len(df) > rows:
        raise SnapshotLoadError(f"{data_file} has more than the {rows} rows the manifest says (read stopped)")
    expected = {c.name for c in cfg.data.features} | {cfg.data.target}
    if len(df.columns) == 1 and len(expected) > 1:
        only = str(df.columns[0])
        hint = next((d for d in (";", "\t", "|", ",") if d != spec.csv_delimiter and d in only), None)
        if hint:
            raise SnapshotLoadError(
                f"{data_file} parsed into a single column; it looks delimited by {hint!r}, "
                f"but the config says {spec.csv_delimiter!r}"
            )
    return df


@contextmanager
def shared_reads() -> Iterator[None]:
    """A scope in which each snapshot is read once and derived() values are computed once (module
    docstring); on leaving it, everything it holds is released."""
    if _SHARED.get() is not None:  # nested (a step inside the chain): the outer scope shares
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def sharing() -> bool:
    """Whether a shared_reads() scope is active (a derived() value would be kept)."""
    return _SHARED.get() is not None


def derived(obj: object, name: str, compute: Callable[[], T]) -> T:
    """`compute()` of `obj` (a loaded frame, its split, ...) once per `name` inside shared_reads();
    outside one, every time. `name` must say everything the value depends on besides `obj` (e.g. the
    config hash). The scope keeps `obj` alive with its value, so its id is not reused meanwhile."""
    shared = _SHARED.get()
    if shared is None:
        return compute()
    key = ("derived", id(obj), name)
    hit = shared.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]  # type: ignore[no-any-return]
    value = compute()
    shared[key] = (obj, value)
    return value


def load_snapshot(cfg: ModelConfig, snapshot_id: str, *, keep: bool = True) -> tuple[pd.DataFrame, Manifest]:
    """Check completeness and size, then read the table; errors name the snapshot and the problem.
    Inside shared_reads(), a snapshot read before is returned as it was read (not read again), and
    one read now is kept for the scope's later steps unless `keep` is False (read for one use)."""
    shared = _SHARED.get()
    key = ("snapshot", cfg.snapshot_root(), snapshot_id, cfg.snapshots.model_dump_json())
    if shared is not None and key in shared:
        return shared[key]  # type: ignore[no-any-return]
    loaded = _load_snapshot(cfg, snapshot_id)
    if shared is not None and keep:
        shared[key] = loaded
    return loaded


def _load_snapshot(cfg: ModelConfig, snapshot_id: str) -> tuple[pd.DataFrame, Manifest]:
    root = cfg.snapshot_root()
    manifest = read_manifest(root, snapshot_id)
    store = open_store(root)
    rel = layout.data(manifest.snapshot_id, manifest.data_file)
    if not store.exists(rel):
        raise data_absent(root, manifest)
    size = store.size(rel)
    if size > cfg.snapshots.max_bytes:  # before hashing: an oversized file is never read at all
        raise SnapshotTooLargeError(
            f"snapshot {manifest.snapshot_id}: {manifest.data_file} is {size:,} bytes, over the limit "
            f"snapshots.max_bytes={cfg.snapshots.max_bytes:,} of {cfg.name}"
        )
    with store.local_copy(rel) as path:  # one download on S3: the bytes hashed are the bytes read
        check_sha256(root, manifest, file_sha256(path))
        if size == 0:
            raise SnapshotLoadError(
                f"snapshot {manifest.snapshot_id}: {manifest.data_file} is empty (0 bytes)"
            )
        try:
            df = read_table(path, manifest.format, cfg, rows=manifest.rows)
        except SnapshotError as exc:  # the same error, naming the snapshot
            raise type(exc)(f"snapshot {manifest.snapshot_id}: {exc}") from None
    if len(df) != manifest.rows:
        raise SnapshotLoadError(
            f"snapshot {manifest.snapshot_id}: {len(df)} rows read but the manifest says {manifest.rows}"
        )
    return df, manifest
