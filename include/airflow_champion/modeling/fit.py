"""Fitting a challenger: split, fit the pipeline, check what it would save, score its holdout.

Pure compute (no MLflow): `modeling.training` records what this returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import TrainingError
from airflow_champion.modeling.holdout import split_holdout
from airflow_champion.modeling.pipeline import build_pipeline, features_and_target
from airflow_champion.modeling.trusted_types import untrusted_types
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig


@dataclass
class Fitted:
    """A fitted challenger and what it was fit and judged on."""

    pipeline: Any
    train_df: pd.DataFrame
    holdout_df: pd.DataFrame
    X_holdout: pd.DataFrame
    holdout_pred: np.ndarray
    holdout_scores: dict[str, float]
    fit_seconds: float


def fit_challenger(cfg: ModelConfig, df: pd.DataFrame, snapshot_id: str) -> Fitted:
    """Fit the config's pipeline on the snapshot's training rows and score it on its holdout."""
    task = get_task(cfg.task)
    train_df, holdout_df = split_holdout(cfg, df)
    X_train, y_train = features_and_target(cfg, train_df)
    X_hold, y_hold = features_and_target(cfg, holdout_df)
    if task.estimator_kind == "classifier" and len(set(y_train.tolist())) < 2:
        raise TrainingError(f"{cfg.name}: snapshot {snapshot_id} has a single class in its training split")
    pipeline = build_pipeline(cfg)
    t0 = time.monotonic()
    try:
        pipeline.fit(X_train, y_train)
    except ValueError as exc:
        raise TrainingError(f"{cfg.name}: fitting {cfg.estimator.class_path} failed: {exc}") from exc
    fit_seconds = time.monotonic() - t0
    untrusted = untrusted_types(pipeline)
    if untrusted:
        raise TrainingError(
            f"{cfg.name}: the fitted model contains types not in trusted_types.TRUSTED_TYPES: {untrusted}; "
            "review them and add them to the list"
        )
    pred = task.predict(pipeline, X_hold)
    return Fitted(
        pipeline=pipeline,
        train_df=train_df,
        holdout_df=holdout_df,
        X_holdout=X_hold,
        holdout_pred=pred,
        holdout_scores=task.all_scores(y_hold, pred),
        fit_seconds=fit_seconds,
    )
