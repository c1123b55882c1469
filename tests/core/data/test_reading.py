"""The bounded reader: a snapshot's decoded size and rows are checked before it is decoded."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from airflow_champion.data import layout, reading, snapshots
from airflow_champion.errors import (
    SnapshotError,
    SnapshotLoadError,
    SnapshotOutOfMemoryError,
    SnapshotTooLargeError,
)

pytestmark = pytest.mark.unit


def _cfg(cfg: Any, max_bytes: int) -> Any:
    return cfg.model_copy(update={"snapshots": cfg.snapshots.model_copy(update={"max_bytes": max_bytes})})


def _land(cfg: Any, sid: str, data: bytes, rows: int, fmt: str = "parquet") -> None:
    folder = Path(cfg.snapshot_root()) / sid
    folder.mkdir(parents=True)
    name = layout.DATA_FILES[fmt]
    (folder / name).write_bytes(data)
    doc = {
        "snapshot_id": sid,
        "data_file": name,
        "format": fmt,
        "rows": rows,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    (folder / "manifest.json").write_text(json.dumps(doc))


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if the parquet file is decoded at all."""
    import pyarrow.parquet as pq

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the table was decoded")

    monkeypatch.setattr(pq, "read_table", refuse)
    yield


def test_a_small_file_that_decodes_huge_is_refused_before_decoding(
    mlops_home: Path, churn_cfg: Any, no_decoding: None
) -> None:
    rows = 2_000_000  # constant columns: a few kB of parquet, 32 MB once decoded
    data = _parquet(pd.DataFrame({"a": [0] * rows, "b": ["same text"] * rows}))
    cfg = _cfg(churn_cfg, 200_000)
    assert len(data) < 200_000
    _land(cfg, "bomb", data, rows)
    with pytest.raises(
        SnapshotTooLargeError, match=r"decodes to at least 32,000,000 bytes.*max_bytes=200,000"
    ):
        reading.load_snapshot(cfg, "bomb")


def test_parquet_rows_are_checked_against_the_manifest_before_decoding(
    mlops_home: Path, churn_cfg: Any, no_decoding: None
) -> None:
    _land(churn_cfg, "liar", _parquet(pd.DataFrame({"a": range(500)})), rows=10)
    with pytest.raises(SnapshotLoadError, match="parquet metadata counts 500 rows but the manifest says 10"):
        reading.load_snapshot(churn_cfg, "liar")


