"""The drift policy's signals: each has its own threshold and persistence, and the reason says which
signal fired with its numbers (or "no drift" when nothing crossed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from airflow_champion.monitoring.policy import decide_retrain
from airflow_champion.pipeline.reasons import safe_reason

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _verdict(
    sid: str,
    *,
    features: bool = False,
    target: float = 0.01,
    pred: float = 0.01,
    drop: float | None = 0.0,
    champion: int = 1,
) -> dict[str, Any]:
    return {
        "snapshot_id": sid,
        "champion_version": champion,
        "drifted": features,
        "share_drifted": 0.6 if features else 0.0,
        "drifted_features": ["a", "b"] if features else [],
        "target_drift": {
            "status": "ok",
            "method": "jensenshannon",
            "effect_size": target,
            "positive_rate": {"reference": 0.13, "current": 0.33},
        },
        "prediction_drift": {"status": "ok", "method": "wasserstein", "effect_size": pred},
        "performance": {
            "metric": "roc_auc",
            "score": 0.8 - (drop or 0),
            "promoted_score": 0.8,
            "drop": drop,
            "status": "ok",
        },
    }


def _decide(spec: Any, verdicts: list[dict[str, Any]]) -> Any:
    return decide_retrain(spec, verdicts, last_retrain_at=None, claimed_snapshots=set(), now=NOW)


def _spec(cfg: Any, **signals: Any) -> Any:
    sig = cfg.drift.signals
    update = {k: getattr(sig, k).model_copy(update=v) for k, v in signals.items()}
    return cfg.drift.model_copy(update={"signals": sig.model_copy(update=update)})


def test_nothing_crossed_says_no_drift_with_every_signal(churn_cfg: Any) -> None:
    spec = _spec(churn_cfg, prediction={"enabled": True})
    d = _decide(spec, [_verdict("w1")])
    assert not d.retrain and d.reason.startswith("no drift: ")
    for word in ("feature(s) drifted", "target drift", "prediction drift", "drop"):
        assert word in d.reason
    assert "not persistent" not in d.reason


def test_a_target_rate_shift_alone_fires_with_its_numbers(churn_cfg: Any) -> None:
    d = _decide(churn_cfg.drift, [_verdict("w1", target=0.17)])
    assert d.retrain and d.fired == ["target"]
    assert d.reason.startswith("drift: target drift jensenshannon 0.17")
    assert "positive rate 0.13 to 0.33" in d.reason and "on snapshot w1" in d.reason
    assert safe_reason(d.reason) == d.reason  # it travels into a DAG param unchanged


def test_a_measured_champion_drop_alone_fires(churn_cfg: Any) -> None:
    d = _decide(churn_cfg.drift, [_verdict("w1", drop=0.09)])
    assert d.retrain and d.fired == ["performance"]
    assert "champion roc_auc 0.71 on the snapshot vs 0.8 it was promoted on: drop 0.09" in d.reason


def test_each_signal_has_its_own_persistence(churn_cfg: Any) -> None:
    spec = _spec(churn_cfg, target={"consecutive_windows": 2})
    first = _decide(spec, [_verdict("w1"), _verdict("w2", target=0.2)])
    assert not first.retrain and first.reason.startswith(
        "drift not persistent: target crossed in 1 of the last 2"
    )
    second = _decide(spec, [_verdict("w1", target=0.2), _verdict("w2", target=0.2)])
    assert second.retrain and second.fired == ["target"] and "for 2 windows" in second.reason
    short = _decide(spec, [_verdict("w2", target=0.2, champion=2)])
    assert not short.retrain and "1 verdict(s) against champion v2 so far; target needs 2" in short.reason


def test_thresholds_and_switches_are_per_signal(churn_cfg: Any) -> None:
    assert not _decide(_spec(churn_cfg, target={"threshold": 0.3}), [_verdict("w1", target=0.2)]).retrain
    assert not _decide(_spec(churn_cfg, performance={"enabled": False}), [_verdict("w1", drop=0.5)]).retrain
    assert not _decide(churn_cfg.drift, [_verdict("w1", pred=0.4)]).retrain  # off by default
    on = _spec(churn_cfg, prediction={"enabled": True})
    assert _decide(on, [_verdict("w1", pred=0.4)]).fired == ["prediction"]


def test_unmeasured_signals_never_fire(churn_cfg: Any) -> None:
    v = _verdict("w1", drop=None)
    v["target_drift"] = None
    d = _decide(churn_cfg.drift, [v])
    assert (
        not d.retrain and "target drift not measured" in d.reason and "performance not measured" in d.reason
    )
