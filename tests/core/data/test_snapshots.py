"""Snapshot layout, completeness, loading limits and quarantine (local store)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from airflow_champion.data import ids, layout, manifest, reading, snapshots
from airflow_champion.errors import (
    IncompleteSnapshotError,
    SnapshotError,
    SnapshotLoadError,
    SnapshotTooLargeError,
)

pytestmark = pytest.mark.unit


def _frame(cfg, n: int = 50) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    cols: dict[str, object] = {}
    for f in cfg.data.features:
        if f.type == "numeric":
            cols[f.name] = rng.uniform(f.min or 0, (f.min or 0) + 10, n)
        else:
            cols[f.name] = rng.choice(f.allowed_values or ["a", "b"], n)
    cols[cfg.data.target] = rng.integers(0, 2, n)
    return pd.DataFrame(cols)


def test_write_then_load_round_trip(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    df = _frame(churn_cfg)
    m = snapshots.write_snapshot(churn_cfg.snapshot_root(), "2026-01-05", df, extra={"k": 1})
    folder = Path(churn_cfg.snapshot_root()) / "2026-01-05"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rows"] == 50 and manifest["sha256"] == m.sha256 and manifest["extra"] == {"k": 1}
    loaded, m2 = reading.load_snapshot(churn_cfg, "2026-01-05")
    pd.testing.assert_frame_equal(loaded, df)
    assert m2 == m


def test_snapshots_are_immutable(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    snapshots.write_snapshot(churn_cfg.snapshot_root(), "s1", _frame(churn_cfg))
    with pytest.raises(SnapshotError, match="immutable"):
        snapshots.write_snapshot(churn_cfg.snapshot_root(), "s1", _frame(churn_cfg))


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".hidden", "x" * 65, "s3://other/x", "a..b", "/abs"])
def test_ids_that_could_escape_the_root_are_refused(bad: str) -> None:
    with pytest.raises(SnapshotError, match="invalid snapshot id"):
        ids.validate_snapshot_id(bad)


def test_missing_manifest_is_incomplete(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    folder = Path(churn_cfg.snapshot_root()) / "s1"
    folder.mkdir(parents=True)
    _frame(churn_cfg).to_parquet(folder / "data.parquet")
    with pytest.raises(IncompleteSnapshotError, match=r"no manifest\.json"):
        reading.load_snapshot(churn_cfg, "s1")
    assert snapshots.complete_snapshots(churn_cfg.snapshot_root()) == []


def test_hash_mismatch_is_incomplete(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    snapshots.write_snapshot(churn_cfg.snapshot_root(), "s1", _frame(churn_cfg))
    data = Path(churn_cfg.snapshot_root()) / "s1" / "data.parquet"
    data.write_bytes(data.read_bytes() + b"x")
    with pytest.raises(IncompleteSnapshotError, match="sha256"):
        manifest.check_complete(churn_cfg.snapshot_root(), "s1")


def test_latest_skips_incomplete_and_quarantined(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    root = churn_cfg.snapshot_root()
    for sid in ("2026-01-05", "2026-01-12", "2026-01-19"):
        snapshots.write_snapshot(root, sid, _frame(churn_cfg))
    (Path(root) / "2026-01-26").mkdir()  # landing, no manifest yet
    snapshots.quarantine(root, "2026-01-19", reason="bad", result={"success": False}, report_html="<p>x</p>")
    assert snapshots.resolve_snapshot_id(root, "latest") == "2026-01-12"
    assert snapshots.is_quarantined(root, "2026-01-19")
    q = Path(root) / "2026-01-19"
    assert (q / "data.parquet").exists() and (q / "manifest.json").exists()
    assert (q / "_quarantine" / "report.html").read_text() == "<p>x</p>"


def test_latest_with_nothing_is_a_clear_error(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SnapshotError, match="no complete, non-quarantined snapshot"):
        snapshots.resolve_snapshot_id(churn_cfg.snapshot_root(), "latest")


def _write_raw(cfg, sid: str, data: bytes, fmt: str = "parquet") -> None:  # type: ignore[no-untyped-def]
    import hashlib

    folder = Path(cfg.snapshot_root()) / sid
    folder.mkdir(parents=True)
    name = layout.DATA_FILES[fmt]
    (folder / name).write_bytes(data)
    manifest = {
        "snapshot_id": sid,
        "data_file": name,
        "format": fmt,
        "rows": 1,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_empty_and_corrupt_files_are_load_errors(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    _write_raw(churn_cfg, "empty", b"")
    with pytest.raises(SnapshotLoadError, match="empty"):
        reading.load_snapshot(churn_cfg, "empty")
    _write_raw(churn_cfg, "corrupt", b"PAR1 this is not parquet")
    with pytest.raises(SnapshotLoadError, match="not a readable parquet"):
        reading.load_snapshot(churn_cfg, "corrupt")


def test_csv_wrong_delimiter_encoding_and_duplicates(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    _write_raw(churn_cfg, "semi", b"tenure_months;age;churned\n1;30;0\n", fmt="csv")
    with pytest.raises(SnapshotLoadError, match="delimited by ';'"):
        reading.load_snapshot(churn_cfg, "semi")
    _write_raw(churn_cfg, "latin", "region,churned\nn\xf6rth,0\n".encode("latin-1"), fmt="csv")
    with pytest.raises(SnapshotLoadError, match="not valid utf-8"):
        reading.load_snapshot(churn_cfg, "latin")
    _write_raw(churn_cfg, "dupes", b"age,age,churned\n1,2,0\n", fmt="csv")
    with pytest.raises(SnapshotLoadError, match="duplicate column names"):
        reading.load_snapshot(churn_cfg, "dupes")


def test_size_limit_is_checked_before_reading(mlops_home: Path, bc_cfg) -> None:  # type: ignore[no-untyped-def]
    cfg = bc_cfg.model_copy(update={"snapshots": bc_cfg.snapshots.model_copy(update={"max_bytes": 100})})
    snapshots.write_snapshot(cfg.snapshot_root(), "big", _frame(cfg, 200))
    with pytest.raises(SnapshotTooLargeError, match="max_bytes=100"):
        reading.load_snapshot(cfg, "big")


def test_manifest_row_count_must_match(mlops_home: Path, churn_cfg) -> None:  # type: ignore[no-untyped-def]
    root = churn_cfg.snapshot_root()
    snapshots.write_snapshot(root, "s1", _frame(churn_cfg))
    path = Path(root) / "s1" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["rows"] = 7
    path.write_text(json.dumps(raw))
    with pytest.raises(SnapshotLoadError, match="manifest says 7"):
        reading.load_snapshot(churn_cfg, "s1")
