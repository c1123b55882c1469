"""`mlops init`: a user's own file becomes a config that loads, with the types, ranges, labels and task
the data implies, every guess said, and a suite file the pipeline finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from airflow_champion.config import load_config
from airflow_champion.errors import ConfigError
from airflow_champion.pipeline import cli, infer
from airflow_champion.pipeline.init_model import init_model
from airflow_champion.validation.suite import load_suite_file
from airflow_champion.validation.suite_file import suite_path
from airflow_champion_demo import datagen

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def cfg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlops_home: Path) -> Path:
    folder = tmp_path / "configs"
    monkeypatch.setenv("MLOPS_CONFIG_DIR", str(folder))
    return folder


def _churn_csv(tmp_path: Path, rows: int = 1500) -> tuple[Path, pd.DataFrame]:
    df = datagen.generate("churn", rows=rows, seed=3)
    df.insert(0, "customer_id", [f"C{i:06d}" for i in range(len(df))])
    path = tmp_path / "customers.csv"
    df.to_csv(path, index=False)
    return path, df


def _features(cfg: Any) -> dict[str, Any]:
    return {f.name: f for f in cfg.data.features}


def test_a_churn_csv_becomes_a_binary_config_with_its_types_ranges_and_categories(
    cfg_dir: Path, tmp_path: Path
) -> None:
    path, df = _churn_csv(tmp_path)
    result = init_model("customers", path, target="churned")
    cfg = load_config("customers")
    assert result.config_path == str(cfg_dir / "customers.yaml") and cfg.task == "binary"
    assert cfg.data.positive_label == 1 and cfg.metric.name == "roc_auc"
    assert cfg.estimator.class_path == "sklearn.ensemble.HistGradientBoostingClassifier"
    assert cfg.holdout.policy == "random" and cfg.validation.suite == "customers.yaml"
    feats = _features(cfg)
    for name in ("tenure_months", "monthly_charges", "age"):
        lo, hi, span = df[name].min(), df[name].max(), df[name].max() - df[name].min()
        assert feats[name].type == "numeric"
        assert feats[name].min <= lo and feats[name].max >= hi + 0.1 * span - 1e-9  # widened, said so
        assert feats[name].min >= min(0, lo - 0.2 * span)  # not beyond 0 for a non-negative column
    for name in ("contract_type", "plan_tier", "has_autopay"):
        assert feats[name].type == "categorical"
        assert feats[name].allowed_values == sorted(df[name].dropna().astype(str).unique())
    assert "churned" not in feats
    assert "customer_id" not in feats and "an id" in result.left_out["customer_id"]
    assert any("guessed task binary" in n and "positive_label 1" in n for n in result.notes)
    assert suite_path(cfg) == cfg_dir / "expectations" / "customers.yaml"
    assert load_suite_file(cfg) == []


def test_the_written_yaml_reads_like_the_shipped_configs(cfg_dir: Path, tmp_path: Path) -> None:
    path, _ = _churn_csv(tmp_path)
    init_model("customers", path, target="churned")
    text = (cfg_dir / "customers.yaml").read_text()
    ours = list(yaml.safe_load(text))
    shipped = [k for k in yaml.safe_load((REPO / "include/configs/churn.yaml").read_text()) if k in ours]
    assert [k for k in ours if k in shipped] == shipped  # the shipped key order
    assert "# guessed task binary" in text and "widened by 10%" in text and "customer_id: a different" in text
    assert "a constant model" in text  # the floor says why
    suite = (cfg_dir / "expectations" / "customers.yaml").read_text()
    assert yaml.safe_load(suite) == {"expectations": []} and "#   - expectation: expect_column_mean" in suite


def test_the_floor_is_above_what_a_constant_model_scores(cfg_dir: Path, tmp_path: Path) -> None:
    path, _ = _churn_csv(tmp_path)
    init_model("customers", path, target="churned")
    assert 0.5 < load_config("customers").promotion.floor < 0.6  # ROC AUC of a constant model: 0.5


def test_a_month_of_real_flights_with_a_time_column(cfg_dir: Path, tmp_path: Path) -> None:
    from tests.real_data import flights

    month = flights.monthly(fraction=0.2, seed=0)["2013-03"]
    path = tmp_path / "flights-2013-03.csv"
    month.to_csv(path, index=False)
    result = init_model("flights", path, target="late", time_column="time_hour")
    cfg = load_config("flights")
    feats = _features(cfg)
    assert cfg.task == "binary" and cfg.holdout.policy == "time" and cfg.holdout.time_column == "time_hour"
    assert feats["origin"].allowed_values == ["EWR", "JFK", "LGA"]
    assert feats["dest"].type == "categorical" and feats["dest"].allowed_values is None  # > 50 values
    assert any("dest:" in n and "without allowed_values" in n for n in result.notes)
    assert feats["distance"].type == "numeric" and feats["distance"].max >= month["distance"].max()
    assert "time_hour" not in feats
    assert "arr_delay" not in feats and "reproduces late" in result.left_out["arr_delay"]  # late = delay > 15
    assert "dates or times" in result.left_out["day"] and "same value" in result.left_out["month_id"]


def test_a_diabetes_csv_becomes_a_regression_with_a_target_range_and_group_holdout(
    cfg_dir: Path, tmp_path: Path
) -> None:
    df = datagen.generate("diabetes", rows=300, seed=4)
    path = tmp_path / "progression.csv"
    df.to_csv(path, index=False)
    result = init_model("progression", path, target="target", group_column="patient_id")
    cfg = load_config("progression")
    assert cfg.task == "regression" and "guessed task regression" in result.notes[0]
    assert cfg.metric.name == "rmse" and cfg.estimator.class_path.endswith("HistGradientBoostingRegressor")
    assert cfg.data.target_min <= df["target"].min() and cfg.data.target_max >= df["target"].max()
    assert cfg.holdout.policy == "group" and "patient_id" not in _features(cfg)
    assert cfg.promotion.floor < float(np.std(df["target"]))  # a constant model's RMSE is the std
    assert cfg.promotion.floor > 0.8 * float(np.std(df["target"]))


def test_a_parquet_file_with_few_classes_becomes_multiclass_with_its_labels(
    cfg_dir: Path, tmp_path: Path
) -> None:
    df = datagen.generate("wine", rows=240, seed=2)
    path = tmp_path / "cellar.parquet"
    df.to_parquet(path, index=False)
    init_model("cellar", path, target="target", group_column="wine_id")
    cfg = load_config("cellar")
    shares = df["target"].value_counts(normalize=True).to_numpy()
    assert cfg.task == "multiclass" and cfg.data.labels == [0, 1, 2] and cfg.metric.name == "log_loss"
    assert cfg.promotion.floor < float(-(shares * np.log(shares)).sum())  # a constant model's log loss


def test_an_existing_config_is_refused_unless_forced_and_its_suite_is_kept(
    cfg_dir: Path, tmp_path: Path
) -> None:
    path, _ = _churn_csv(tmp_path)
    init_model("customers", path, target="churned")
    suite = cfg_dir / "expectations" / "customers.yaml"
    suite.write_text("# mine\nexpectations: []\n")
    before = (cfg_dir / "customers.yaml").read_text()
    with pytest.raises(ConfigError, match="exists; pass --force"):
        init_model("customers", path, target="churned", metric="log_loss")
    assert (cfg_dir / "customers.yaml").read_text() == before
    result = init_model("customers", path, target="churned", metric="log_loss", force=True)
    assert load_config("customers").metric.name == "log_loss"
    assert not result.suite_written and suite.read_text() == "# mine\nexpectations: []\n"


def test_the_cli_prints_the_guesses_and_the_next_three_commands(
    cfg_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _churn_csv(tmp_path)
    argv = ["init", "customers", "--from", str(path), "--target", "churned"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "customer_id: a different value" in out and "guessed task binary" in out
    nxt = out.split("Next:")[1].strip().splitlines()
    assert [line.split()[2] for line in nxt] == ["snapshot", "run", "status"]  # after MLOPS_CONFIG_DIR=...
    assert cli.main(argv) == cli.EXIT_GATE
    assert "exists; pass --force" in capsys.readouterr().err


def test_bad_arguments_are_named(cfg_dir: Path, tmp_path: Path) -> None:
    path, _ = _churn_csv(tmp_path, rows=200)
    with pytest.raises(ConfigError, match="'churn' is not a column of the file \\(did you mean 'churned'"):
        init_model("customers", path, target="churn")
    with pytest.raises(ConfigError, match="task binary needs a target with two values"):
        init_model("customers", path, target="plan_tier", task="binary")
    with pytest.raises(ConfigError, match="not times"):
        init_model("customers", path, target="churned", time_column="region")
    assert not (cfg_dir / "customers.yaml").exists()


@pytest.mark.parametrize(
    ("lo", "hi", "whole", "expected"),
    [
        (0, 72, True, (0, 80)),
        (18.3, 118.7, False, (0, 130)),
        (0.012, 0.05, False, (0.008, 0.054)),
        (-10, 35, True, (-15, 40)),
        (1, 8, True, (0, 9)),
    ],
)
def test_ranges_are_widened_by_a_tenth_and_rounded_outward(
    lo: float, hi: float, whole: bool, expected: tuple[float, float]
) -> None:
    assert infer.widened_range(lo, hi, whole=whole) == expected


def test_the_positive_label_is_the_positive_word_else_the_rarer_class() -> None:
    assert infer.guess_target(pd.Series(["no", "yes", "no"]), "t").positive_label == "yes"
    assert infer.guess_target(pd.Series(["ok"] * 9 + ["fraud"]), "t").positive_label == "fraud"
    assert infer.guess_target(pd.Series([True, False, False]), "t").positive_label is True
    with pytest.raises(ConfigError, match="too many to be classes"):
        infer.guess_target(pd.Series([f"v{i}" for i in range(100)]), "t")
    with pytest.raises(ConfigError, match="nothing to learn"):
        infer.guess_target(pd.Series([1, 1, 1]), "t")


@pytest.mark.parametrize("which", ["churn", "flights"])
def test_the_file_passes_the_validation_of_the_config_written_from_it(
    cfg_dir: Path, tmp_path: Path, which: str
) -> None:
    from airflow_champion.data.importing import import_snapshot
    from airflow_champion.pipeline import steps

    if which == "churn":
        path, _ = _churn_csv(tmp_path)
        init_model("mine", path, target="churned")
    else:
        from tests.real_data import flights

        path = tmp_path / "flights.csv"
        flights.monthly(fraction=0.2, seed=0)["2013-03"].to_csv(path, index=False)
        init_model("mine", path, target="late", time_column="time_hour")
    import_snapshot(load_config("mine"), path, snapshot_id="2026-11-02")
    result = steps.validate("mine", "2026-11-02")
    assert result["snapshot_id"] == "2026-11-02" and result["sha256"]
