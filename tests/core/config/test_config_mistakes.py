"""Config mistakes are caught when the config is loaded or checked, before any data is read: a cron
no scheduler can run, a floor a model cannot score or that a guess passes, estimator params
scikit-learn refuses, a positive_label outside the declared labels."""

from __future__ import annotations

import re
from typing import Any

import pytest
from airflow_champion.config import parse_config
from airflow_champion.config.checks import check_before_data, floor_problems
from airflow_champion.errors import ConfigError

pytestmark = pytest.mark.unit


def _raw(cfg: Any) -> dict[str, Any]:
    return cfg.model_dump(mode="json", by_alias=True)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("expr", "field"),
    [
        ("99 99 99 99 99", "minute"),
        ("0 99 * * *", "hour"),
        ("0 3 32 * *", "day-of-month"),
        ("0 3 * 13 *", "month"),
        ("0 3 * * 8", "day-of-week"),
        ("0 3 * * FUNDAY", "day-of-week"),
    ],
)
def test_a_cron_field_out_of_range_is_refused_naming_the_field(churn_cfg: Any, expr: str, field: str) -> None:
    raw = _raw(churn_cfg) | {"schedule": expr}
    with pytest.raises(ConfigError, match=rf"schedule: .*{re.escape(repr(expr))}.*the {field} field"):
        parse_config(raw, "churn.yaml")
    raw = _raw(churn_cfg)
    raw["drift"]["schedule"] = expr
    with pytest.raises(ConfigError, match=rf"drift.schedule: .*the {field} field"):
        parse_config(raw, "churn.yaml")


@pytest.mark.parametrize(
    "expr",
    ["@daily", "@weekly", "@hourly", "@monthly", "@quarterly", "@yearly", "*/15 * * * *", "0 3 * * MON-FRI"],
)
def test_presets_and_valid_crons_still_load(churn_cfg: Any, expr: str) -> None:
    assert parse_config(_raw(churn_cfg) | {"schedule": expr}).schedule == expr


def test_a_floor_outside_the_range_or_below_chance_is_refused() -> None:
    (below_range,) = floor_problems("binary", "roc_auc", -5)
    assert "outside the range of roc_auc [0, 1]" in below_range
    (below_chance,) = floor_problems("binary", "roc_auc", 0.05)
    assert "below roc_auc's chance level 0.5" in below_chance
    (worse_than_guessing,) = floor_problems("binary", "brier", 0.3)  # lower is better: a ceiling
    assert "above brier's chance level 0.25" in worse_than_guessing
    (multiclass,) = floor_problems("multiclass", "log_loss", 1.2, classes=3)  # ln 3 = 1.0986
    assert "above log_loss's chance level 1.099" in multiclass
    assert floor_problems("binary", "roc_auc", 0.7) == []
    assert floor_problems("multiclass", "log_loss", 0.6, classes=3) == []
    assert floor_problems("regression", "r2", -0.1) != []
    assert floor_problems("regression", "rmse", 75) == []  # no chance level without the data


def test_the_claim_gate_refuses_a_bad_floor_or_bad_params_before_reading_data(churn_cfg: Any) -> None:
    raw = _raw(churn_cfg)
    raw["promotion"]["floor"] = -5
    with pytest.raises(ConfigError, match=r"churn: promotion.floor -5 is outside the range of roc_auc"):
        check_before_data(parse_config(raw))
    raw = _raw(churn_cfg)
    raw["estimator"]["params"]["learning_rate"] = -1
    with pytest.raises(ConfigError, match=r"'learning_rate' parameter .* must be a float in the range"):
        check_before_data(parse_config(raw))


def test_a_positive_label_outside_the_declared_labels_is_refused_at_load(churn_cfg: Any) -> None:
    raw = _raw(churn_cfg) | {"task": "multiclass", "metric": {"name": "log_loss"}}
    raw["promotion"]["floor"] = 0.9
    raw["data"] |= {"labels": ["stay", "leave", "pause"], "positive_label": "churned"}
    with pytest.raises(ConfigError, match=r"data.positive_label 'churned' is not one of data.labels"):
        parse_config(raw)
    raw["data"].pop("positive_label")
    assert parse_config(raw).data.labels == ["stay", "leave", "pause"]
