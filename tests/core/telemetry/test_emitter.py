"""The StatsD client on a real UDP socket: wire format, tags, settings, and never raising."""

from __future__ import annotations

import logging
import math
import socket

import pytest
from airflow_champion.telemetry import emitter, names
from airflow_champion.telemetry.config import OFF, metrics_config

from tests.statsd_support import StatsdListener

pytestmark = pytest.mark.unit


def test_each_kind_arrives_with_its_tags_in_the_documented_order(statsd: StatsdListener) -> None:
    sent = emitter.send(
        [
            (
                names.GATE_DECISION,
                1,
                {"reason": "beat_champion", "model": "churn", "decision": "promote", "verdict": "promote"},
            ),
            (names.GATE_GAIN, 0.0125, {"model": "churn", "metric": "roc_auc"}),
            (names.LANDING_TO_DECISION, 90.5, {"model": "churn", "decision": "promote"}),
        ]
    )
    assert sent == 3
    lines = statsd.wait_for(lambda got: len(got) == 3)
    assert [x.raw for x in lines] == [
        "mlops.gate.decision,model=churn,decision=promote,verdict=promote,reason=beat_champion:1|c",
        "mlops.gate.gain,model=churn,metric=roc_auc:0.0125|g",
        "mlops.snapshot.landing_to_decision_seconds,model=churn,decision=promote:90500.000000|ms",
    ]
    assert statsd.datagrams == 1  # one decision, one datagram


def test_a_negative_gauge_is_sent_so_that_it_is_not_read_as_a_decrement(statsd: StatsdListener) -> None:
    emitter.send([(names.GATE_CI_LOW, -0.02, {"model": "churn", "metric": "roc_auc"})])
    lines = statsd.wait_for(lambda got: len(got) == 2)
    assert [x.raw.rsplit(":", 1)[1] for x in lines] == ["0|g", "-0.02|g"]
    assert statsd.gauge(names.GATE_CI_LOW, model="churn") == -0.02


def test_a_missing_tag_is_none_and_unsafe_characters_become_underscores(statsd: StatsdListener) -> None:
    emitter.send([(names.DRIFT_FEATURE_SCORE, 0.3, {"model": "churn", "feature": "plan, tier=gold|ü:x"})])
    emitter.send([(names.DRIFT_SCORE, 0.5, {"model": "churn"})])
    lines = statsd.wait_for(lambda got: len(got) == 2)
    assert lines[0].tags == {"model": "churn", "feature": "plan__tier_gold___x"}
    assert lines[1].tags == {"model": "churn", "signal": "none"}


def test_samples_without_a_value_are_skipped(statsd: StatsdListener) -> None:
    tags = {"model": "m", "metric": "rmse"}
    sent = emitter.send(
        [(names.GATE_GAIN, None, tags), (names.GATE_CI_LOW, math.nan, tags), (names.GATE_CI_HIGH, 1.5, tags)]
    )
    assert sent == 1
    assert [x.name for x in statsd.wait_for(lambda got: len(got) == 1)] == [names.GATE_CI_HIGH]


def test_an_unknown_metric_or_tag_is_logged_once_and_raises_nothing(
    statsd: StatsdListener, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="airflow_champion.telemetry"):
        assert emitter.send([("mlops.no.such", 1, {})]) == 0
        assert emitter.send([(names.ROLLBACK, 1, {"model": "m", "colour": "red"})]) == 0
        assert emitter.send([("mlops.no.such", 1, {})]) == 0
    assert len([r for r in caplog.records if "metrics not sent" in r.message]) == 1
    assert statsd.drain() == []


def test_the_prefix_goes_before_every_name(statsd: StatsdListener, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_STATSD_PREFIX", "prod.eu")
    emitter.send([(names.CHAMPION_VERSION, 3, {"model": "churn"})])
    assert (
        statsd.wait_for(lambda got: len(got) == 1)[0].raw
        == "prod.eu.mlops.champion.version,model=churn:3.0|g"
    )


def test_airflows_statsd_address_is_used_when_ours_is_unset(
    statsd: StatsdListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLOPS_STATSD_HOST")
    monkeypatch.delenv("MLOPS_STATSD_PORT")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_HOST", "127.0.0.1")
    monkeypatch.setenv("AIRFLOW__METRICS__STATSD_PORT", str(statsd.port))
    emitter.send([(names.VALIDATION_PASSED, 1, {"model": "churn"})])
    assert statsd.wait_for(lambda got: len(got) == 1)[0].raw == "mlops.validation.passed,model=churn:1|c"


def test_metrics_are_off_by_default_and_nothing_is_sent(
    statsd: StatsdListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLOPS_METRICS")
    assert metrics_config() == OFF and not emitter.enabled()
    assert emitter.send([(names.VALIDATION_PASSED, 1, {"model": "churn"})]) == 0
    assert statsd.drain() == []


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("MLOPS_METRICS", "prometheus"),
        ("MLOPS_STATSD_PORT", "eighty"),
        ("MLOPS_STATSD_PORT", "70000"),
        ("MLOPS_STATSD_PREFIX", "a b"),
    ],
)
def test_a_bad_setting_turns_metrics_off_and_says_so_once(
    statsd: StatsdListener,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    var: str,
    value: str,
) -> None:
    monkeypatch.setenv(var, value)
    with caplog.at_level(logging.WARNING, logger="airflow_champion.telemetry"):
        assert emitter.send([(names.VALIDATION_PASSED, 1, {"model": "churn"})]) == 0
        assert emitter.send([(names.VALIDATION_PASSED, 1, {"model": "churn"})]) == 0
    assert len(caplog.records) == 1 and "metrics are off" in caplog.records[0].message
    assert statsd.drain() == []


def test_an_address_that_does_not_resolve_is_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MLOPS_METRICS", "statsd")
    monkeypatch.setenv("MLOPS_STATSD_HOST", "no-such-statsd.invalid")
    with caplog.at_level(logging.WARNING, logger="airflow_champion.telemetry"):
        for _ in range(3):
            assert emitter.send([(names.VALIDATION_PASSED, 1, {"model": "churn"})]) == 0
    assert len(caplog.records) == 1
    assert "no-such-statsd.invalid:8125" in caplog.records[0].message


def test_a_collector_that_is_down_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLOPS_METRICS", "statsd")
    monkeypatch.setenv("MLOPS_STATSD_HOST", "127.0.0.1")
    monkeypatch.setenv("MLOPS_STATSD_PORT", str(port))
    for _ in range(3):  # Linux reports the ICMP "port unreachable" of an unconnected UDP socket to no one
        assert emitter.send([(names.VALIDATION_PASSED, 1, {"model": "churn"})]) == 1


def test_every_metric_has_a_kind_and_tags_that_start_with_the_model() -> None:
    for metric in names.METRICS.values():
        assert metric.name.startswith("mlops.") and metric.kind in {"counter", "gauge", "timer"}
        assert metric.tags[0] == "model" and len(set(metric.tags)) == len(metric.tags)
        assert emitter.stat_name(metric.name, {}) == metric.name + "".join(f",{t}=none" for t in metric.tags)
