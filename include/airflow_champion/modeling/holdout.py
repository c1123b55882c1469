"""Which rows train the challenger and which rows judge it (the holdout).

Deterministic in the config, so training, evaluation and the drift monitor recompute the same split
from the same snapshot; stratified on the task's labels where the task has classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_champion.modeling.pipeline import target
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd

    from airflow_champion.config import ModelConfig


def split_holdout(cfg: ModelConfig, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train rows, holdout rows) of one snapshot, as the config's holdout settings say."""
    from sklearn.model_selection import train_test_split

    stratify = get_task(cfg.task).stratify_labels(target(cfg, df)) if cfg.holdout.stratify else None
    train_df, holdout_df = train_test_split(
        df, test_size=cfg.holdout.fraction, random_state=cfg.holdout.seed, stratify=stratify
    )
    return train_df, holdout_df


__all__ = ["split_holdout"]
