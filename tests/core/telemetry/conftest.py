"""A real UDP listener on loopback for each test, and the environment that points metrics at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.statsd_support import StatsdListener, statsd_listener

METRIC_VARS = (
    "MLOPS_METRICS",
    "MLOPS_STATSD_HOST",
    "MLOPS_STATSD_PORT",
    "MLOPS_STATSD_PREFIX",
    "AIRFLOW__METRICS__STATSD_HOST",
    "AIRFLOW__METRICS__STATSD_PORT",
)


@pytest.fixture(autouse=True)
def no_metrics_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with metrics off, whatever the shell that runs the tests exports."""
    for var in METRIC_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def statsd(monkeypatch: pytest.MonkeyPatch) -> Iterator[StatsdListener]:
    with statsd_listener() as listener:
        for key, value in listener.env().items():
            monkeypatch.setenv(key, value)
        yield listener


@pytest.fixture(autouse=True)
def fresh_log_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`log_once` remembers per process; each test sees its own first warning."""
    from airflow_champion.telemetry import config

    monkeypatch.setattr(config, "_logged", set())
