"""What a task (a kind of target) is: the one place that knows binary vs multiclass vs regression.

Every stage asks the model's task instead of branching on the kind: which metrics exist (`METRICS`,
its entries of the registry) and which is the default, how a target column becomes the array a model
fits (`encode_target`), what a model's predictions are (`predict`: P(positive), a probability matrix,
or values), whether a holdout can be stratified, which checks the target must pass in validation
(`target_checks`, turned into expectations by validation), which plots the report shows, how the
target and the predictions drift (`target_type`, `prediction_columns`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from airflow_champion.tasks.metric import Metric


class TargetSpec(Protocol):
    """What a task needs to know about the target (config.DataSpec has these fields)."""

    @property
    def target(self) -> str: ...
    @property
    def positive_label(self) -> str | int | bool: ...
    @property
    def labels(self) -> list[Any] | None: ...
    @property
    def min_per_class(self) -> int: ...
    @property
    def target_min(self) -> float | None: ...
    @property
    def target_max(self) -> float | None: ...


@dataclass(frozen=True)
class TargetCheck:
    """A check the target column must pass, in words validation turns into an expectation.

    kind: "in_set" (values), "n_distinct" (min, max), "numeric", "finite", "range" (min, max),
    "min_count_per_value" (values, min_count). `params["check"]` names the failure message.
    """

    kind: str
    why: str
    params: dict[str, Any] = field(default_factory=dict)


class Task:
    """Base of the task objects; subclasses fill the class variables and the methods."""

    name: ClassVar[str]
    estimator_kind: ClassVar[str]  # "classifier" | "regressor"
    default_metric: ClassVar[str]
    target_type: ClassVar[str]  # "categorical" | "numeric": how target drift is measured
    plots: ClassVar[tuple[str, ...]] = ()
    METRICS: ClassVar[tuple[Metric, ...]] = ()

    @property
    def metrics(self) -> dict[str, Metric]:
        return {m.name: m for m in self.METRICS}

    def metric(self, name: str) -> Metric:
        """The entry of `name`; a KeyError that lists the task's metrics otherwise."""
        known = self.metrics
        if name not in known:
            raise KeyError(f"metric {name!r} is not a {self.name} metric; one of {sorted(known)}")
        return known[name]

    # --- data -------------------------------------------------------------------------------
    def encode_target(self, values: pd.Series, data: TargetSpec) -> np.ndarray:
        raise NotImplementedError

    def check_target(self, values: pd.Series, data: TargetSpec) -> str | None:
        """Why this target column does not fit the task (said before fitting), or None."""
        return None

    def stratify_labels(self, y: np.ndarray) -> np.ndarray | None:
        """Labels to stratify a random holdout on, or None when the task has no classes."""
        return None

    def judgeable(self, y: np.ndarray) -> str | None:
        """Why these judged labels cannot rank two models (e.g. a single class), or None."""
        return None if len(y) else "no rows"

    def target_checks(self, data: TargetSpec) -> list[TargetCheck]:
        return []

    # --- models -----------------------------------------------------------------------------
    def predict(self, model: Any, X: pd.DataFrame, data: TargetSpec) -> np.ndarray:
        raise NotImplementedError

    def prediction_columns(self, pred: np.ndarray, data: TargetSpec) -> dict[str, np.ndarray]:
        """Named 1-D prediction vectors whose distribution the drift monitor compares."""
        return {"prediction": pred}

    def all_scores(self, y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
        """Every metric of the task that is defined on these rows (comparable whatever the config)."""
        import math
        import warnings

        out = {}
        for name, m in self.metrics.items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # undefined cases are dropped below, not logged
                    value = float(m.score(y, pred))
            except ValueError:  # undefined here (e.g. a single class for ROC AUC)
                continue
            if math.isfinite(value):
                out[name] = value
        return out


__all__ = ["TargetCheck", "TargetSpec", "Task"]
