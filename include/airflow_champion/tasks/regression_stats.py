"""Bootstrap statistics of the regression metrics, as functions of row counts over resamples.

Every one is a ratio of weighted sums (R^2 needs the weighted variance of the labels, from the sums of
y and y^2), so B resamples cost O(B*n). Checked against scikit-learn on resampled rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_champion.tasks.binary_stats import masked

if TYPE_CHECKING:
    import numpy as np

    from airflow_champion.tasks.metric import Statistic


def _mean(per_row: np.ndarray) -> Statistic:
    return lambda w: w @ per_row / w.sum(axis=1)


def regression_rmse(y: np.ndarray, pred: np.ndarray) -> Statistic:
    import numpy as np

    sq = (pred - y) ** 2
    return lambda w: np.sqrt(w @ sq / w.sum(axis=1))


def regression_mae(y: np.ndarray, pred: np.ndarray) -> Statistic:
    import numpy as np

    return _mean(np.abs(pred - y))


def regression_mape(y: np.ndarray, pred: np.ndarray) -> Statistic:
    """|error| / max(|y|, float eps), as scikit-learn's mean_absolute_percentage_error."""
    import numpy as np

    return _mean(np.abs(pred - y) / np.maximum(np.abs(y), np.finfo(np.float64).eps))


def regression_r2(y: np.ndarray, pred: np.ndarray) -> Statistic:
    """1 - SSE/SST with the resample's own label mean; NaN when its labels are constant."""
    import numpy as np

    sq = (pred - y) ** 2
    y2 = y**2

    def stat(w: np.ndarray) -> np.ndarray:
        n = w.sum(axis=1)
        sy = w @ y
        sst = w @ y2 - sy * sy / n
        ok = sst > 1e-12 * np.maximum(1.0, w @ y2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return masked(1.0 - (w @ sq) / np.where(ok, sst, 1.0), ok)

    return stat


def regression_poisson_deviance(y: np.ndarray, pred: np.ndarray) -> Statistic:
    """Mean Poisson deviance 2(y log(y/p) - y + p); undefined (NaN) for a prediction <= 0 or y < 0."""
    import numpy as np
    from scipy.special import xlogy

    if (pred <= 0).any() or (y < 0).any():
        return lambda w: np.full(w.shape[0], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = 2.0 * (xlogy(y, y / pred) - y + pred)
    return _mean(dev)


__all__ = [
    "regression_mae",
    "regression_mape",
    "regression_poisson_deviance",
    "regression_r2",
    "regression_rmse",
]
