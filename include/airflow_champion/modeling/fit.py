"""Fitting a challenger: split by the holdout policy, fit the pipeline, check what it would save, score
its holdout, fingerprint its training rows.

Pure compute (no MLflow): `modeling.training` records what this returns.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_champion.errors import TrainingError, UnjudgeableHoldoutError
from airflow_champion.modeling import fingerprints
from airflow_champion.modeling.holdout import Split, split_holdout
from airflow_champion.modeling.pipeline import build_pipeline, features, shared_features, target
from airflow_champion.modeling.trusted_types import untrusted_types
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig

log = logging.getLogger(__name__)


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
    train_fingerprints: np.ndarray
    split_info: dict[str, Any] = field(default_factory=dict)


def _class_counts(cfg: ModelConfig, rows: pd.DataFrame) -> dict[Any, int]:
    counts = rows[cfg.data.target].value_counts().sort_index()
    return {(k.item() if hasattr(k, "item") else k): int(v) for k, v in counts.items()}  # no np.int64(0)


def _unjudgeable(cfg: ModelConfig, snapshot_id: str, split: Split, why: str) -> str:
    """What is wrong with the judged rows, in numbers, and what would fix it."""
    h = cfg.holdout
    counts = ""
    if get_task(cfg.task).estimator_kind == "classifier":
        counts = (
            f"; class counts: judged {_class_counts(cfg, split.judged)}, "
            f"training {_class_counts(cfg, split.train)}"
        )
    return (
        f"{cfg.name}: snapshot {snapshot_id}: holdout policy {h.policy!r} leaves {len(split.judged)} "
        f"judged rows that cannot rank two models ({why}){counts}. Use a larger holdout "
        f"(holdout.fraction, now {h.fraction}), another policy (random with stratify: true keeps "
        "every class on both sides) or a snapshot whose judged rows hold every class"
    )


def fit_challenger(cfg: ModelConfig, df: pd.DataFrame, snapshot_id: str) -> Fitted:
    """Fit the config's pipeline on the snapshot's training rows and score it on its holdout."""
    task = get_task(cfg.task)
    problem = task.check_target(df[cfg.data.target], cfg.data) if cfg.data.target in df.columns else None
    if problem:
        raise TrainingError(f"{cfg.name}: snapshot {snapshot_id}: {problem}")
    try:
        split = split_holdout(cfg, df)
    except ValueError as exc:  # e.g. a class too rare to stratify
        raise TrainingError(
            f"{cfg.name}: snapshot {snapshot_id} cannot be split for training: {exc}"
        ) from exc
    X_train, y_train = features(cfg, split.train), target(cfg, split.train)
    X_hold, y_hold = shared_features(cfg, split.judged), target(cfg, split.judged)  # evaluate's too
    why = task.judgeable(y_hold)
    if why:
        raise UnjudgeableHoldoutError(_unjudgeable(cfg, snapshot_id, split, why))
    if task.estimator_kind == "classifier" and len(set(y_train.tolist())) < 2:
        raise TrainingError(f"{cfg.name}: snapshot {snapshot_id} has a single class in its training split")
    pipeline = build_pipeline(cfg)
    estimator = cfg.estimator.class_path.rsplit(".", 1)[-1]
    log.info(
        "%s: fitting %s on %d rows x %d features (%d held out)...",
        cfg.name,
        estimator,
        len(X_train),
        X_train.shape[1],
        len(X_hold),
    )
    t0 = time.monotonic()
    try:
        pipeline.fit(X_train, y_train)
    except ValueError as exc:
        raise TrainingError(f"{cfg.name}: fitting {cfg.estimator.class_path} failed: {exc}") from exc
    fit_seconds = time.monotonic() - t0
    log.info("%s: fitted %s in %.1f s", cfg.name, estimator, fit_seconds)
    untrusted = untrusted_types(pipeline)
    if untrusted:
        raise TrainingError(
            f"{cfg.name}: the fitted model contains types not in trusted_types.TRUSTED_TYPES: {untrusted}; "
            "review them and add them to the list"
        )
    pred = task.predict(pipeline, X_hold, cfg.data)
    seen = fingerprints.shared_fingerprints(cfg, split.train, X_train)
    return Fitted(
        pipeline=pipeline,
        train_df=split.train,
        holdout_df=split.judged,
        X_holdout=X_hold,
        holdout_pred=pred,
        holdout_scores=task.all_scores(y_hold, pred),
        fit_seconds=fit_seconds,
        train_fingerprints=fingerprints.unique_sorted(seen),
        split_info=split.info,
    )
