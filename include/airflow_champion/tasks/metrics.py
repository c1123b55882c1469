"""The metric registry: one entry per (task, metric), the only place a metric is declared.

As scikit-learn's `metrics/_scorer.py`: an entry says the metric's name, its direction, what it looks
at (probabilities, hard labels or predicted values), how its point estimate is computed (scikit-learn
itself), its bootstrap statistic (a vectorised weighted form, `weighted.py`), its range and the value
a perfect model gets (the leakage guard). Everything that lists metrics, validates a config's metric,
orients a gain or bootstraps a difference asks this registry, so a new metric is one entry here.

Importing this module is cheap (no numpy at module level): the config loader uses it at DAG parse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from airflow_champion.tasks import weighted
from airflow_champion.tasks.thresholds import PROBA_CLIP, THRESHOLD

if TYPE_CHECKING:
    import numpy as np

Needs = Literal["scores", "labels", "values"]
PointEstimate = Callable[["np.ndarray", "np.ndarray"], float]


@dataclass(frozen=True)
class Metric:
    """One metric of one task. `score(y, pred)` is the point estimate; `weighted(y, pred)` returns a
    function of row-count matrices W (B x n) giving the metric of each resample (NaN where undefined).
    """

    name: str
    task: str
    greater_is_better: bool
    needs: Needs
    score: PointEstimate
    weighted: weighted.StatisticFactory
    lower: float | None = None
    upper: float | None = None
    perfect: float | None = None
    description: str = field(default="", compare=False)

    @property
    def direction(self) -> str:
        return "maximize" if self.greater_is_better else "minimize"

    def oriented(self, challenger: float, champion: float) -> float:
        """challenger - champion, signed so that positive always means "challenger better"."""
        return challenger - champion if self.greater_is_better else champion - challenger

    def in_range(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (self.upper is None or value <= self.upper)


# --------------------------------------------------------------------------- binary point estimates
# y holds 0/1, p the probability of the positive class; label metrics threshold at THRESHOLD.


def _roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def _average_precision(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p))


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(y, (p >= THRESHOLD).astype(int)))


def _balanced_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, (p >= THRESHOLD).astype(int)))


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, (p >= THRESHOLD).astype(int), zero_division=0))


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    import numpy as np
    from sklearn.metrics import log_loss

    return float(log_loss(y, np.clip(p, PROBA_CLIP, 1 - PROBA_CLIP), labels=[0, 1]))


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import brier_score_loss

    return float(brier_score_loss(y, p))


BINARY = "binary"
_BINARY: tuple[Metric, ...] = (
    Metric(
        "roc_auc",
        BINARY,
        True,
        "scores",
        _roc_auc,
        weighted.binary_roc_auc,
        0.0,
        1.0,
        1.0,
        "area under the ROC curve",
    ),
    Metric(
        "average_precision",
        BINARY,
        True,
        "scores",
        _average_precision,
        weighted.binary_average_precision,
        0.0,
        1.0,
        1.0,
        "area under the precision-recall curve",
    ),
    Metric(
        "accuracy",
        BINARY,
        True,
        "labels",
        _accuracy,
        weighted.binary_accuracy,
        0.0,
        1.0,
        1.0,
        f"share of correct labels at threshold {THRESHOLD}",
    ),
    Metric(
        "balanced_accuracy",
        BINARY,
        True,
        "labels",
        _balanced_accuracy,
        weighted.binary_balanced_accuracy,
        0.0,
        1.0,
        1.0,
        "mean recall of the two classes",
    ),
    Metric(
        "f1",
        BINARY,
        True,
        "labels",
        _f1,
        weighted.binary_f1,
        0.0,
        1.0,
        1.0,
        "harmonic mean of precision and recall of the positive class",
    ),
    Metric(
        "log_loss",
        BINARY,
        False,
        "scores",
        _log_loss,
        weighted.binary_log_loss,
        0.0,
        None,
        0.0,
        "mean negative log-likelihood",
    ),
    Metric(
        "brier",
        BINARY,
        False,
        "scores",
        _brier,
        weighted.binary_brier,
        0.0,
        1.0,
        0.0,
        "mean squared error of the probability",
    ),
)

REGISTRY: dict[str, dict[str, Metric]] = {BINARY: {m.name: m for m in _BINARY}}
"""task name -> metric name -> entry."""


def metrics_of(task: str) -> dict[str, Metric]:
    if task not in REGISTRY:
        raise KeyError(f"unknown task {task!r}; known: {sorted(REGISTRY)}")
    return REGISTRY[task]


def get_metric(task: str, name: str) -> Metric:
    """The entry of `name` for `task`; a KeyError that lists the task's metrics otherwise."""
    known = metrics_of(task)
    if name not in known:
        raise KeyError(f"metric {name!r} is not a {task} metric; one of {sorted(known)}")
    return known[name]


__all__ = ["BINARY", "PROBA_CLIP", "REGISTRY", "THRESHOLD", "Metric", "get_metric", "metrics_of"]
