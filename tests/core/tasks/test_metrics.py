"""The metric registry: every entry's bootstrap statistic equals scikit-learn on resampled rows, and
a config can only name a metric of its task (direction from the registry)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from airflow_champion.tasks import REGISTRY, get_task

pytestmark = pytest.mark.unit

ENTRIES = [(task, name) for task, metrics in REGISTRY.items() for name in sorted(metrics)]


def _data(task: str, n: int = 500, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if task == "binary":
        y = (rng.random(n) < 0.35).astype(int)
        p = np.clip(0.35 + 0.4 * (y - 0.35) + rng.normal(0, 0.2, n), 0.001, 0.999).round(2)  # ties
        return y, p
    if task == "multiclass":
        y = rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])
        logits = rng.normal(0, 1, (n, 4))
        logits[np.arange(n), y] += 1.5
        P = np.exp(logits.round(1))  # rounded: tied scores inside a class
        return y, P / P.sum(axis=1, keepdims=True)
    if task == "regression":
        y = rng.gamma(2.0, 3.0, n).round(1)  # > 0 and with ties, as counts and prices are
        return y, np.clip(y + rng.normal(0, 2, n), 0.1, None)
    raise AssertionError(task)


@pytest.mark.parametrize(("task", "name"), ENTRIES)
def test_weighted_statistic_equals_scikit_learn_on_resampled_rows(task: str, name: str) -> None:
    metric = REGISTRY[task][name]
    y, p = _data(task)
    stat = metric.weighted(y.astype(float) if task == "regression" else y, p)
    rng = np.random.default_rng(7)
    for _ in range(3):
        idx = rng.integers(0, y.size, y.size)
        w = np.bincount(idx, minlength=y.size).astype(float)[None, :]
        assert stat(w)[0] == pytest.approx(metric.score(y[idx], p[idx]), rel=1e-9, abs=1e-9), name
    assert stat(np.ones((1, y.size)))[0] == pytest.approx(metric.score(y, p), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(("task", "name"), ENTRIES)
def test_entry_is_consistent(task: str, name: str) -> None:
    metric = REGISTRY[task][name]
    assert metric.name == name and metric.task == task
    assert metric.perfect is None or metric.in_range(metric.perfect)
    assert metric.description
    assert metric.oriented(0.9, 0.8) == pytest.approx(0.1 if metric.greater_is_better else -0.1)
    assert get_task(task).metric(name) is metric
    y, p = _data(task)
    assert metric.in_range(metric.score(y, p))


def test_each_task_names_its_default_metric_and_the_required_ones() -> None:
    assert {n for n in REGISTRY["regression"]} >= {"rmse", "mae", "r2", "mape", "poisson_deviance"}
    assert {n for n in REGISTRY["multiclass"]} >= {
        "log_loss",
        "accuracy",
        "balanced_accuracy",
        "f1_macro",
        "f1_weighted",
        "roc_auc_ovr",
    }
    for task in REGISTRY:
        assert get_task(task).default_metric in REGISTRY[task]


def test_undefined_resamples_are_nan_not_wrong() -> None:
    auc = REGISTRY["multiclass"]["roc_auc_ovr"]
    y = np.array([0, 1, 2, 0, 1, 2])
    P = np.full((6, 3), 1 / 3)
    w = np.array([[2.0, 2, 0, 2, 0, 0]])  # class 2 never drawn
    assert np.isnan(auc.weighted(y, P)(w)[0])
    r2 = REGISTRY["regression"]["r2"]
    assert np.isnan(r2.weighted(np.array([1.0, 1, 2]), np.array([1.0, 1, 2]))(np.array([[2.0, 1, 0]]))[0])


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
