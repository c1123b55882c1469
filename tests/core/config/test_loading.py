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
