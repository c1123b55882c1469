"""Each task's target checks: binary (two labels), multiclass (declared labels, rows per class),
regression (numeric, finite, within range); plus repeated rows and the holdout policy's column."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from airflow_champion.config import load_config
from airflow_champion.validation.validate import validate_dataframe
from airflow_champion_demo.datagen import generate

pytestmark = pytest.mark.unit


def _failures(cfg: Any, df: Any) -> list[str]:
    return [f["message"] for f in validate_dataframe(cfg, df, "t").failures]


def test_generated_regression_and_multiclass_snapshots_pass() -> None:
    for model in ("diabetes", "wine"):
        assert _failures(load_config(model), generate(model, 600, 1)) == [], model


def test_a_multiclass_target_outside_its_labels_or_with_a_thin_class_fails() -> None:
    cfg = load_config("wine")
    df = generate("wine", 600, 1)
    df.loc[:4, "target"] = 7
    assert any("not one of the labels [0, 1, 2]" in m for m in _failures(cfg, df))
    thin = generate("wine", 600, 1)
    thin = thin[(thin["target"] != 2) | (thin.index < 30)]
    keep = thin[thin["target"] == 2].index[:3]
    thin = thin[(thin["target"] != 2) | thin.index.isin(keep)]
    assert any("classes with fewer than 10 rows: '2': 3" in m for m in _failures(cfg, thin))


def test_a_regression_target_must_be_numeric_finite_and_in_range() -> None:
    cfg = load_config("diabetes")
    df = generate("diabetes", 600, 1)
    df.loc[0, "target"] = np.inf
    df.loc[1, "target"] = 900.0
    messages = _failures(cfg, df)
    assert any("column 'target'" in m and "infinite" in m for m in messages)
    assert any("column 'target'" in m and "outside [0, 400]" in m for m in messages)
    text = generate("diabetes", 600, 1).assign(target=lambda d: d["target"].astype(str) + " units")
    assert any("column 'target' has dtype object, expected numeric" in m for m in _failures(cfg, text))


def test_a_binary_config_on_a_three_class_target_says_to_use_multiclass() -> None:
    cfg = load_config("breast_cancer")
    df = generate("breast_cancer", 600, 1)
    df.loc[:40, "target"] = 2
    assert any(
        "a binary target has exactly two (for more classes set task: multiclass" in m
        for m in _failures(cfg, df)
    )


def test_repeated_rows_above_the_limit_fail_validation() -> None:
    import pandas as pd

    cfg = load_config("churn")
    df = generate("churn", 800, 1)
    messages = _failures(cfg, pd.concat([df, df]))  # every row twice
    assert any(
        "50% of the 1600 rows repeat another row" in m and "max_duplicate_share 30%" in m for m in messages
    )
    assert not any("repeat another row" in m for m in _failures(cfg, df))


def test_the_holdout_policy_column_must_be_present() -> None:
    from airflow_champion_demo.deliveries import generate_events

    cfg = load_config("deliveries")
    df = generate_events(5, rows_per_day=120)
    assert _failures(cfg, df) == []
    assert "column 'event_time' is missing" in _failures(cfg, df.drop(columns=["event_time"]))
