"""A poller's scan hashes a snapshot's data file once per version of the file (size, mtime/ETag), not
once per poll; without a remembered cache (a one-off check) every check still hashes in full."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from airflow_champion.data import claims, snapshots, verified_hashes

pytestmark = pytest.mark.unit


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, churn_cfg: Any) -> Any:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    return churn_cfg


def _snapshot(cfg: Any, sid: str) -> Path:
    df = pd.DataFrame({"tenure_months": [1.0, 2.0, 3.0], "churned": [0, 1, 0]})
    m = snapshots.write_snapshot(cfg.snapshot_root(), sid, df)
    return Path(cfg.snapshot_root()) / sid / m.data_file


def _scan(cfg: Any, cache: verified_hashes.VerifiedHashes) -> tuple[list[str], dict[str, str]]:
    with verified_hashes.remembered(cache):
        ready, skipped = claims.find_new_snapshots(cfg)
    return [m.snapshot_id for m in ready], skipped


def test_an_unchanged_snapshot_is_hashed_once_across_scans(cfg: Any, hashes: Counter[str]) -> None:
    data = _snapshot(cfg, "s1")
    cache = verified_hashes.VerifiedHashes()
    for _poll in range(3):
        assert _scan(cfg, cache)[0] == ["s1"]
    assert hashes["s1/data.parquet"] == 1

    os.replace(_copy(data), data)  # same bytes, new file (an atomic re-upload): hashed again, still ready
    assert _scan(cfg, cache)[0] == ["s1"]
    assert hashes["s1/data.parquet"] == 2


def _copy(path: Path) -> Path:
    tmp = path.with_name(".data.tmp")
    tmp.write_bytes(path.read_bytes())
    return tmp


def test_a_known_mismatch_keeps_its_reason_without_rereading(cfg: Any, hashes: Counter[str]) -> None:
    data = _snapshot(cfg, "s1")
    good = data.read_bytes()
    data.write_bytes(good + b"tampered")
    cache = verified_hashes.VerifiedHashes()
    reasons = {_scan(cfg, cache)[1]["s1"] for _poll in range(3)}
    assert hashes["s1/data.parquet"] == 1
    (reason,) = reasons  # the same named reason every poll, so the trigger's log names it once
    assert reason.startswith("incomplete") and "s1" in reason and "sha256" in reason

    data.write_bytes(good)
    assert _scan(cfg, cache)[0] == ["s1"]
    assert hashes["s1/data.parquet"] == 2


def test_one_off_checks_still_hash_every_time(cfg: Any, hashes: Counter[str]) -> None:
    _snapshot(cfg, "s1")
    claims.find_new_snapshots(cfg)
    claims.find_new_snapshots(cfg)
    assert hashes["s1/data.parquet"] == 2, "no cache outside a remembered() scope (poke, CLI, tasks)"


def test_entries_of_snapshots_no_longer_scanned_are_dropped(cfg: Any) -> None:
    _snapshot(cfg, "s1")
    _snapshot(cfg, "s2")
    cache = verified_hashes.VerifiedHashes()
    _scan(cfg, cache)
    assert len(cache) == 2
    claims.announce(cfg, "s1", "watcher")  # no longer hashed by the scan: its entry goes
    _scan(cfg, cache)
    assert len(cache) == 1
