"""The gates' hooks on a real MLflow store and a real UDP socket: what each decision sends, and that
nothing in the metrics changes or fails a decision.

Versions are registered without model files (the registry never loads a model), as in
tests/core/registry/test_promotion.py.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow_champion import registry
from airflow_champion.data import layout, snapshots
from airflow_champion.data.storage import open_store
from airflow_champion.errors import PromotionConflictError, PromotionRefusedError, RollbackError
from airflow_champion.registry import tracking
from airflow_champion.telemetry import names

from tests.statsd_support import StatsdListener

pytestmark = [pytest.mark.unit, pytest.mark.mlflow]

HOURS_AGO = 2


def _version(cfg: Any, verdict: str = "promote") -> int:
    from airflow_champion import settings
    from mlflow.exceptions import MlflowException

    c = tracking.client()
    try:
        c.get_registered_model(cfg.name)
    except MlflowException:
        c.create_registered_model(cfg.name)
    mv = c.create_model_version(
        cfg.name, source=(settings.mlops_home() / "model").as_uri(), tags={"mlops.verdict": verdict}
    )
    return int(mv.version)


def _landed(cfg: Any, sid: str, hours_ago: float = HOURS_AGO) -> str:
    """A complete snapshot whose manifest says it landed `hours_ago` hours ago."""
    snapshots.land_snapshot(cfg.snapshot_root(), sid, b"a,b\n1,2\n", fmt="csv", rows=1, columns=[])
    store = open_store(cfg.snapshot_root())
    manifest = json.loads(store.read_bytes(layout.manifest(sid)))
    manifest["created_at"] = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="seconds")
    store.write_bytes(layout.manifest(sid), json.dumps(manifest).encode())
    return sid


def _verdict(
    cfg: Any, challenger: int, champion: int | None, decision: str = "promote", **kw: Any
) -> dict[str, Any]:
    return {
        "model": cfg.name,
        "snapshot_id": "s",
        "challenger_version": challenger,
        "champion_version": champion,
        "decision": decision,
        "reasons": ["CI lower bound +0.010 > 0"]
        if decision == "promote"
        else ["gain -0.01 < min_abs_gain 0"],
        "metric": "roc_auc",
        "diff": 0.03,
        "ci_low": 0.01,
        "ci_high": 0.05,
        "eval_run_id": None,
        **kw,
    }


def _decision(statsd: StatsdListener) -> dict[str, str]:
    (line,) = statsd.named(names.GATE_DECISION)
    assert line.kind == "c" and line.value == 1
    return line.tags


def _sent_all(*wanted: str) -> Any:
    return lambda lines: {*wanted} <= {x.name for x in lines}


def test_a_promotion_sends_its_decision_gain_interval_landing_time_and_the_new_champion(
    mlops_home: Path, bc_cfg: Any, statsd: StatsdListener
) -> None:
    v1, v2 = _version(bc_cfg), _version(bc_cfg)
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None, diff=None, ci_low=None, ci_high=None), actor="t")
    statsd.wait_for(_sent_all(names.GATE_DECISION, names.CHAMPION_AGE))
    assert _decision(statsd) == {
        "model": bc_cfg.name,
        "decision": "promote",
        "verdict": "promote",
        "reason": "first_model",
    }
    assert (
        statsd.named(names.GATE_GAIN) == [] and statsd.named(names.GATE_CI_LOW) == []
    )  # no champion to beat
    assert statsd.named(names.LANDING_TO_DECISION) == []  # snapshot "s" has no manifest: skipped, not fatal

    statsd.clear()
    sid = _landed(bc_cfg, "2026-01-05")
    out = registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1, snapshot_id=sid), actor="t")
    assert out["champion"] == v2
    statsd.wait_for(_sent_all(names.GATE_DECISION, names.LANDING_TO_DECISION, names.CHAMPION_AGE))
    assert _decision(statsd)["reason"] == "beat_champion"
    on = {"model": bc_cfg.name, "metric": "roc_auc"}
    assert statsd.gauge(names.GATE_GAIN, **on) == 0.03
    assert (statsd.gauge(names.GATE_CI_LOW, **on), statsd.gauge(names.GATE_CI_HIGH, **on)) == (0.01, 0.05)
    (landing,) = statsd.named(names.LANDING_TO_DECISION, model=bc_cfg.name, decision="promote")
    assert landing.kind == "ms" and HOURS_AGO * 3600_000 <= landing.value < (HOURS_AGO + 1) * 3600_000
    assert statsd.gauge(names.CHAMPION_VERSION, model=bc_cfg.name) == v2
    age = statsd.gauge(names.CHAMPION_AGE, model=bc_cfg.name)
    assert age is not None and 0 <= age < 3600  # promoted just now, not when v1 was
    took_over = datetime.fromisoformat(registry.read_ledger(bc_cfg)[-1]["at"]).timestamp()
    assert statsd.gauge(names.CHAMPION_SINCE, model=bc_cfg.name) == took_over


def test_reject_shadow_conflict_and_refusal_each_send_one_decision(
    mlops_home: Path, bc_cfg: Any, statsd: StatsdListener
) -> None:
    v1, v2, v3, v4 = _version(bc_cfg), _version(bc_cfg), _version(bc_cfg, "reject"), _version(bc_cfg, "")
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    cases: list[tuple[Any, dict[str, str]]] = [
        (
            lambda: registry.promote(bc_cfg, _verdict(bc_cfg, v3, v1, "reject"), actor="t"),
            {"decision": "reject", "verdict": "reject", "reason": "min_abs_gain"},
        ),
        (
            lambda: registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="t", shadow=True),
            {"decision": "shadow", "verdict": "promote", "reason": "beat_champion"},
        ),
        (
            lambda: registry.promote(bc_cfg, _verdict(bc_cfg, v2, v3), actor="t"),
            {"decision": "conflict", "verdict": "promote", "reason": "champion_moved"},
        ),
        (
            lambda: registry.promote(bc_cfg, _verdict(bc_cfg, v4, v1), actor="t"),
            {"decision": "refused", "verdict": "promote", "reason": "bad_verdict"},
        ),
    ]
    for call, tags in cases:
        statsd.clear()
        if tags["decision"] in {"conflict", "refused"}:
            error = PromotionConflictError if tags["decision"] == "conflict" else PromotionRefusedError
            with pytest.raises(error):
                call()
        else:
            call()
        statsd.wait_for(_sent_all(names.GATE_DECISION))
        assert _decision(statsd) == {"model": bc_cfg.name, **tags}
    assert tracking.alias_version(bc_cfg, tracking.CHAMPION) == v1


def test_rollbacks_send_their_outcome_and_trigger(
    mlops_home: Path, bc_cfg: Any, statsd: StatsdListener
) -> None:
    v1, v2 = _version(bc_cfg), _version(bc_cfg)
    registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    with pytest.raises(RollbackError):
        registry.rollback(bc_cfg, to_version=None, reason="nothing before v1", actor="t")
    statsd.wait_for(_sent_all(names.ROLLBACK))
    assert statsd.named(names.ROLLBACK)[0].tags == {
        "model": bc_cfg.name,
        "outcome": "refused",
        "trigger": "manual",
    }

    registry.promote(bc_cfg, _verdict(bc_cfg, v2, v1), actor="t")
    statsd.clear()
    registry.rollback(bc_cfg, to_version=None, reason="incident", actor="t", evidence={"snapshot_id": "s"})
    statsd.wait_for(_sent_all(names.ROLLBACK, names.CHAMPION_VERSION))
    assert statsd.named(names.ROLLBACK)[0].tags == {
        "model": bc_cfg.name,
        "outcome": "rolled_back",
        "trigger": "automatic",
    }
    assert statsd.gauge(names.CHAMPION_VERSION, model=bc_cfg.name) == v1


def test_with_metrics_off_the_hooks_send_nothing_and_return_the_same(
    mlops_home: Path, bc_cfg: Any, statsd: StatsdListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_METRICS", "off")
    v1 = _version(bc_cfg)
    out = registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    assert out["promoted"] is True and out["champion"] == v1
    assert statsd.drain() == []


def test_a_hook_that_cannot_read_the_ledger_still_sends_the_decision_and_keeps_the_result(
    mlops_home: Path,
    bc_cfg: Any,
    statsd: StatsdListener,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from airflow_champion.registry import ledger

    v1 = _version(bc_cfg)

    def unreadable(*a: Any, **kw: Any) -> Any:  # only the hook asks who made the champion
        raise OSError("registry went away")

    monkeypatch.setattr(ledger, "moved_by", unreadable)
    with caplog.at_level(logging.WARNING, logger="airflow_champion.telemetry"):
        out = registry.promote(bc_cfg, _verdict(bc_cfg, v1, None), actor="t")
    assert out["promoted"] is True
    statsd.wait_for(_sent_all(names.GATE_DECISION))
    assert statsd.named(names.CHAMPION_AGE) == []
    assert any("champion not read: OSError: registry went away" in r.message for r in caplog.records)


def test_validation_failures_say_why(mlops_home: Path, churn_cfg: Any, statsd: StatsdListener) -> None:
    """(A snapshot that passes is counted in tests/dags/test_retrain_story.py, which validates four.)"""
    from airflow_champion.errors import ValidationFailedError
    from airflow_champion.validation.gate import validate_snapshot
    from airflow_champion_demo.datagen import generate

    root = churn_cfg.snapshot_root()
    snapshots.write_snapshot(root, "bad", generate("churn", 600, 1).assign(churned=0))  # one class
    snapshots.land_snapshot(root, "garbled", b"PAR1 not parquet", fmt="parquet", rows=600, columns=[])
    for sid in ("bad", "garbled"):
        with pytest.raises(ValidationFailedError):
            validate_snapshot(churn_cfg, sid)
    statsd.wait_for(lambda got: len(got) == 2)
    assert [x.raw for x in statsd.lines] == [
        "mlops.validation.failed,model=churn,kind=expectations:1|c",
        "mlops.validation.failed,model=churn,kind=unreadable:1|c",
    ]
