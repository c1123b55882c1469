"""How a config becomes a scikit-learn Pipeline, and how a frame becomes (X, y) for it.

Numeric features: median imputation and scaling; categorical: a constant for missing values and a
one-hot encoding that ignores categories it has not seen. The target is encoded by the model's task.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.config.checks import check_estimator_importable
from airflow_champion.data.reading import derived
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from airflow_champion.config import ModelConfig

MISSING_CATEGORY = "__missing__"


def build_pipeline(cfg: ModelConfig) -> Pipeline:
    """Numeric: median impute + scale; categorical: constant impute + one-hot that ignores unseen values."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    est_cls = check_estimator_importable(cfg)
    transformers: list[tuple[str, Any, list[str]]] = []
    if cfg.data.numeric:
        num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        transformers.append(("num", num, cfg.data.numeric))
    if cfg.data.categorical:
        cat = Pipeline(
            [
                ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
            ]
        )
        transformers.append(("cat", cat, cfg.data.categorical))
    pre = ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)
    return Pipeline([("preprocess", pre), ("model", est_cls(**cfg.estimator.params))])


def features(cfg: ModelConfig, df: pd.DataFrame) -> pd.DataFrame:
    """The config's features in config order, numerics as float, categoricals as str with NaN kept."""
    import numpy as np
    import pandas as pd

    missing = [c for c in cfg.data.feature_names if c not in df.columns]
    if missing:
        raise KeyError(f"columns missing from the data: {missing}")
    X = df[cfg.data.feature_names].copy()
    for c in cfg.data.numeric:
        X[c] = pd.to_numeric(X[c], errors="raise").astype("float64")
    for c in cfg.data.categorical:
        col = X[c].astype("object")
        X[c] = col.astype(str).where(col.notna(), np.nan)
    return X


def shared_features(cfg: ModelConfig, df: pd.DataFrame) -> pd.DataFrame:
    """features() of `df`, computed once per frame inside data.reading.shared_reads() (a shared
    split's judged side: the train step scores it, the evaluate step judges on it)."""
    return derived(df, f"features:{cfg.config_hash}", lambda: features(cfg, df))


def target(cfg: ModelConfig, df: pd.DataFrame) -> np.ndarray:
    """The target column as the model's task encodes it (binary: 1 for the positive label, else 0)."""
    return get_task(cfg.task).encode_target(df[cfg.data.target], cfg.data)


def features_and_target(cfg: ModelConfig, df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return features(cfg, df), target(cfg, df)
