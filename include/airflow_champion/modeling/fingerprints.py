"""Row fingerprints: how "a row a model was trained on" is recognised in another snapshot.

A fingerprint is a 64-bit hash of a row's features exactly as the model sees them (`pipeline.features`:
numerics as float64, categoricals as text), so the same input in an overlapping or cumulative extract,
or an exact duplicate inside one snapshot, gets the same fingerprint. Training records the sorted,
unique fingerprints of its rows with the version (`reference/train_fingerprints.npy`), so evaluation
can remove the champion's training rows from the judged rows without the champion's snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_champion.data.reading import derived
from airflow_champion.modeling.pipeline import features

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.config import ModelConfig

SCHEME = "pandas-hash-features-v1"
"""Recorded with the fingerprints; another scheme's fingerprints are never compared with these."""


def row_fingerprints(cfg: ModelConfig, df: pd.DataFrame) -> np.ndarray:
    """uint64 fingerprint of each row's features (NaN-aware, column order as in the config)."""
    return of_features(features(cfg, df))


def of_features(X: pd.DataFrame) -> np.ndarray:
    """row_fingerprints from the rows' features() (when the caller has them already)."""
    import numpy as np
    import pandas as pd

    return np.asarray(pd.util.hash_pandas_object(X, index=False, categorize=True).to_numpy(), dtype=np.uint64)


def shared_fingerprints(cfg: ModelConfig, df: pd.DataFrame, X: pd.DataFrame | None = None) -> np.ndarray:
    """row_fingerprints of `df`, once per frame inside data.reading.shared_reads() (the train step's
    of its training rows serve the evaluate step); from `X`, its features(), when the caller has them."""
    return derived(
        df, f"fingerprints:{cfg.config_hash}", lambda: of_features(features(cfg, df) if X is None else X)
    )


def unique_sorted(fingerprints: np.ndarray) -> np.ndarray:
    """The sorted distinct fingerprints: a sort and a neighbour comparison, what np.unique computes
    (numpy 2.4's np.unique hashes uint64 first, ~70x slower at 1M rows)."""
    import numpy as np

    ordered = np.sort(np.asarray(fingerprints, dtype=np.uint64))
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def seen(fingerprints: np.ndarray, training: np.ndarray) -> np.ndarray:
    """Boolean mask: which of `fingerprints` are in the sorted set `training`."""
    import numpy as np

    if training.size == 0:
        return np.zeros(fingerprints.shape[0], dtype=bool)
    pos = np.searchsorted(training, fingerprints)
    pos[pos == training.size] = 0
    return training[pos] == fingerprints


def duplicate_share(cfg: ModelConfig, df: pd.DataFrame) -> float:
    """Share of rows whose features and target repeat an earlier row (0 when every row is unique)."""
    import pandas as pd

    cols = [*cfg.data.feature_names, cfg.data.target]
    present = [c for c in cols if c in df.columns]
    if not len(df) or not present:
        return 0.0
    frame = df[present]
    text = [c for c in present if frame[c].dtype == object]  # mixed objects hash as their text
    if text:
        frame = frame.astype({c: str for c in text})
    hashed = pd.util.hash_pandas_object(frame, index=False, categorize=True).to_numpy()
    return 1.0 - unique_sorted(hashed).size / len(df)


__all__ = [
    "SCHEME",
    "duplicate_share",
    "of_features",
    "row_fingerprints",
    "seen",
    "shared_fingerprints",
    "unique_sorted",
]
