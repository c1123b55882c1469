"""Storm control on stored verdicts: persistence, cooldown, once per snapshot, quarantined data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from airflow_champion.data import claims, layout, snapshots, storage
from airflow_champion.monitoring import gate as drift_gate
from airflow_champion.monitoring import report as drift_report

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, churn_cfg: Any) -> Any:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    return churn_cfg


def _with_verdict(cfg: Any, sid: str, drifted: bool, champion: int = 1) -> None:
    """A snapshot plus a stored verdict as the drift monitor writes it (only the fields policy reads)."""
    snapshots.write_snapshot(cfg.snapshot_root(), sid, pd.DataFrame({"churned": [0, 1]}))
    verdict = {
        "snapshot_id": sid,
        "drifted": drifted,
        "share_drifted": 0.6 if drifted else 0.0,
        "drifted_features": ["tenure_months", "region"] if drifted else [],
        "champion_version": champion,
    }
    rel = f"{sid}/{layout.REPORTS_DIR}/{drift_report.VERDICT_JSON}"
    storage.open_store(cfg.snapshot_root()).write_bytes(rel, json.dumps(verdict).encode())


def _with_policy(cfg: Any, **drift: Any) -> Any:
    return cfg.model_copy(update={"drift": cfg.drift.model_copy(update=drift)})


def test_waits_for_the_awaited_verdict_then_decides(cfg: Any) -> None:
    snapshots.write_snapshot(cfg.snapshot_root(), "w1", pd.DataFrame({"churned": [0, 1]}))
    assert drift_gate.evaluate_policy(cfg, "w1", now=NOW) is None
    _with_verdict(cfg, "w2", drifted=True)
    decision = drift_gate.evaluate_policy(cfg, "w2", now=NOW)
    assert decision is not None and decision["retrain"] is True
    assert decision["reason"].startswith("drift: 2 feature(s) drifted")


def test_clean_verdict_means_no_retrain(cfg: Any) -> None:
    _with_verdict(cfg, "w1", drifted=False)
    decision = drift_gate.evaluate_policy(cfg, "w1", now=NOW)
    assert decision is not None and decision["retrain"] is False


def test_persistence_needs_n_crossing_windows_in_a_row(cfg: Any) -> None:
    strict = _with_policy(cfg, consecutive_windows=2)
    _with_verdict(cfg, "w1", drifted=False)
    _with_verdict(cfg, "w2", drifted=True)
    first = drift_gate.evaluate_policy(strict, "w2", now=NOW)
    assert first is not None and not first["retrain"] and "not persistent" in first["reason"]
    _with_verdict(cfg, "w3", drifted=True)
    second = drift_gate.evaluate_policy(strict, "w3", now=NOW)
    assert second is not None and second["retrain"]


def test_a_new_champion_restarts_persistence(cfg: Any) -> None:
    """Drift measured against a replaced champion says nothing about the new one."""
    strict = _with_policy(cfg, consecutive_windows=2)
    _with_verdict(cfg, "w1", drifted=True, champion=1)
    _with_verdict(cfg, "w2", drifted=True, champion=2)
    first = drift_gate.evaluate_policy(strict, "w2", now=NOW)
    assert first is not None and not first["retrain"]
    assert "1 verdict(s) against champion v2" in first["reason"]
    _with_verdict(cfg, "w3", drifted=True, champion=2)
    second = drift_gate.evaluate_policy(strict, "w3", now=NOW)
    assert second is not None and second["retrain"]


def test_once_per_snapshot_and_cooldown_after_a_drift_retrain(cfg: Any) -> None:
    _with_verdict(cfg, "w1", drifted=True)
    decision = drift_gate.evaluate_policy(cfg, "w1", now=NOW)
    assert decision is not None and decision["retrain"]
    assert drift_gate.record_drift_retrain(cfg, decision, by="dag-a")
    assert not drift_gate.record_drift_retrain(cfg, decision, by="dag-b"), "second caller must lose"
    again = drift_gate.evaluate_policy(cfg, "w1", now=NOW)
    assert again is not None and not again["retrain"] and "already" in again["reason"]
    _with_verdict(cfg, "w2", drifted=True)
    cooling = drift_gate.evaluate_policy(cfg, "w2", now=datetime.now(UTC) + timedelta(hours=1))
    assert cooling is not None and not cooling["retrain"] and cooling["reason"].startswith("cooldown")
    later = datetime.now(UTC) + timedelta(hours=cfg.drift.cooldown_hours + 1)
    after = drift_gate.evaluate_policy(cfg, "w2", now=later)
    assert after is not None and after["retrain"]


def test_snapshot_claimed_by_another_trigger_is_not_retrained_for_drift(cfg: Any) -> None:
    _with_verdict(cfg, "w1", drifted=True)
    claims.claim_retrain(cfg, "w1", run_id="cron-run", reason="weekly schedule")
    decision = drift_gate.evaluate_policy(cfg, "w1", now=NOW)
    assert decision is not None and not decision["retrain"]


def test_quarantined_snapshot_stops_the_wait_with_a_reason(cfg: Any) -> None:
    snapshots.write_snapshot(cfg.snapshot_root(), "bad", pd.DataFrame({"churned": [0, 1]}))
    snapshots.quarantine(cfg.snapshot_root(), "bad", reason="nulls", result={}, report_html="<p>")
    decision = drift_gate.evaluate_policy(cfg, "bad", now=NOW)
    assert decision is not None and not decision["retrain"] and "quarantined" in decision["reason"]
