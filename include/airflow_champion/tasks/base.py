"""What a task (a kind of target) is: the one place that knows binary vs multiclass vs regression.

Every stage asks the model's task instead of branching on the kind: which metrics exist and which is
the default, how a target column becomes the array a model fits (`encode_target`), what a model's
predictions are (`predict`: P(positive), a probability matrix, or values), whether a holdout can be
stratified, which checks the target must pass in validation (`target_checks`, turned into
expectations by validation), which plots the report shows, and which prediction columns the drift
monitor compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from airflow_champion.tasks.metrics import Metric, get_metric, metrics_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class TargetSpec(Protocol):
    """What a task needs to know about the target (config.DataSpec has these fields)."""

    @property
    def target(self) -> str: ...
    @property
    def positive_label(self) -> str | int | bool: ...


@dataclass(frozen=True)
class TargetCheck:
    """A check the target column must pass, in words validation turns into an expectation.

    kind: "in_set" (params: values), "n_distinct" (min, max), "numeric", "finite", "range" (min, max),
    "min_count_per_value" (values, min_count).
    """

    kind: str
    why: str
    params: dict[str, Any] = field(default_factory=dict)


class Task:
    """Base of the task objects; subclasses fill the class variables and the methods."""

    name: ClassVar[str]
    estimator_kind: ClassVar[str]  # "classifier" | "regressor"
    default_metric: ClassVar[str]
    plots: ClassVar[tuple[str, ...]] = ()

    @property
    def metrics(self) -> dict[str, Metric]:
        return metrics_of(self.name)

    def metric(self, name: str) -> Metric:
        return get_metric(self.name, name)

    # --- data -------------------------------------------------------------------------------
    def encode_target(self, values: pd.Series, data: TargetSpec) -> np.ndarray:
        raise NotImplementedError

    def stratify_labels(self, y: np.ndarray) -> np.ndarray | None:
        """Labels to stratify a random holdout on, or None when the task has no classes."""
        return None

    def judgeable(self, y: np.ndarray) -> str | None:
        """Why these judged labels cannot rank two models (e.g. a single class), or None."""
        return None if y.size else "no rows"

    def target_checks(self, data: TargetSpec) -> list[TargetCheck]:
        return []

    # --- models -----------------------------------------------------------------------------
    def predict(self, model: Any, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def prediction_columns(self, pred: np.ndarray) -> dict[str, np.ndarray]:
        """Named 1-D prediction vectors whose distribution the drift monitor compares."""
        raise NotImplementedError

    def all_scores(self, y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
        """Every metric of the task that is defined on these rows (comparable whatever the config)."""
        out = {}
        for name, m in self.metrics.items():
            try:
                out[name] = float(m.score(y, pred))
            except ValueError:  # undefined here (e.g. a single class for ROC AUC)
                continue
        return out


__all__ = ["TargetCheck", "TargetSpec", "Task"]
