"""Airflow on the embedded default (tests.airflow_support sets the environment before Airflow loads)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.airflow_support import airflow_db  # noqa: F401
from tests.statsd_support import StatsdListener, statsd_listener


@pytest.fixture(scope="module")
def metrics_listener() -> Iterator[StatsdListener]:
    """A StatsD listener on loopback that the module's DAG runs send their metrics to (a scenario
    fixture that depends on it turns metrics on for its runs, at no extra run)."""
    mp = pytest.MonkeyPatch()
    with statsd_listener() as listener:
        mp.delenv("MLOPS_STATSD_PREFIX", raising=False)
        for key, value in listener.env().items():
            mp.setenv(key, value)
        try:
            yield listener
        finally:
            mp.undo()
