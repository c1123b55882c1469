"""A drift verdict's numbers as StatsD metrics, on a real UDP socket: the value of each retrain
signal is the policy's reading of it, and a failing hook never costs the verdict."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from airflow_champion.monitoring import metrics
from airflow_champion.monitoring.policy import reading
from airflow_champion.telemetry import names

from tests.statsd_support import StatsdListener, statsd_listener

pytestmark = pytest.mark.unit


def _feature(effect: float | None, drifted: bool, status: str = "ok") -> dict[str, Any]:
    return {"status": status, "effect_size": effect, "drifted": drifted, "statistic": 0.5}


VERDICT: dict[str, Any] = {  # the fields of monitor()'s verdict that the signals read
    "model": "churn",
    "champion_version": 4,
    "drifted": True,
    "share_drifted": 0.5,
    "drifted_features": ["tenure_months"],
    "features": {
        "tenure_months": _feature(0.42, True),
        "plan": _feature(0.03, False),
        "gone": _feature(None, False, status="missing"),
    },
    "target_drift": {"status": "ok", "effect_size": 0.02, "method": "jensenshannon"},
    "prediction_drift": {"status": "ok", "effect_size": 0.31, "method": "wasserstein"},
    "performance": {"metric": "roc_auc", "score": 0.8, "promoted_score": 0.85, "drop": 0.05},
}


@pytest.fixture
def statsd(monkeypatch: pytest.MonkeyPatch) -> Iterator[StatsdListener]:
    with statsd_listener() as listener:
        for key, value in listener.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("MLOPS_STATSD_PREFIX", raising=False)
        yield listener


def test_each_signal_sends_the_value_the_policy_judges_and_whether_it_crossed(
    churn_cfg: Any, statsd: StatsdListener
) -> None:
    sent = metrics.emitter.send(metrics.drift_samples(churn_cfg, VERDICT))
    statsd.wait_for(lambda got: len(got) == sent)
    for signal in ("features", "target", "prediction", "performance"):
        expected = reading(churn_cfg.drift, signal, VERDICT)
        assert statsd.gauge(names.DRIFT_SCORE, model="churn", signal=signal) == expected["value"], signal
        assert statsd.gauge(names.DRIFT_DETECTED, model="churn", signal=signal) == int(expected["crossed"])
    assert statsd.gauge(names.DRIFT_SCORE, signal="features") == 0.5  # the dataset rule's share
    assert statsd.gauge(names.DRIFT_FEATURE_SCORE, model="churn", feature="tenure_months") == 0.42
    assert statsd.gauge(names.DRIFT_FEATURE_DETECTED, feature="tenure_months") == 1
    assert statsd.gauge(names.DRIFT_FEATURE_DETECTED, feature="plan") == 0
    assert statsd.named(names.DRIFT_FEATURE_SCORE, feature="gone") == []  # untestable: not a score


def test_a_signal_that_was_not_measured_sends_no_detected_flag(churn_cfg: Any) -> None:
    verdict = {**VERDICT, "performance": {"drop": None, "status": "no labels"}, "target_drift": None}
    sent = {(name, tags.get("signal")) for name, _value, tags in metrics.drift_samples(churn_cfg, verdict)}
    assert (names.DRIFT_DETECTED, "performance") not in sent and (names.DRIFT_DETECTED, "target") not in sent
    assert (names.DRIFT_DETECTED, "features") in sent


def test_the_hook_sends_after_the_verdict_and_a_failure_in_it_changes_nothing(
    churn_cfg: Any, statsd: StatsdListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_registry(cfg: Any, version: Any = None) -> Any:
        raise ConnectionError("MLflow is down")

    monkeypatch.setattr(metrics, "champion_samples", no_registry)
    hooked = metrics.records_drift(lambda cfg, snapshot="latest": dict(VERDICT))
    assert hooked(churn_cfg, "2026-01-05") == VERDICT
    statsd.wait_for(lambda got: bool(statsd.named(names.DRIFT_FEATURE_DETECTED, feature="plan")))
    assert statsd.named(names.CHAMPION_AGE) == []  # the champion part failed alone, logged once
