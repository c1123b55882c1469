"""What is the config's fault is not blamed on a snapshot: a positive_label the data does not use is
a ConfigError naming data.positive_label (the snapshot is not quarantined), and a validation.suite
that escapes the suite folder (absolute, `..`, a symlink out) is a ConfigError naming path and root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow_champion.config import ModelConfig, ValidationSpec
from airflow_champion.data import snapshots
from airflow_champion.errors import ConfigError, ValidationFailedError
from airflow_champion.validation.gate import validate_snapshot
from airflow_champion.validation.suite_file import suite_path
from airflow_champion_demo.datagen import generate

pytestmark = pytest.mark.unit


def _positive(cfg: ModelConfig, label: Any) -> ModelConfig:
    return cfg.model_copy(update={"data": cfg.data.model_copy(update={"positive_label": label})})


@pytest.mark.parametrize(
    ("label", "recode"),
    [("yes", None), (1, {0: "no", 1: "yes"})],
    ids=["text label on 0/1 data", "1 on yes/no data"],
)
def test_a_positive_label_absent_from_the_data_is_the_configs_fault(
    mlops_home: Path, churn_cfg: ModelConfig, label: Any, recode: dict[int, str] | None
) -> None:
    cfg = _positive(churn_cfg, label)
    df = generate("churn", 600, 1)
    if recode:
        df["churned"] = df["churned"].map(recode)
    snapshots.write_snapshot(cfg.snapshot_root(), "s1", df)
    with pytest.raises(ConfigError) as info:
        validate_snapshot(cfg, "s1")
    message = str(info.value)
    assert f"data.positive_label {label!r} of model 'churn' is not among the values" in message
    assert "target column 'churned'" in message and "not quarantined" in message
    assert not snapshots.is_quarantined(cfg.snapshot_root(), "s1")


def test_a_snapshot_with_one_class_is_still_the_snapshots_fault(
    mlops_home: Path, churn_cfg: ModelConfig
) -> None:
    df = generate("churn", 600, 1).assign(churned=0)  # no positives at all: bad data, not a bad label
    snapshots.write_snapshot(churn_cfg.snapshot_root(), "s1", df)
    with pytest.raises(ValidationFailedError):
        validate_snapshot(churn_cfg, "s1")
    assert snapshots.is_quarantined(churn_cfg.snapshot_root(), "s1")


def _suite(cfg: ModelConfig, suite: str) -> ModelConfig:
    return cfg.model_copy(update={"validation": ValidationSpec(suite=suite)})


@pytest.mark.parametrize("suite", ["/etc/passwd", "../../../../etc/passwd", "../churn.yaml"])
def test_a_suite_outside_the_suite_folder_is_refused(
    churn_cfg: ModelConfig, suites: Path, suite: str
) -> None:
    with pytest.raises(ConfigError, match=rf"validation.suite '{suite}' resolves to .*outside {suites}"):
        suite_path(_suite(churn_cfg, suite))


def test_a_symlink_out_of_the_suite_folder_is_refused(
    churn_cfg: ModelConfig, suites: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text("expectations: []\n")
    (suites / "link.yaml").symlink_to(outside)
    with pytest.raises(ConfigError, match=rf"'link.yaml' resolves to {outside}, outside {suites}"):
        suite_path(_suite(churn_cfg, "link.yaml"))
    (suites / "inside.yaml").write_text("expectations: []\n")
    (suites / "sub").mkdir()
    (suites / "sub" / "ok.yaml").symlink_to(suites / "inside.yaml")  # a link that stays inside is fine
    assert suite_path(_suite(churn_cfg, "sub/ok.yaml")) == suites / "sub" / "ok.yaml"
    assert suite_path(_suite(churn_cfg, "churn.yaml")).name == "churn.yaml"  # the shipped fallback
