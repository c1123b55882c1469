"""Which rows train the challenger and which rows judge it: the holdout policy (config `holdout`).

* `random`: a seeded random share of the snapshot, stratified on the task's classes where it has them.
  Right when rows are independent; wrong when rows of the same day, customer or session are alike.
* `time`: rows at or after a cutoff in `time_column` are judged and the model is fit only on rows
  before it: the latest `fraction` of the snapshot by time, or the rows at/after `cutoff`. Champion
  and challenger then face the same out-of-time rows, as they will in production.
* `group`: a stable hash of `group_column` decides the side, so an entity (a customer, a day, a
  device) never appears on both sides, and lands on the same side in every snapshot.

Deterministic in (config, snapshot): training, evaluation, the drift monitor and the backtest
recompute the same split. Whatever the policy, rows a model was trained on are never judged:
exact duplicates across the split and the champion's own training rows are removed from the judged
side by the evaluation (`evaluation.judged`, using `modeling.fingerprints`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_champion.data.reading import derived
from airflow_champion.errors import SnapshotError
from airflow_champion.modeling.pipeline import target
from airflow_champion.tasks import get_task

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig

BUCKETS = 10_000
"""Group policy: a key's hash modulo BUCKETS below fraction * BUCKETS means "judged"."""


@dataclass
class Split:
    """The two sides of one snapshot, and what decided them (for the verdict and the report)."""

    train: pd.DataFrame
    judged: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)
    mask: np.ndarray | None = None
    """Which rows of the split frame are judged (train is the rest), in its row order."""


def _random(cfg: ModelConfig, df: pd.DataFrame) -> tuple[np.ndarray, dict[str, Any]]:
    import numpy as np
    from sklearn.model_selection import train_test_split

    h = cfg.holdout
    stratify = get_task(cfg.task).stratify_labels(target(cfg, df)) if h.stratify else None
    positions = np.arange(len(df))
    _train, judged = train_test_split(positions, test_size=h.fraction, random_state=h.seed, stratify=stratify)
    mask = np.zeros(len(df), dtype=bool)
    mask[judged] = True
    return mask, {"stratified": stratify is not None}


def parse_times(cfg: ModelConfig, df: pd.DataFrame) -> pd.Series:
    """The time column as UTC timestamps; a named SnapshotError when it is missing or unparsable."""
    import pandas as pd

    column = cfg.holdout.time_column
    assert column is not None  # the config requires it for the time policy
    if column not in df.columns:
        raise SnapshotError(f"{cfg.name}: holdout.time_column {column!r} is not a column of the snapshot")
    try:
        times = pd.to_datetime(df[column], utc=True, errors="raise")
    except (ValueError, TypeError) as exc:
        raise SnapshotError(
            f"{cfg.name}: holdout.time_column {column!r} holds values that are not times: {exc}"
        ) from None
    if times.isna().any():
        raise SnapshotError(
            f"{cfg.name}: holdout.time_column {column!r} has {int(times.isna().sum())} empty values"
        )
    return times


def _time(cfg: ModelConfig, df: pd.DataFrame) -> tuple[np.ndarray, dict[str, Any]]:
    import numpy as np
    import pandas as pd

    h = cfg.holdout
    times = parse_times(cfg, df)
    if h.cutoff is not None:
        cutoff = pd.Timestamp(h.cutoff)
        cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff.tz_convert("UTC")
    else:
        ordered = np.sort(times.to_numpy(dtype="datetime64[ns]"))
        cutoff = pd.Timestamp(
            ordered[min(len(ordered) - 1, int(np.floor((1 - h.fraction) * len(ordered))))], tz="UTC"
        )
    mask = (times >= cutoff).to_numpy()
    return mask, {
        "cutoff": cutoff.isoformat(),
        "train_until": times[~mask].max().isoformat() if (~mask).any() else None,
        "judged_from": times[mask].min().isoformat() if mask.any() else None,
        "judged_until": times[mask].max().isoformat() if mask.any() else None,
    }


def group_buckets(values: pd.Series, seed: int) -> np.ndarray:
    """Stable bucket (0..BUCKETS-1) of each key: the same key, the same bucket, in every snapshot."""
    import numpy as np
    import pandas as pd

    key = f"{int(seed) % 10**16:016d}"  # pandas' siphash key: 16 characters
    hashed = pd.util.hash_array(values.astype(str).to_numpy(dtype=object), hash_key=key, categorize=True)
    return (hashed % np.uint64(BUCKETS)).astype(np.int64)


def _group(cfg: ModelConfig, df: pd.DataFrame) -> tuple[np.ndarray, dict[str, Any]]:
    h = cfg.holdout
    column = h.group_column
    assert column is not None
    if column not in df.columns:
        raise SnapshotError(f"{cfg.name}: holdout.group_column {column!r} is not a column of the snapshot")
    if df[column].isna().any():
        raise SnapshotError(
            f"{cfg.name}: holdout.group_column {column!r} has {int(df[column].isna().sum())} empty keys"
        )
    mask = group_buckets(df[column], h.seed) < round(h.fraction * BUCKETS)
    keys = df[column].astype(str)
    return mask, {"groups_train": int(keys[~mask].nunique()), "groups_judged": int(keys[mask].nunique())}


POLICIES = {"random": _random, "time": _time, "group": _group}


def split_holdout(cfg: ModelConfig, df: pd.DataFrame) -> Split:
    """(train rows, judged rows) of one snapshot as the config's holdout policy says; made once per
    frame inside data.reading.shared_reads() (the train and evaluate steps judge the same split)."""
    return derived(df, f"split:{cfg.config_hash}", lambda: _split_holdout(cfg, df))


def _split_holdout(cfg: ModelConfig, df: pd.DataFrame) -> Split:
    policy = cfg.holdout.policy
    mask, info = POLICIES[policy](cfg, df)
    split = Split(train=df[~mask], judged=df[mask], info={"policy": policy, **info}, mask=mask)
    split.info.update(train_rows=len(split.train), holdout_rows=len(split.judged))
    if split.train.empty or split.judged.empty:
        side = "training" if split.train.empty else "judged"
        raise SnapshotError(
            f"{cfg.name}: holdout policy {policy!r} leaves no {side} rows in this snapshot ({split.info})"
        )
    return split


__all__ = ["BUCKETS", "POLICIES", "Split", "group_buckets", "parse_times", "split_holdout"]
