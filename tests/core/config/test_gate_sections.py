"""The promotion gates' and drift signals' config: defaults, partial overrides, named errors."""

from __future__ import annotations

from typing import Any

import pytest
from airflow_champion.config import parse_config
from airflow_champion.errors import ConfigError

pytestmark = pytest.mark.unit


def _merged(base: dict[str, Any], edits: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in edits.items():
        out[k] = _merged(base.get(k) or {}, v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def with_overrides(cfg: Any, edits: dict[str, Any], source: str) -> Any:
    """The config as a user would write it with `edits` merged in (any section)."""
    return parse_config(_merged(cfg.model_dump(mode="json", by_alias=True), edits), source)


def test_defaults_are_the_documented_ones(churn_cfg: Any) -> None:
    pr, sig = churn_cfg.promotion, churn_cfg.drift.signals
    assert pr.mode == "live" and pr.slices.by == [] and pr.auto_rollback.enabled
    assert (pr.calibration.max_ece_increase, pr.calibration.max_brier_increase) == (0.03, 0.01)
    assert pr.budgets.max_p95_latency_ms is None and pr.budgets.max_artifact_mb is None
    assert (sig.target.threshold, sig.prediction.enabled, sig.performance.threshold) == (0.05, False, 0.03)
    assert churn_cfg.drift.report_rows is None and churn_cfg.drift.evidently_rows == churn_cfg.drift.max_rows


def test_one_signal_key_overrides_only_itself(churn_cfg: Any) -> None:
    cfg = with_overrides(churn_cfg, {"drift": {"signals": {"performance": {"enabled": False}}}}, "t")
    assert cfg.drift.signals.performance.enabled is False and cfg.drift.signals.performance.threshold == 0.03
    assert cfg.drift.signals.target.threshold == 0.05


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        (
            {"promotion": {"slices": {"by": [{"column": "no_such"}]}}},
            "neither a feature nor a holdout column",
        ),
        (
            {"promotion": {"slices": {"by": [{"column": "plan_tier", "bins": [1]}]}}},
            "has bins but is not numeric",
        ),
        (
            {"promotion": {"slices": {"by": [{"column": "age", "bins": [60, 30]}]}}},
            "bins must strictly increase",
        ),
        ({"promotion": {"mode": "dry"}}, "mode"),
        ({"drift": {"signals": {"target": {"treshold": 0.1}}}}, "treshold"),
    ],
)
def test_bad_gate_settings_are_named(churn_cfg: Any, overrides: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        with_overrides(churn_cfg, overrides, "t")
