"""Malformed manifests: a named refusal that names the field, and never a blocked "latest"."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from airflow_champion.data import inventory, manifest, snapshots
from airflow_champion.errors import IncompleteSnapshotError

pytestmark = pytest.mark.unit

GOOD = {
    "snapshot_id": "s1",
    "data_file": "data.parquet",
    "format": "parquet",
    "rows": 5,
    "columns": [{"name": "a", "dtype": "int64"}],
    "sha256": "0" * 64,
    "bytes": 10,
    "created_at": "2026-11-02T00:00:00+00:00",
    "extra": {},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rows": "5000 rows"}, "rows"),
        ({"rows": -1}, "rows"),
        ({"rows": True}, "rows"),
        ({"rows": 1.5}, "rows"),
        ({"bytes": "ten"}, "bytes"),
        ({"bytes": -3}, "bytes"),
        ({"sha256": "not-hex" * 9}, "sha256"),
        ({"sha256": "ab"}, "sha256"),
        ({"sha256": 12}, "sha256"),
        ({"snapshot_id": ["s1"]}, "snapshot_id"),
        ({"format": "excel"}, "format"),
        ({"format": "csv"}, "format"),  # data.parquet is not a CSV
        ({"columns": "a,b"}, "columns"),
        ({"columns": [1, 2]}, "columns"),
        ({"extra": [1]}, "extra"),
        ({"created_at": {"d": 1}}, "created_at"),
    ],
)
def test_every_malformed_field_is_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(IncompleteSnapshotError, match=rf"manifest field '{field}'"):
        manifest.Manifest.from_dict({**GOOD, **change}, "snapshot s1 in /r")


def _land_text(root: str, sid: str, text: str | bytes) -> None:
    folder = Path(root) / sid
    folder.mkdir(parents=True)
    data = b"PAR1"
    (folder / "data.parquet").write_bytes(data)
    raw = text.encode() if isinstance(text, str) else text
    (folder / "manifest.json").write_bytes(raw.replace(b"SHA", hashlib.sha256(data).hexdigest().encode()))


def test_deeply_nested_and_huge_manifests_are_named(mlops_home: Path, churn_cfg: Any) -> None:
    root = churn_cfg.snapshot_root()
    _land_text(root, "deep", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(IncompleteSnapshotError, match=r"manifest\.json is not valid JSON"):
        manifest.read_manifest(root, "deep")
    nested = json.dumps({**GOOD, "snapshot_id": "nested", "extra": {"x": 1}}).replace(
        '{"x": 1}', "{" + '"x": {' * 60 + "}" * 61
    )
    _land_text(root, "nested", nested)
    with pytest.raises(IncompleteSnapshotError, match="nested more than"):
        manifest.read_manifest(root, "nested")
    huge = json.dumps({**GOOD, "snapshot_id": "huge", "extra": {"pad": "x" * (manifest.MAX_MANIFEST_BYTES)}})
    _land_text(root, "huge", huge)
    with pytest.raises(IncompleteSnapshotError, match="over the 1,048,576-byte limit"):
        manifest.read_manifest(root, "huge")


def test_latest_and_listing_skip_a_malformed_manifest_and_say_why(mlops_home: Path, churn_cfg: Any) -> None:
    import pandas as pd

    root = churn_cfg.snapshot_root()
    snapshots.write_snapshot(root, "2026-11-01", pd.DataFrame({"a": [1, 2]}))
    bad = {**GOOD, "snapshot_id": "2026-11-02", "rows": "5000 rows", "sha256": "SHA"}
    _land_text(root, "2026-11-02", json.dumps(bad))
    _land_text(root, "2026-11-03", "[" * 100_000)  # RecursionError when parsed
    assert snapshots.latest_snapshot(root) == "2026-11-01"
    assert [m.snapshot_id for m in snapshots.complete_snapshots(root)] == ["2026-11-01"]
    listed = {row["snapshot_id"]: row for row in inventory.list_snapshots(churn_cfg)}
    assert listed["2026-11-02"]["complete"] is False
    assert "manifest field 'rows'" in listed["2026-11-02"]["incomplete"]
    assert "not valid JSON" in listed["2026-11-03"]["incomplete"]
    with pytest.raises(IncompleteSnapshotError, match="manifest field 'rows'"):
        manifest.check_complete(root, "2026-11-02")
