"""Resamples of datasets scikit-learn bundles (no download): diabetes (regression), wine (multiclass).

Each snapshot is a bootstrap resample of the bundled rows with multiplicative measurement noise; label
noise, drift and corruption can be injected as for the other demo models. Columns keep scikit-learn's
names, the target is `target`, and an id column (`patient_id`, `wine_id`) names the bundled row each
resampled row comes from: resamples of one patient are near-copies, so the configs split by that key
(holdout policy `group`), never at random, or a model would be judged on rows it has all but seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from airflow_champion_demo.common import _check_choice, _check_common, _streams, bunch_arrays

DRIFTS: tuple[str, ...] = ("none", "mild", "covariate", "strong", "concept")
CORRUPTIONS: tuple[str, ...] = ("nulls", "out_of_range", "drop_column", "wrong_dtype", "single_class")
TARGET = "target"
NOISE_SD = 0.02
"""~2% multiplicative measurement noise per value."""


@dataclass(frozen=True)
class Bundled:
    """One bundled dataset and how its target is resampled, noised and drifted."""

    name: str
    load: Callable[[], tuple[np.ndarray, np.ndarray, list[str]]]
    kind: str  # "regression" | "multiclass"
    key: str  # the id column of the bundled row a resampled row comes from
    discrete: tuple[str, ...] = ()  # columns kept exact (codes), never noised
    default_rows: int = 600


def _load_diabetes() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_diabetes

    # raw units: age in years, sex 1/2, bmi, blood pressure, ...
    return bunch_arrays(load_diabetes(scaled=False), target_dtype=float)


def _load_wine() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_wine

    return bunch_arrays(load_wine())


DIABETES = Bundled("diabetes", _load_diabetes, "regression", key="patient_id", discrete=("sex",))
WINE = Bundled("wine", _load_wine, "multiclass", key="wine_id")


def _noisy_target(
    spec: Bundled, rng: np.random.Generator, y: np.ndarray, share: float, base: np.ndarray
) -> np.ndarray:
    """Replace a share of targets: a draw from the bundled targets (regression) or a random class."""
    if share <= 0:
        return y
    replace = rng.random(y.shape[0]) < share
    if spec.kind == "regression":
        return np.where(replace, rng.choice(base, y.shape[0]), y)
    classes = np.unique(base)
    return np.where(replace, rng.choice(classes, y.shape[0]), y)


def generate(
    spec: Bundled,
    rows: int | None = None,
    seed: int = 0,
    *,
    label_noise: float = 0.0,
    drift: str = "none",
    corruption: str | None = None,
) -> pd.DataFrame:
    rows = spec.default_rows if rows is None else int(rows)
    _check_common(rows, label_noise)
    _check_choice("drift", drift, DRIFTS, spec.name)
    _check_choice("corruption", corruption, CORRUPTIONS, spec.name)
    rngs = _streams(seed)
    base_x, base_y, names = spec.load()
    feat_rng = rngs["features"]
    idx = feat_rng.integers(0, base_x.shape[0], rows)
    noise = np.exp(feat_rng.normal(0.0, NOISE_SD, (rows, base_x.shape[1])))
    keep = [i for i, n in enumerate(names) if n in spec.discrete]
    noise[:, keep] = 1.0
    x = base_x[idx] * noise
    y = base_y[idx].copy()
    sd = base_x.std(axis=0)
    first, second = 0, min(1, base_x.shape[1] - 1)
    if drift == "mild":  # +0.25 sd on two features
        x[:, [first, second]] += 0.25 * sd[[first, second]]
    elif drift in ("covariate", "strong"):  # a re-calibrated instrument: half the features read 1.2 sd higher
        cols = [i for i in range(base_x.shape[1]) if i not in keep][: base_x.shape[1] // 2]
        x[:, cols] += 1.2 * sd[cols]
    elif drift == "concept":  # same X, the target's relation to it changes for the upper half of one feature
        big = x[:, first] > np.median(x[:, first])
        if spec.kind == "regression":
            y = np.where(big, y * 0.6, y)
        else:
            y = np.where(big & (rngs["labels"].random(rows) < 0.5), (y + 1) % len(np.unique(base_y)), y)
    y = _noisy_target(spec, rngs["label_noise"], y, float(label_noise), base_y)
    df = pd.DataFrame(np.round(x, 6), columns=names)
    df.insert(0, spec.key, [f"{spec.name}-{i:04d}" for i in idx])  # resamples of one row share its id
    df[TARGET] = np.round(y, 3) if spec.kind == "regression" else y.astype(np.int64)
    if corruption is not None:
        df = _corrupt(df, names, corruption, rngs["corruption"])
    return df


def _corrupt(df: pd.DataFrame, names: list[str], corruption: str, rng: np.random.Generator) -> pd.DataFrame:
    n = len(df)
    col = names[-1]
    if corruption == "nulls":
        df.loc[rng.random(n) < 0.3, col] = np.nan
    elif corruption == "out_of_range":
        bad = rng.random(n) < 0.05
        bad[rng.integers(0, n)] = True
        df.loc[bad, col] = -df.loc[bad, col] - 1.0
    elif corruption == "drop_column":
        df = df.drop(columns=[col])
    elif corruption == "wrong_dtype":
        df[col] = [f"{v:.2f} units" for v in df[col].to_numpy()]
    elif corruption == "single_class":
        df[TARGET] = df[TARGET].iloc[0]
    return df


def generate_diabetes(rows: int | None = None, seed: int = 0, **kw: object) -> pd.DataFrame:
    """Resampled diabetes progression (442 patients, 10 baseline measurements, target one year later)."""
    return generate(DIABETES, rows, seed, **kw)  # type: ignore[arg-type]


def generate_wine(rows: int | None = None, seed: int = 0, **kw: object) -> pd.DataFrame:
    """Resampled wine recognition (178 wines, 13 chemical measurements, 3 cultivars)."""
    return generate(WINE, rows, seed, **kw)  # type: ignore[arg-type]


__all__ = ["CORRUPTIONS", "DIABETES", "DRIFTS", "WINE", "generate_diabetes", "generate_wine"]
