"""How a config becomes a scikit-learn Pipeline, how data becomes (X, y), and what skops may load.

`TRUSTED_TYPES` is the reviewed list of classes a saved model may contain. Models are saved with
skops, never pickle; anything outside this list fails at save time, so a config naming a new estimator
needs a reviewed addition here (`skops.io.get_untrusted_types` lists what it would need).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from include.config import check_estimator_importable

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from include.config import ModelConfig

MISSING_CATEGORY = "__missing__"

# Reviewed: sklearn preprocessing + the estimators the shipped configs use, and their fitted parts.
TRUSTED_TYPES: list[str] = [
    "sklearn.pipeline.Pipeline",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.compose._column_transformer._RemainderColsList",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._gb.GradientBoostingClassifier",
    "sklearn.dummy.DummyClassifier",
    "builtins.slice",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "collections.OrderedDict",
]


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


def target(cfg: ModelConfig, df: pd.DataFrame) -> np.ndarray:
    """1 for the configured positive label, else 0 (compared as text when the column is text)."""
    col = df[cfg.data.target]
    pos = cfg.data.positive_label
    if col.dtype == object or isinstance(pos, str):
        return (col.astype(str) == str(pos)).to_numpy(dtype=int)
    return (col == pos).to_numpy(dtype=int)


def features_and_target(cfg: ModelConfig, df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return features(cfg, df), target(cfg, df)


def split_holdout(cfg: ModelConfig, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Deterministic train/holdout split from the config, so champion and challenger see the same rows."""
    from sklearn.model_selection import train_test_split

    y = target(cfg, df)
    counts = np.bincount(y, minlength=2)
    stratify = y if cfg.holdout.stratify and counts.min() >= 2 else None
    train_df, holdout_df = train_test_split(
        df, test_size=cfg.holdout.fraction, random_state=cfg.holdout.seed, stratify=stratify
    )
    return train_df, holdout_df


def untrusted_types(model: Any) -> list[str]:
    """What skops would refuse to load from this fitted model beyond TRUSTED_TYPES."""
    import skops.io as sio

    return sorted(set(sio.get_untrusted_types(data=sio.dumps(model))) - set(TRUSTED_TYPES))


def import_class(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
