"""The generators are the demo's ground truth: deterministic, schema-true, and each knob does one thing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from airflow_champion.config import ModelConfig
from airflow_champion.errors import ConfigError, SnapshotError
from airflow_champion_demo import breast_cancer as bc_gen
from airflow_champion_demo import churn as churn_gen
from airflow_champion_demo import datagen

pytestmark = pytest.mark.unit

ROWS = 4000


def config_defects(cfg: ModelConfig, df: pd.DataFrame) -> list[str]:
    """A minimal stand-in for the config-derived suite: what a corruption must trip."""
    defects = []
    target = cfg.data.target
    for f in cfg.data.features:
        if f.name not in df.columns:
            defects.append(f"missing:{f.name}")
            continue
        col = df[f.name]
        if not f.nullable and col.isna().any():
            defects.append(f"nulls:{f.name}")
        if f.type == "numeric":
            if not pd.api.types.is_numeric_dtype(col):
                defects.append(f"dtype:{f.name}")
                continue
            if f.min is not None and (col < f.min).any():
                defects.append(f"below_min:{f.name}")
            if f.max is not None and (col > f.max).any():
                defects.append(f"above_max:{f.name}")
        elif f.allowed_values is not None and not col.dropna().isin(f.allowed_values).all():
            defects.append(f"unknown_value:{f.name}")
    if target not in df.columns or df[target].nunique() < 2:
        defects.append("single_class")
    return defects


@pytest.fixture(scope="module")
def churn_clean() -> pd.DataFrame:
    return datagen.generate_churn(ROWS, seed=7)


def test_churn_is_deterministic_per_seed(churn_clean: pd.DataFrame) -> None:
    again = datagen.generate_churn(ROWS, seed=7)
    pd.testing.assert_frame_equal(churn_clean, again)
    other = datagen.generate_churn(ROWS, seed=8)
    assert not other["tenure_months"].equals(churn_clean["tenure_months"])


def test_churn_matches_config_schema(churn_cfg: ModelConfig, churn_clean: pd.DataFrame) -> None:
    assert list(churn_clean.columns) == [*churn_cfg.data.feature_names, churn_cfg.data.target]
    for f in churn_cfg.data.features:
        col = churn_clean[f.name]
        if f.type == "numeric":
            assert col.dtype == np.float64, f.name
        else:
            assert col.dtype == object, f.name
            assert set(col.dropna()) == set(f.allowed_values or []), f.name
    assert churn_clean["churned"].dtype == np.int64
    assert config_defects(churn_cfg, churn_clean) == []


def test_churn_balance_nulls_and_charges(churn_clean: pd.DataFrame) -> None:
    assert 0.2 <= churn_clean["churned"].mean() <= 0.35
    assert churn_clean["contract_type"].notna().all()
    assert churn_clean["plan_tier"].notna().all()
    for col, rate in churn_gen.CHURN_NULL_RATES.items():
        assert 0 < churn_clean[col].isna().mean() < 3 * rate, col
    both = churn_clean.dropna(subset=["total_charges"])
    ratio = both["total_charges"] / (both["tenure_months"].clip(lower=1) * both["monthly_charges"])
    assert ratio[both["tenure_months"] > 0].between(0.89, 1.06).all()


def test_churn_label_has_signal(churn_clean: pd.DataFrame) -> None:
    """Month-to-month and long-inactive customers churn far more: the model has something to learn."""
    rate = churn_clean.groupby("contract_type")["churned"].mean()
    assert rate["month-to-month"] > 2 * rate["two-year"]
    inactive = churn_clean["days_since_last_login"] > 30
    assert churn_clean.loc[inactive, "churned"].mean() > churn_clean.loc[~inactive, "churned"].mean() + 0.3


def test_label_noise_keeps_x_and_prevalence_but_changes_labels(churn_clean: pd.DataFrame) -> None:
    noisy = datagen.generate_churn(ROWS, seed=7, label_noise=0.3)
    features = [c for c in churn_clean.columns if c != "churned"]
    pd.testing.assert_frame_equal(noisy[features], churn_clean[features])
    changed = (noisy["churned"] != churn_clean["churned"]).mean()
    assert 0.05 < changed < 0.2  # a share p of labels is redrawn at the base rate
    assert abs(noisy["churned"].mean() - churn_clean["churned"].mean()) < 0.03


def test_mild_drift_moves_two_features_a_little(churn_clean: pd.DataFrame) -> None:
    mild = datagen.generate_churn(ROWS, seed=7, drift="mild")
    sd = churn_clean["monthly_charges"].std()
    shift = (mild["monthly_charges"].mean() - churn_clean["monthly_charges"].mean()) / sd
    assert 0.15 < shift < 0.4
    pd.testing.assert_series_equal(mild["age"], churn_clean["age"])
    pd.testing.assert_series_equal(mild["contract_type"], churn_clean["contract_type"])


@pytest.mark.parametrize("drift", ["covariate", "strong"])
def test_strong_covariate_drift_shifts_half_the_numeric_features(
    churn_cfg: ModelConfig, churn_clean: pd.DataFrame, drift: str
) -> None:
    cur = datagen.generate_churn(ROWS, seed=7, drift=drift)
    shifts = {
        c: (cur[c].mean() - churn_clean[c].mean()) / churn_clean[c].std() for c in churn_cfg.data.numeric
    }
    assert sum(abs(s) >= 1.0 for s in shifts.values()) >= 4, shifts
    assert shifts["tenure_months"] < -0.4
    assert shifts["monthly_charges"] > 1.0
    assert shifts["days_since_last_login"] > 1.0
    assert cur["churned"].mean() < 0.58  # drift is not corruption: the churn-rate expectation (<= 60%) holds


def test_categorical_drift_changes_category_mix_only(churn_clean: pd.DataFrame) -> None:
    cur = datagen.generate_churn(ROWS, seed=7, drift="categorical")
    share = cur["contract_type"].value_counts(normalize=True)
    base = churn_clean["contract_type"].value_counts(normalize=True)
    assert share["month-to-month"] > 0.65 > base["month-to-month"]
    assert cur["payment_method"].value_counts(normalize=True)["electronic-check"] > 0.45
    assert cur["region"].value_counts(normalize=True)["north"] > 0.45
    pd.testing.assert_series_equal(cur["tenure_months"], churn_clean["tenure_months"])
    assert cur["churned"].mean() < 0.58


def test_concept_drift_keeps_x_but_changes_x_to_y(churn_clean: pd.DataFrame) -> None:
    cur = datagen.generate_churn(ROWS, seed=7, drift="concept")
    features = [c for c in churn_clean.columns if c != "churned"]
    pd.testing.assert_frame_equal(cur[features], churn_clean[features])
    rate = cur.groupby("contract_type")["churned"].mean()
    assert rate["two-year"] > rate["month-to-month"]  # the sign of the contract effect flipped
    assert (cur["churned"] != churn_clean["churned"]).mean() > 0.2


@pytest.mark.parametrize(
    ("corruption", "expected"),
    [
        ("nulls", "nulls:contract_type"),
        ("out_of_range", "below_min:age"),
        ("unknown_category", "unknown_value:region"),
        ("drop_column", "missing:tenure_months"),
        ("wrong_dtype", "dtype:tenure_months"),
        ("single_class", "single_class"),
    ],
)
def test_each_churn_corruption_fails_the_config_checks(
    churn_cfg: ModelConfig, corruption: str, expected: str
) -> None:
    df = datagen.generate_churn(1000, seed=3, corruption=corruption)
    defects = config_defects(churn_cfg, df)
    assert expected in defects
    if corruption == "out_of_range":
        assert {"above_max:age", "below_min:monthly_charges"} <= set(defects)
        assert 0.02 < (df["age"] > 120).mean() + (df["age"] < 16).mean() < 0.08
    if corruption == "nulls":
        assert 0.25 < df["contract_type"].isna().mean() < 0.35
    if corruption == "wrong_dtype":
        assert df["tenure_months"].str.endswith(" months").all()


def test_churn_corruption_changes_nothing_else(churn_clean: pd.DataFrame) -> None:
    bad = datagen.generate_churn(ROWS, seed=7, corruption="unknown_category")
    pd.testing.assert_frame_equal(bad.drop(columns="region"), churn_clean.drop(columns="region"))


def test_breast_cancer_resample(bc_cfg: ModelConfig) -> None:
    df = datagen.generate_breast_cancer(seed=0)
    assert len(df) == 569
    assert list(df.columns) == [*bc_cfg.data.feature_names, "target"]
    assert config_defects(bc_cfg, df) == []
    pd.testing.assert_frame_equal(df, datagen.generate_breast_cancer(seed=0))
    assert 0.5 < df["target"].mean() < 0.75
    assert len(datagen.generate_breast_cancer(rows=1000, seed=1)) == 1000


def test_breast_cancer_drift_and_corruptions(bc_cfg: ModelConfig) -> None:
    base = datagen.generate_breast_cancer(seed=0)
    strong = datagen.generate_breast_cancer(seed=0, drift="strong")
    shifted = (strong.mean() - base.mean()) / base.std()
    assert (shifted.drop("target") >= 1.0).sum() >= 10
    concept = datagen.generate_breast_cancer(seed=0, drift="concept")
    pd.testing.assert_frame_equal(concept.drop(columns="target"), base.drop(columns="target"))
    assert (concept["target"] != base["target"]).mean() > 0.1
    for corruption in bc_gen.BREAST_CANCER_CORRUPTIONS:
        df = datagen.generate_breast_cancer(seed=0, corruption=corruption)
        assert config_defects(bc_cfg, df), corruption
    with pytest.raises(ValueError, match="allowed"):
        datagen.generate_breast_cancer(drift="categorical")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"drift": "sideways"}, "unknown drift 'sideways'.*allowed: none, mild"),
        ({"corruption": "gremlins"}, "unknown corruption 'gremlins'.*allowed: nulls"),
        ({"label_noise": 1.5}, "label_noise"),
        ({"rows": 0}, "rows"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        datagen.generate_churn(**{"rows": 10, **kwargs})


def test_generate_dispatches_by_model(churn_cfg: ModelConfig) -> None:
    assert set(datagen.GENERATORS) == {"churn", "breast_cancer", "diabetes", "wine"}
    pd.testing.assert_frame_equal(datagen.generate(churn_cfg, 50, 4), datagen.generate_churn(50, 4))
    assert len(datagen.generate("breast_cancer", None, 0)) == 569
    with pytest.raises(ConfigError, match="no data generator for model 'fraud'"):
        datagen.generate("fraud", 10, 0)


def test_write_weekly_snapshots(mlops_home: Path, churn_cfg: ModelConfig) -> None:
    manifests = datagen.write_weekly_snapshots(
        churn_cfg, start=date(2026, 11, 2), weeks=3, rows=600, seed=5, label_noise=0.1
    )
    root = Path(churn_cfg.snapshot_root())
    assert root.is_relative_to(mlops_home)
    assert [m.snapshot_id for m in manifests] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    for i, m in enumerate(manifests):
        assert m.rows == 600
        assert m.extra == {
            "generator": "airflow_champion_demo.churn.generate_churn",
            "seed": 5 + i,
            "rows": 600,
            "label_noise": 0.1,
            "drift": "none",
            "corruption": None,
        }
        on_disk = json.loads((root / m.snapshot_id / "manifest.json").read_text())
        assert on_disk["sha256"] == m.sha256
        df = pd.read_parquet(root / m.snapshot_id / "data.parquet")
        pd.testing.assert_frame_equal(df, datagen.generate_churn(600, seed=5 + i, label_noise=0.1))
    with pytest.raises(SnapshotError):  # snapshots are immutable
        datagen.write_weekly_snapshots(churn_cfg, start=date(2026, 11, 2), rows=600)


def test_write_weekly_snapshots_csv_corrupt_and_custom_root(tmp_path: Path, bc_cfg: ModelConfig) -> None:
    (m,) = datagen.write_weekly_snapshots(
        bc_cfg, start=date(2026, 11, 2), corruption="out_of_range", fmt="csv", root=str(tmp_path)
    )
    assert (tmp_path / "2026-11-02" / "data.csv").exists()
    assert m.extra["generator"] == "airflow_champion_demo.breast_cancer.generate_breast_cancer"
    assert m.extra["rows"] == 569 and m.extra["corruption"] == "out_of_range"


def test_write_weekly_snapshots_checks_names_before_writing(tmp_path: Path, churn_cfg: ModelConfig) -> None:
    with pytest.raises(ValueError, match="unknown drift 'typo'"):
        datagen.write_weekly_snapshots(churn_cfg, start=date(2026, 11, 2), drift="typo", root=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
