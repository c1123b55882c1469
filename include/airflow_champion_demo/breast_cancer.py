"""scikit-learn's bundled Wisconsin breast-cancer data, resampled with measurement noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from airflow_champion_demo.common import (
    _apply_label_noise,
    _check_choice,
    _check_common,
    _streams,
    bunch_arrays,
)

# breast_cancer has no categorical feature, so these two do not apply to it
BREAST_CANCER_DRIFTS: tuple[str, ...] = ("none", "mild", "covariate", "strong", "concept")


BREAST_CANCER_CORRUPTIONS: tuple[str, ...] = (
    "nulls",
    "out_of_range",
    "drop_column",
    "wrong_dtype",
    "single_class",
)


BC_TARGET = "target"


BC_DEFAULT_ROWS = 569


BC_NOISE_SD = 0.015  # ~1.5% multiplicative measurement noise


BC_MILD_FEATURES = ("mean texture", "worst texture")


BC_STRONG_FEATURES = (
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean area",
    "mean smoothness",
    "mean compactness",
    "mean concavity",
    "mean concave points",
    "worst radius",
    "worst texture",
    "worst perimeter",
    "worst area",
)


def _load_breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_breast_cancer

    return bunch_arrays(load_breast_cancer())


def generate_breast_cancer(
    rows: int | None = None,
    seed: int = 0,
    *,
    label_noise: float = 0.0,
    drift: str = "none",
    corruption: str | None = None,
) -> pd.DataFrame:
    """Bootstrap resample of scikit-learn's Wisconsin breast-cancer data with ~1.5% measurement noise.

    Columns are the 30 `feature_names` plus `target` (1 = benign). Drift moves instrument readings
    (covariate) or relabels a region of feature space (concept); there is no categorical feature.
    """
    rows = BC_DEFAULT_ROWS if rows is None else int(rows)
    _check_common(rows, label_noise)
    _check_choice("drift", drift, BREAST_CANCER_DRIFTS, "breast_cancer")
    _check_choice("corruption", corruption, BREAST_CANCER_CORRUPTIONS, "breast_cancer")
    rngs = _streams(seed)
    base_x, base_y, names = _load_breast_cancer()
    sd = base_x.std(axis=0)
    feat_rng = rngs["features"]
    idx = feat_rng.integers(0, base_x.shape[0], rows)
    x = base_x[idx] * np.exp(feat_rng.normal(0.0, BC_NOISE_SD, (rows, base_x.shape[1])))
    y = base_y[idx].astype(np.int64)

    col = {name: i for i, name in enumerate(names)}
    if drift == "mild":  # +0.25 sd on two features
        for name in BC_MILD_FEATURES:
            x[:, col[name]] += 0.25 * sd[col[name]]
    elif drift in ("covariate", "strong"):  # an instrument re-calibration: 12 of 30 read >= 1 sd higher
        for name in BC_STRONG_FEATURES:
            x[:, col[name]] += 1.2 * sd[col[name]]
    elif drift == "concept":  # same X; large-nucleus cases get relabelled half of the time
        big = x[:, col["worst concave points"]] > np.quantile(x[:, col["worst concave points"]], 0.6)
        flip = big & (rngs["labels"].random(rows) < 0.5)
        y = np.where(flip, 1 - y, y)
    y = _apply_label_noise(rngs["label_noise"], y, float(label_noise))

    df = pd.DataFrame(np.round(np.maximum(x, 0.0), 6), columns=names)
    df[BC_TARGET] = y
    if corruption is not None:
        df = _corrupt_breast_cancer(df, corruption, rngs["corruption"])
    return df


def _corrupt_breast_cancer(df: pd.DataFrame, corruption: str, rng: np.random.Generator) -> pd.DataFrame:
    n = len(df)
    if corruption == "nulls":
        df.loc[rng.random(n) < 0.3, "mean radius"] = np.nan
    elif corruption == "out_of_range":
        bad = rng.random(n) < 0.05
        bad[rng.integers(0, n)] = True  # at least one, even for tiny frames
        df.loc[bad, "mean area"] = -df.loc[bad, "mean area"] - 1.0
    elif corruption == "drop_column":
        df = df.drop(columns=["mean radius"])
    elif corruption == "wrong_dtype":
        df["mean texture"] = [f"{v:.2f} um" for v in df["mean texture"].to_numpy()]
    elif corruption == "single_class":
        df[BC_TARGET] = np.zeros(n, dtype=np.int64)
    return df