def test_csv_reads_at_most_one_row_past_the_manifest(
    mlops_home: Path, churn_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    real = pd.read_csv

    def spy(*a: Any, **k: Any) -> Any:
        seen.update(k)
        return real(*a, **k)

    monkeypatch.setattr(pd, "read_csv", spy)
    _land(churn_cfg, "long", b"a,b\n" + b"1,2\n" * 1000, rows=3, fmt="csv")
    with pytest.raises(SnapshotLoadError, match="more than the 3 rows the manifest says"):
        reading.load_snapshot(churn_cfg, "long")
    assert seen["nrows"] == 4


def test_running_out_of_memory_while_decoding_does_not_quarantine(
    mlops_home: Path, churn_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq
    from airflow_champion.validation.gate import validate_snapshot

    snapshots.write_snapshot(churn_cfg.snapshot_root(), "s1", pd.DataFrame({"a": [1, 2]}))

    def oom(*_a: Any, **_k: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(pq, "read_table", oom)
    with pytest.raises(SnapshotOutOfMemoryError, match="ran out of memory") as info:
        validate_snapshot(churn_cfg, "s1")
    assert not isinstance(info.value, (SnapshotLoadError, SnapshotTooLargeError))
    assert not snapshots.is_quarantined(churn_cfg.snapshot_root(), "s1")


def test_corrupt_pandas_metadata_is_a_load_error(mlops_home: Path, churn_cfg: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(pd.DataFrame({"a": [1, 2]}), preserve_index=False)
    table = table.replace_schema_metadata({**table.schema.metadata, b"pandas": b"{not json"})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    _land(churn_cfg, "meta", buf.getvalue(), rows=2)
    with pytest.raises(SnapshotLoadError, match="corrupt pandas metadata"):
        reading.load_snapshot(churn_cfg, "meta")


def test_a_data_file_linked_outside_the_root_is_never_read(
    mlops_home: Path, churn_cfg: Any, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("password,hunter2\n")
    _land(churn_cfg, "linked", secret.read_bytes(), rows=0, fmt="csv")
    data = Path(churn_cfg.snapshot_root()) / "linked" / "data.csv"
    data.unlink()
    data.symlink_to(secret)
    with pytest.raises(SnapshotError, match="is a symbolic link") as info:
        reading.load_snapshot(churn_cfg, "linked")
    assert "hunter2" not in str(info.value)


@pytest.mark.s3
def test_an_s3_snapshot_is_downloaded_once(mlops_home: Path, churn_cfg: Any) -> None:
    from airflow_champion.config import parse_config
    from airflow_champion.data import credentials

    from tests.integration.s3_server import boto_client, moto_s3

    calls: list[str] = []

    class Counting:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            if name in {"get_object", "download_file", "download_fileobj"}:
                calls.append(name)
            return getattr(self.inner, name)

    with moto_s3() as endpoint:
        client = boto_client(endpoint)
        client.create_bucket(Bucket="landing")
        raw = churn_cfg.model_dump(mode="json", by_alias=True)
        raw["snapshots"]["root"] = "s3://landing/churn"
        cfg = parse_config(raw)
        with credentials.s3_client_source(lambda: Counting(client)):
            snapshots.write_snapshot(cfg.snapshot_root(), "s1", pd.DataFrame({"a": [1, 2, 3]}))
            calls.clear()
            df, _m = reading.load_snapshot(cfg, "s1")
    assert len(df) == 3
    data_reads = [c for c in calls if c != "get_object"]
    assert calls.count("get_object") == 1 and data_reads == ["download_file"], calls  # manifest + data


def test_inside_shared_reads_a_snapshot_is_hashed_and_decoded_once(
    mlops_home: Path, churn_cfg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-process chain's steps get the frame the first one read; outside a scope every load
    reads (and hashes) the file again, as each Airflow task does."""
    from airflow_champion_demo.datagen import generate_churn

    df = generate_churn(300, 1)
    _land(churn_cfg, "s1", _parquet(df), len(df))
    _land(churn_cfg, "s2", _parquet(df.head(100)), 100)
    decoded: list[str] = []
    hashed: list[str] = []
    real_read, real_hash = reading.read_table, reading.file_sha256
    monkeypatch.setattr(
        reading, "read_table", lambda p, *a, **k: decoded.append(p.name) or real_read(p, *a, **k)
    )
    monkeypatch.setattr(reading, "file_sha256", lambda p: hashed.append(p.name) or real_hash(p))
    with reading.shared_reads():
        first, manifest = reading.load_snapshot(churn_cfg, "s1")
        with reading.shared_reads():  # a step's own scope inside the chain's: the chain's is used
            again, same = reading.load_snapshot(churn_cfg, "s1")
        once, _ = reading.load_snapshot(churn_cfg, "s2", keep=False)  # read for one use: not kept
        twice, _ = reading.load_snapshot(churn_cfg, "s2", keep=False)
    assert again is first and same is manifest and len(decoded) == len(hashed) == 3
    assert twice is not once
    pd.testing.assert_frame_equal(first, df)
    outside, _ = reading.load_snapshot(churn_cfg, "s1")
    assert outside is not first and len(decoded) == len(hashed) == 4


def test_derived_values_are_kept_per_object_and_name_only_inside_shared_reads() -> None:
    made: list[str] = []

    def make(tag: str) -> str:
        made.append(tag)
        return tag

    obj, other = object(), object()
    assert not reading.sharing()
    reading.derived(obj, "a", lambda: make("a"))
    reading.derived(obj, "a", lambda: make("a"))
    assert made == ["a", "a"]  # outside a scope: computed every time
    with reading.shared_reads():
        assert reading.sharing()
        for _ in range(2):
            reading.derived(obj, "a", lambda: make("a"))
            reading.derived(obj, "b", lambda: make("b"))
            reading.derived(other, "a", lambda: make("other"))
    assert made == ["a", "a", "a", "b", "other"] and not reading.sharing()
