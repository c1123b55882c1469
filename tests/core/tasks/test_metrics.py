"""The metric registry: every entry's bootstrap statistic equals scikit-learn on resampled rows, and
a config can only name a metric of its task (direction from the registry)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from airflow_champion.tasks import get_task
from airflow_champion.tasks.metrics import REGISTRY

pytestmark = pytest.mark.unit

ENTRIES = [(task, name) for task, metrics in REGISTRY.items() for name in sorted(metrics)]


def _data(task: str, n: int = 500, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if task == "binary":
        y = (rng.random(n) < 0.35).astype(int)
        p = np.clip(0.35 + 0.4 * (y - 0.35) + rng.normal(0, 0.2, n), 0.001, 0.999).round(2)  # ties
        return y, p
    raise AssertionError(task)


@pytest.mark.parametrize(("task", "name"), ENTRIES)
def test_weighted_statistic_equals_scikit_learn_on_resampled_rows(task: str, name: str) -> None:
    metric = REGISTRY[task][name]
    y, p = _data(task)
    stat = metric.weighted(y.astype(float), p)
    rng = np.random.default_rng(7)
    for _ in range(3):
        idx = rng.integers(0, y.size, y.size)
        w = np.bincount(idx, minlength=y.size).astype(float)[None, :]
        assert stat(w)[0] == pytest.approx(metric.score(y[idx], p[idx]), abs=1e-9), name
    assert stat(np.ones((1, y.size)))[0] == pytest.approx(metric.score(y, p), abs=1e-9)


@pytest.mark.parametrize(("task", "name"), ENTRIES)
def test_entry_is_consistent(task: str, name: str) -> None:
    metric = REGISTRY[task][name]
    assert metric.name == name and metric.task == task
    assert metric.perfect is None or metric.in_range(metric.perfect)
    assert metric.description
    assert metric.oriented(0.9, 0.8) == pytest.approx(0.1 if metric.greater_is_better else -0.1)
    assert get_task(task).metric(name) is metric


def test_config_metric_must_belong_to_the_task(churn_cfg: Any) -> None:
    from airflow_champion.config import parse_config
    from airflow_champion.errors import ConfigError

    raw = churn_cfg.model_dump(mode="json", by_alias=True)
    raw["metric"] = {"name": "rmse"}
    with pytest.raises(ConfigError, match="not a binary metric"):
        parse_config(raw)
    raw["metric"] = {"name": "log_loss", "direction": "maximize"}
    with pytest.raises(ConfigError, match="must be minimized"):
        parse_config(raw)
    raw["metric"] = {"name": "log_loss"}
    assert parse_config(raw).metric.direction == "minimize"
