"""The local store never reads or writes through a symbolic link, so nothing outside the root is touched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from airflow_champion.data import snapshots
from airflow_champion.data.storage import LocalStore
from airflow_champion.errors import SnapshotError

pytestmark = pytest.mark.unit


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "s1").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    return tmp_path / "root"


def test_a_linked_file_is_refused_for_reads(root: Path) -> None:
    secret = root.parent / "outside" / "secret"
    secret.write_text("top secret")
    (root / "s1" / "data.csv").symlink_to(secret)
    store = LocalStore(root)
    for call in (store.exists, store.read_bytes, store.sha256, store.size):
        with pytest.raises(SnapshotError, match=r"s1/data.csv is a symbolic link; links are refused"):
            call("s1/data.csv")


def test_a_linked_folder_is_refused_for_writes(root: Path) -> None:
    outside = root.parent / "outside"
    (root / "s1" / "_quarantine").symlink_to(outside, target_is_directory=True)
    store = LocalStore(root)
    with pytest.raises(SnapshotError, match=r"s1/_quarantine is a symbolic link.*nothing outside"):
        store.write_bytes("s1/_quarantine/QUARANTINED.json", b"{}")
    with pytest.raises(SnapshotError, match="is a symbolic link"):
        store.create_exclusive("s1/_quarantine/claim.json", b"{}")
    assert list(outside.iterdir()) == []


def test_a_linked_snapshot_folder_is_not_listed_and_latest_skips_a_linked_manifest(
    mlops_home: Path, churn_cfg: Any, tmp_path: Path
) -> None:
    root = Path(churn_cfg.snapshot_root())
    snapshots.write_snapshot(str(root), "2026-11-01", pd.DataFrame({"a": [1]}))
    elsewhere = tmp_path / "elsewhere"
    snapshots.write_snapshot(str(elsewhere), "2026-11-02", pd.DataFrame({"a": [2]}))
    (root / "2026-11-02").symlink_to(elsewhere / "2026-11-02", target_is_directory=True)
    (root / "2026-11-03").mkdir()
    (root / "2026-11-03" / "manifest.json").symlink_to(elsewhere / "2026-11-02" / "manifest.json")
    assert snapshots.list_snapshot_ids(str(root)) == ["2026-11-01", "2026-11-03"]
    assert snapshots.latest_snapshot(str(root)) == "2026-11-01"


def test_a_root_that_is_itself_a_link_still_works(tmp_path: Path) -> None:
    """Only links under the root are refused (the root may be a mount point or a link)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    store = LocalStore(tmp_path / "alias")
    store.write_bytes("s1/x.json", b"1")
    assert store.read_bytes("s1/x.json") == b"1" and (tmp_path / "real" / "s1" / "x.json").exists()
