"""Configs: errors that name the file and the field, the task/metric registry, cheap to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from airflow_champion.config import load_config, parse_config
from airflow_champion.errors import ConfigError

pytestmark = pytest.mark.unit


def _raw(cfg: Any) -> dict[str, Any]:
    return cfg.model_dump(mode="json", by_alias=True)  # type: ignore[no-any-return]


def test_an_unknown_key_names_the_field_and_suggests_the_closest(churn_cfg: Any) -> None:
    raw = _raw(churn_cfg)
    raw["estimator"]["clas"] = raw["estimator"].pop("class")
    with pytest.raises(ConfigError, match=r"estimator.clas: unknown key \(did you mean 'class'\?\)"):
        parse_config(raw, "churn.yaml")


def test_the_old_task_name_still_loads_and_an_unknown_one_is_named(churn_cfg: Any) -> None:
    raw = _raw(churn_cfg)
    raw["task"] = "binary_classification"
    assert parse_config(raw).task == "binary"
    raw["task"] = "ranking"
    with pytest.raises(ConfigError, match="unknown task 'ranking'"):
        parse_config(raw)


def test_the_file_name_must_be_the_model_name(churn_cfg: Any, tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(_raw(churn_cfg)))
    with pytest.raises(ConfigError, match="must equal the file name 'other'"):
        load_config(path)


def test_the_estimator_must_fit_the_task(churn_cfg: Any) -> None:
    from airflow_champion.config.checks import check_estimator_importable

    raw = _raw(churn_cfg)
    raw["estimator"] = {"class": "sklearn.linear_model.Ridge", "params": {}}
    with pytest.raises(ConfigError, match="is not a classifier"):
        check_estimator_importable(parse_config(raw))
    raw["estimator"] = {"class": "sklearn.linear_model.LogisticRegresion", "params": {}}
    with pytest.raises(ConfigError, match="did you mean 'LogisticRegression'"):
        check_estimator_importable(parse_config(raw))


def test_loading_a_config_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom airflow_champion.config import load_config\nload_config('churn')\n"
        "heavy = {'pandas', 'numpy', 'sklearn', 'mlflow', 'great_expectations', 'evidently', 'boto3'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"task": "multiclass", "metric": {"name": "log_loss", "direction": None}},
            "task 'multiclass' needs data.labels",
        ),
        ({"data": {"labels": [0, 1, 2]}}, "data.labels applies to task 'multiclass', not 'binary'"),
        ({"data": {"target_min": 0}}, "target_min/target_max apply to task 'regression'"),
        ({"holdout": {"policy": "time"}}, "policy 'time' needs time_column"),
        ({"holdout": {"policy": "group"}}, "policy 'group' needs group_column"),
        ({"holdout": {"cutoff": "2026-01-01"}}, "cutoff applies to policy 'time' only"),
        ({"holdout": {"policy": "time", "time_column": "tenure_months"}}, "is a feature"),
        ({"promotion": {"bootstrap_unit": "day"}}, "bootstrap_unit 'day' needs holdout.time_column"),
        ({"task": "regression"}, "not a regression metric"),
    ],
)
def test_task_and_holdout_settings_that_cannot_work_are_named(
    churn_cfg: Any, change: dict, message: str
) -> None:
    raw = _raw(churn_cfg)
    for key, value in change.items():
        raw[key] = (
            {**raw[key], **value} if isinstance(value, dict) and isinstance(raw.get(key), dict) else value
        )
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config(raw)


def test_overrides_replace_sections_and_are_validated(churn_cfg: Any) -> None:
    from airflow_champion.config.loading import with_overrides

    tried = with_overrides(churn_cfg, {"promotion": {"min_abs_gain": 0.02}, "holdout": {"fraction": 0.3}})
    assert tried.promotion.min_abs_gain == 0.02 and tried.promotion.floor == churn_cfg.promotion.floor
    assert tried.holdout.fraction == 0.3 and tried.config_hash != churn_cfg.config_hash
    with pytest.raises(ConfigError, match="cannot override"):
        with_overrides(churn_cfg, {"snapshots": {"root": "/etc"}})
    with pytest.raises(ConfigError, match="did you mean 'policy'"):
        with_overrides(churn_cfg, {"holdout": {"polcy": "time"}})
