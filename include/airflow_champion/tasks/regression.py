"""Regression: the target is a number; predictions are the model's predicted values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_champion.tasks import regression_stats as stats
from airflow_champion.tasks.base import TargetCheck, TargetSpec, Task
from airflow_champion.tasks.metric import Metric

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

REGRESSION = "regression"


def _rmse(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import root_mean_squared_error

    return float(root_mean_squared_error(y, pred))


def _mae(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(y, pred))


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(y, pred))


def _mape(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import mean_absolute_percentage_error

    return float(mean_absolute_percentage_error(y, pred))


def _poisson_deviance(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import mean_poisson_deviance

    return float(mean_poisson_deviance(y, pred))


METRICS: tuple[Metric, ...] = (
    Metric(
        "rmse",
        REGRESSION,
        False,
        "values",
        _rmse,
        stats.regression_rmse,
        0.0,
        None,
        0.0,
        "root mean squared error",
    ),
    Metric(
        "mae", REGRESSION, False, "values", _mae, stats.regression_mae, 0.0, None, 0.0, "mean absolute error"
    ),
    Metric(
        "r2",
        REGRESSION,
        True,
        "values",
        _r2,
        stats.regression_r2,
        None,
        1.0,
        1.0,
        "share of the target's variance explained",
    ),
    Metric(
        "mape",
        REGRESSION,
        False,
        "values",
        _mape,
        stats.regression_mape,
        0.0,
        None,
        0.0,
        "mean absolute error relative to |y|",
    ),
    Metric(
        "poisson_deviance",
        REGRESSION,
        False,
        "values",
        _poisson_deviance,
        stats.regression_poisson_deviance,
        0.0,
        None,
        0.0,
        "mean Poisson deviance (counts; needs predictions > 0)",
    ),
)


class RegressionTask(Task):
    name = REGRESSION
    METRICS = METRICS
    estimator_kind = "regressor"
    default_metric = "rmse"
    target_type = "numeric"
    plots = ("predicted_vs_actual", "residuals")

    def encode_target(self, values: pd.Series, data: TargetSpec) -> np.ndarray:
        import numpy as np
        import pandas as pd

        return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)

    def check_target(self, values: pd.Series, data: TargetSpec) -> str | None:
        import pandas as pd

        numbers = pd.to_numeric(values, errors="coerce")
        bad = values[numbers.isna() & values.notna()]
        if len(bad):
            return f"target {data.target!r} of a regression holds non-numbers, e.g. {bad.iloc[:3].tolist()}"
        return None

    def judgeable(self, y: np.ndarray) -> str | None:
        import numpy as np

        if len(y) < 2 or float(np.ptp(y)) == 0.0:
            return f"{len(y)} rows with a constant target; R^2 and the bootstrap need variation"
        return None

    def target_checks(self, data: TargetSpec) -> list[TargetCheck]:
        checks = [
            TargetCheck("numeric", "a regression target is a number", {"check": "numeric"}),
            TargetCheck("finite", "+/-inf cannot be fit or scored", {"check": "finite"}),
        ]
        if data.target_min is not None or data.target_max is not None:
            checks.append(
                TargetCheck(
                    "range",
                    "target_min/target_max declared in the model config",
                    {"min": data.target_min, "max": data.target_max, "check": "range"},
                )
            )
        return checks

    def predict(self, model: Any, X: pd.DataFrame, data: TargetSpec) -> np.ndarray:
        import numpy as np

        return np.asarray(model.predict(X), dtype=np.float64).ravel()


__all__ = ["METRICS", "REGRESSION", "RegressionTask"]
