"""What a metric is: one entry of the registry (each task module declares its own entries).

As scikit-learn's `metrics/_scorer.py`: an entry says the metric's name, its direction, what it looks
at (probabilities, hard labels or predicted values), how its point estimate is computed (scikit-learn
itself), its bootstrap statistic (a vectorised weighted form), its range and the value a perfect model
gets (the leakage guard). Everything that lists metrics, validates a config's metric, orients a gain
or bootstraps a difference asks the registry (`airflow_champion.tasks.REGISTRY`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

Needs = Literal["scores", "labels", "values"]
PointEstimate = Callable[["np.ndarray", "np.ndarray"], float]
Statistic = Callable[["np.ndarray"], "np.ndarray"]
"""Row-count matrix W (B x n) -> the metric on each of the B resamples (NaN where undefined)."""
StatisticFactory = Callable[["np.ndarray", "np.ndarray"], Statistic]
"""(labels, predictions) -> Statistic."""


@dataclass(frozen=True)
class Metric:
    """One metric of one task. `score(y, pred)` is the point estimate; `weighted(y, pred)` returns the
    bootstrap statistic over row-count matrices."""

    name: str
    task: str
    greater_is_better: bool
    needs: Needs
    score: PointEstimate
    weighted: StatisticFactory
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

    def is_perfect(self, value: float, tolerance: float = 1e-9) -> bool:
        """The value a perfect model gets (a judged score there is a sign of leakage)."""
        return self.perfect is not None and abs(value - self.perfect) <= tolerance


__all__ = ["Metric", "Needs", "PointEstimate", "Statistic", "StatisticFactory"]
