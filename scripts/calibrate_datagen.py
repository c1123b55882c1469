"""Check the data generators against the retraining story they must support.

The demo and tests/airflow/test_retrain_story.py rely on these outcomes with the configs' own estimators
and holdouts: (a) a small noisy first snapshot clears the floor, (b) more clean data clearly beats it,
(c) badly labelled data does not beat (b). Run: ``.venv/bin/python scripts/calibrate_datagen.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from airflow_champion.config import ModelConfig, check_estimator_importable, load_config  # noqa: E402
from airflow_champion_demo import datagen  # noqa: E402


def pipeline(cfg: ModelConfig) -> Any:
    """Stand-in for include.model_io: impute + scale numerics, impute + one-hot categoricals."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    est = check_estimator_importable(cfg)(**cfg.estimator.params)
    parts = [("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), cfg.data.numeric)]
    if cfg.data.categorical:
        cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
        parts.append(("cat", cat, cfg.data.categorical))
    return Pipeline([("pre", ColumnTransformer(parts)), ("est", est)])


def split(cfg: ModelConfig, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import train_test_split

    y = df[cfg.data.target]
    train, hold = train_test_split(
        df,
        test_size=cfg.holdout.fraction,
        random_state=cfg.holdout.seed,
        stratify=y if cfg.holdout.stratify else None,
    )
    return train, hold


def fit(cfg: ModelConfig, train: pd.DataFrame) -> Any:
    return pipeline(cfg).fit(train[cfg.data.feature_names], train[cfg.data.target])


def score(cfg: ModelConfig, model: Any, hold: pd.DataFrame) -> float:
    from sklearn.metrics import average_precision_score, roc_auc_score

    p = model.predict_proba(hold[cfg.data.feature_names])[:, 1]
    fn = roc_auc_score if cfg.metric.name == "roc_auc" else average_precision_score
    return float(fn(hold[cfg.data.target], p))


def churn_story(seed_offset: int = 0) -> dict[str, Any]:
    cfg = load_config("churn")
    weeks: dict[str, dict[str, Any]] = {
        "a": {"rows": 800, "seed": 1 + seed_offset, "label_noise": 0.25},
        "b": {"rows": 6000, "seed": 2 + seed_offset, "label_noise": 0.0},
        "c": {"rows": 6000, "seed": 3 + seed_offset, "label_noise": 0.35},
    }
    data = {k: datagen.generate_churn(**kw) for k, kw in weeks.items()}
    splits = {k: split(cfg, df) for k, df in data.items()}
    models = {k: fit(cfg, tr) for k, (tr, _) in splits.items()}
    hold = {k: h for k, (_, h) in splits.items()}
    out: dict[str, Any] = {
        "positive_rate": {k: round(float(df[cfg.data.target].mean()), 3) for k, df in data.items()},
        "a_on_a": score(cfg, models["a"], hold["a"]),
        "a_on_b": score(cfg, models["a"], hold["b"]),
        "b_on_b": score(cfg, models["b"], hold["b"]),
        "b_on_c": score(cfg, models["b"], hold["c"]),
        "c_on_c": score(cfg, models["c"], hold["c"]),
    }
    out["gain_b_over_a"] = out["b_on_b"] - out["a_on_b"]
    out["gain_c_over_b"] = out["c_on_c"] - out["b_on_c"]
    return out


def churn_drift() -> dict[str, float]:
    """ROC AUC of a model trained on clean data, scored on each drift scenario."""
    cfg = load_config("churn")
    train, _ = split(cfg, datagen.generate_churn(6000, seed=11))
    model = fit(cfg, train)
    out = {}
    for drift in datagen.DRIFTS:
        df = datagen.generate_churn(4000, seed=12, drift=drift)
        out[drift] = score(cfg, model, df)
    return out


def breast_cancer() -> dict[str, float]:
    cfg = load_config("breast_cancer")
    out = {}
    for seed in range(3):
        train, hold = split(cfg, datagen.generate_breast_cancer(seed=seed))
        out[f"seed{seed}"] = score(cfg, fit(cfg, train), hold)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--offsets", type=int, default=1, help="also run the story with shifted seeds")
    args = ap.parse_args()
    t0 = time.perf_counter()
    datagen.generate_churn(1_000_000, seed=0)
    report: dict[str, Any] = {"churn_1m_seconds": round(time.perf_counter() - t0, 2)}
    report["churn_story"] = churn_story()
    if args.offsets > 1:
        runs = [churn_story(10 * k) for k in range(1, args.offsets)]
        report["churn_story_other_seeds"] = {
            key: [round(r[key], 3) for r in runs]
            for key in ("a_on_a", "gain_b_over_a", "gain_c_over_b", "b_on_b")
        }
        report["churn_story_other_seeds"]["min_a_on_a"] = float(np.min([r["a_on_a"] for r in runs]))
    report["churn_drift_auc"] = churn_drift()
    report["breast_cancer_ap"] = breast_cancer()
    print(json.dumps(report, indent=2, default=lambda v: round(v, 4)))


if __name__ == "__main__":
    main()
